from keras.models import Sequential
from keras.layers import Input, Flatten, Dense
from keras import optimizers

model = Sequential([Input(shape=(28, 28, 1)), Flatten(), Dense(128, activation='relu'), Dense(10, activation='softmax')])
model.compile(optimizer=optimizers.Adam(learning_rate=0.1), loss='categorical_crossentropy', metrics=['accuracy'])
