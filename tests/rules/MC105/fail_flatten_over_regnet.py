# A tf-keras-only family: RegNetY080 ends in a 7x7x2016 feature map at 224x224.
from tensorflow.keras import layers, models
from tensorflow.keras.applications import RegNetY080

base = RegNetY080(weights="imagenet", include_top=False, input_shape=(224, 224, 3))
base.trainable = False
model = models.Sequential([base, layers.Flatten(), layers.Dense(512, activation="relu"), layers.Dense(3, activation="softmax")])
model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
