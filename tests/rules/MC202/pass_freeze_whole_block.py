import keras
from keras import layers

base = keras.applications.VGG16(weights="imagenet", include_top=False, input_shape=(224, 224, 3))
x = layers.GlobalAveragePooling2D()(base.output)
outputs = layers.Dense(5, activation="softmax")(x)
model = keras.Model(base.input, outputs)
for layer in model.layers[:15]:
    layer.trainable = False
model.compile(loss="categorical_crossentropy", optimizer=keras.optimizers.SGD(1e-4), metrics=["accuracy"])
