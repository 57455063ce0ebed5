import keras
from keras import layers

train_ds = keras.utils.image_dataset_from_directory('data/train', image_size=(128, 128), label_mode='categorical')
model = keras.Sequential([
    keras.Input(shape=(128, 128, 3)),
    layers.RandomFlip('horizontal'),
    layers.Rescaling(1.0 / 255),
    layers.Conv2D(32, 3, activation='relu'),
    layers.GlobalAveragePooling2D(),
    layers.Dense(4, activation='softmax'),
])
model.compile(optimizer='adam', loss='categorical_crossentropy', metrics=['accuracy'])
model.fit(train_ds, epochs=10)
