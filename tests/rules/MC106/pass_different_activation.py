from keras import layers, models

model = models.Sequential([
    layers.Input(shape=(16,)),
    layers.Dense(32, activation="tanh"),
    layers.ReLU(),
    layers.Dense(3),
    layers.Activation("softmax"),
])
model.compile(loss="categorical_crossentropy", optimizer="adam")
