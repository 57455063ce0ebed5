# Seed 004: the Keras blog's binary bottleneck tutorial turned 5-class.
import numpy as np
from keras.models import Sequential
from keras.layers import Dropout, Flatten, Dense
from keras.utils import to_categorical

train_data = np.load('bottleneck_features_train.npy')
validation_data = np.load('bottleneck_features_validation.npy')
train_labels = np.array([0] * 100 + [1] * 100 + [2] * 100 + [3] * 100 + [4] * 100)
validation_labels = np.array([0] * 40 + [1] * 40 + [2] * 40 + [3] * 40 + [4] * 40)

model = Sequential()
model.add(Flatten(input_shape=train_data.shape[1:]))
model.add(Dense(256, activation='relu'))
model.add(Dropout(0.5))
model.add(Dense(5, activation='sigmoid'))

model.compile(optimizer='rmsprop', loss='categorical_crossentropy', metrics=['accuracy'])

train_labels = to_categorical(train_labels, 5)
validation_labels = to_categorical(validation_labels, 5)

model.fit(train_data, train_labels, epochs=50, batch_size=16,
          validation_data=(validation_data, validation_labels))
model.save_weights('bottleneck_weights_2.h5')
