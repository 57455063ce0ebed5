from keras.models import Sequential
from keras.layers import Input, Conv2D, GlobalAveragePooling2D, Dense, Flatten, Dropout, BatchNormalization, Activation

model = Sequential([
    Input(shape=(64, 64, 3)),
    Conv2D(16, 3, activation='relu'),
    Flatten(),
    Dense(256),
    BatchNormalization(),
    Activation('relu'),
    Dense(10, activation='softmax'),
])
