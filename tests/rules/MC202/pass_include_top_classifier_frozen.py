from keras.applications import VGG16
from keras.models import Sequential
from keras.layers import Dense

base = VGG16(weights='imagenet', include_top=True)
model = Sequential()
for layer in base.layers[:-1]:
    model.add(layer)
for layer in model.layers:
    layer.trainable = False
model.add(Dense(5, activation='softmax'))
