import keras
from keras import layers

train_ds = keras.utils.image_dataset_from_directory('data/train', image_size=(96, 96), label_mode='int')
model = keras.Sequential([
    keras.Input(shape=(96, 96, 3)),
    layers.Rescaling(1.0 / 255),
    layers.Conv2D(32, 3, activation='relu'),
    layers.GlobalAveragePooling2D(),
    layers.Dense(4, activation='sigmoid'),
])
model.compile(optimizer='adam', loss=keras.losses.BinaryCrossentropy(), metrics=['accuracy'])
model.fit(train_ds, epochs=5)
