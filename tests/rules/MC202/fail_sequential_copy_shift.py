import keras
from keras import layers

base = keras.applications.VGG16(weights="imagenet", include_top=False, input_shape=(224, 224, 3))
model = keras.Sequential()
for layer in base.layers:
    model.add(layer)
model.add(layers.GlobalAveragePooling2D())
model.add(layers.Dense(5, activation="softmax"))
for layer in model.layers[:16]:
    layer.trainable = False
model.compile(loss="categorical_crossentropy", optimizer=keras.optimizers.SGD(1e-4), metrics=["accuracy"])
