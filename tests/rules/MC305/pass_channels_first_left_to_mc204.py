from keras import layers, models
from keras.preprocessing.image import ImageDataGenerator

model = models.Sequential([
    layers.Input(shape=(3, 150, 150)),
    layers.Conv2D(16, 3, activation="relu"),
    layers.GlobalAveragePooling2D(),
    layers.Dense(1, activation="sigmoid"),
])
model.compile(loss="binary_crossentropy", optimizer="adam")
train_generator = ImageDataGenerator(rescale=1.0 / 255).flow_from_directory(
    "data/train", target_size=(150, 150), class_mode="binary"
)
model.fit(train_generator, epochs=5)
