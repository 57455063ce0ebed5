# Seed 004, corrected fine-tuning script: channels-last input, Keras 3 APIs, whole-dataset epochs.
from tensorflow.keras.preprocessing.image import ImageDataGenerator
from keras import optimizers
from keras.models import Sequential
from keras.layers import Input, Conv2D, MaxPooling2D, Dropout, Flatten, Dense

img_width, img_height = 150, 150
train_data_dir = '../data/train'
validation_data_dir = '../data/validation'
batch_size = 32
epochs = 50

model = Sequential()
model.add(Input(shape=(img_height, img_width, 3)))
model.add(Conv2D(64, (3, 3), padding='same', activation='relu', name='conv1_1'))
model.add(Conv2D(64, (3, 3), padding='same', activation='relu', name='conv1_2'))
model.add(MaxPooling2D((2, 2), strides=(2, 2)))
model.add(Flatten())
model.add(Dense(256, activation='relu'))
model.add(Dropout(0.5))
model.add(Dense(5, activation='softmax'))

model.compile(loss='categorical_crossentropy',
              optimizer=optimizers.SGD(learning_rate=1e-4, momentum=0.9),
              metrics=['accuracy'])

train_datagen = ImageDataGenerator(rescale=1./255, shear_range=0.2, zoom_range=0.2, horizontal_flip=True)
test_datagen = ImageDataGenerator(rescale=1./255)

train_generator = train_datagen.flow_from_directory(
    train_data_dir, target_size=(img_height, img_width), batch_size=batch_size, class_mode='categorical')
validation_generator = test_datagen.flow_from_directory(
    validation_data_dir, target_size=(img_height, img_width), batch_size=batch_size, class_mode='categorical')

model.fit(
    train_generator,
    epochs=epochs,
    validation_data=validation_generator)
