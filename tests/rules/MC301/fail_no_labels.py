import keras
from keras import layers

train_ds = keras.utils.image_dataset_from_directory("data/train", image_size=(64, 64), label_mode=None)

model = keras.Sequential([
    layers.Input(shape=(64, 64, 3)),
    layers.Conv2D(16, 3, activation="relu"),
    layers.GlobalAveragePooling2D(),
    layers.Dense(5, activation="softmax"),
])
model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
model.fit(train_ds, epochs=5)
