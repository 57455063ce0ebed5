from keras import layers, models

model = models.Sequential([
    layers.Input(shape=(8, 8, 3)),
    layers.Conv2D(16, 3),
    layers.Flatten(),
    layers.Dense(10, activation="softmax"),
])
model.compile(loss="categorical_crossentropy", optimizer="adam")
