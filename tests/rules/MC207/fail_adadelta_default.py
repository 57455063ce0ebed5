from keras.models import Sequential
from keras.layers import Input, Flatten, Dense
from keras.optimizers import Adadelta

model = Sequential([Input(shape=(28, 28, 1)), Flatten(), Dense(128, activation='relu'), Dense(10, activation='softmax')])
model.compile(optimizer=Adadelta(), loss='categorical_crossentropy', metrics=['accuracy'])
