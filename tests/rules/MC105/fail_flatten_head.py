import keras
from keras import layers

base = keras.applications.ResNet50(weights="imagenet", include_top=False, input_shape=(224, 224, 3))
base.trainable = False
x = layers.Flatten()(base.output)
x = layers.Dense(1024, activation="relu")(x)
outputs = layers.Dense(5, activation="softmax")(x)
model = keras.Model(base.input, outputs)
model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
