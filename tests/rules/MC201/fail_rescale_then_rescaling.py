import keras
from keras import layers

# Scaled twice: [0, 1] from the generator, then into [-1, 1] by the model; VGG16 wants caffe-style input.
train_gen = keras.preprocessing.image.ImageDataGenerator(rescale=1.0 / 255).flow_from_directory(
    "data/train", target_size=(224, 224), class_mode="categorical"
)
inputs = keras.Input((224, 224, 3))
x = layers.Rescaling(2.0, offset=-1.0)(inputs)
base = keras.applications.VGG16(weights="imagenet", include_top=False, input_shape=(224, 224, 3))
base.trainable = False
x = base(x, training=False)
outputs = layers.Dense(5, activation="softmax")(layers.GlobalAveragePooling2D()(x))
model = keras.Model(inputs, outputs)
model.compile(loss="categorical_crossentropy", optimizer=keras.optimizers.Adam(1e-4), metrics=["accuracy"])
model.fit(train_gen, epochs=3)
