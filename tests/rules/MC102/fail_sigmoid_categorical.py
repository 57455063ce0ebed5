from keras import layers, models

model = models.Sequential([
    layers.Input(shape=(64, 64, 3)),
    layers.Conv2D(16, 3, activation="relu"),
    layers.GlobalAveragePooling2D(),
    layers.Dense(4, activation="sigmoid"),
])
model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
