import keras
from keras.preprocessing.image import ImageDataGenerator

base = keras.applications.VGG16(weights="imagenet", include_top=False, input_shape=(224, 224, 3))
base.trainable = False
x = keras.layers.GlobalAveragePooling2D()(base.output)
outputs = keras.layers.Dense(5, activation="softmax")(x)
model = keras.Model(base.input, outputs)
model.compile(loss="categorical_crossentropy", optimizer=keras.optimizers.Adam(1e-4), metrics=["accuracy"])

train_gen = ImageDataGenerator(rescale=1.0 / 255).flow_from_directory(
    "data/train", target_size=(224, 224), class_mode="categorical", batch_size=32
)
model.fit(train_gen, epochs=5)
