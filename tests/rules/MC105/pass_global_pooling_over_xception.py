from keras.applications import Xception
from keras.models import Sequential
from keras.layers import GlobalAveragePooling2D, Dense

base = Xception(weights='imagenet', include_top=False, input_shape=(299, 299, 3))
base.trainable = False
model = Sequential()
model.add(base)
model.add(GlobalAveragePooling2D())
model.add(Dense(256, activation='relu'))
model.add(Dense(5, activation='softmax'))
