# Seed 002: ResNet50 fed rescale=1./255 sticks at 50 % validation accuracy.
import tensorflow as tf
from tensorflow.keras.applications import ResNet50
from keras.preprocessing.image import ImageDataGenerator
from tensorflow.keras.layers import Dense, Dropout, Flatten
from tensorflow.keras.models import Sequential

image_size = 150
NUM_CLASSES = 2
base_dir = 'Dogs_Vs_Cats_Small'
train_dir = base_dir + '/train'
validation_dir = base_dir + '/validation'

Conv_Base = ResNet50(include_top=False, weights='imagenet', input_shape=(image_size, image_size, 3))
for layer in Conv_Base.layers[:-8]:
    layer.trainable = False

model = Sequential()
model.add(Conv_Base)
model.add(Flatten())
model.add(Dense(units=256, activation='relu'))
model.add(Dropout(0.5))
model.add(Dense(units=1, activation='sigmoid'))

Train_Datagen = ImageDataGenerator(rescale=1./255, rotation_range=40, width_shift_range=0.2,
                                   height_shift_range=0.2, brightness_range=(0.2, 0.7), shear_range=45.0,
                                   zoom_range=60.0, horizontal_flip=True, vertical_flip=True)
Val_Datagen = ImageDataGenerator(rescale=1./255, rotation_range=40, width_shift_range=0.2,
                                 height_shift_range=0.2, brightness_range=(0.2, 0.7), shear_range=45.0,
                                 zoom_range=60.0, horizontal_flip=True, vertical_flip=True)

train_gen = Train_Datagen.flow_from_directory(directory=train_dir, target_size=(150, 150),
                                              batch_size=20, class_mode='binary')
val_gen = Val_Datagen.flow_from_directory(directory=validation_dir, target_size=(150, 150),
                                          batch_size=20, class_mode='binary')

model.compile(optimizer='Adam', loss='binary_crossentropy', metrics=['accuracy'])
history = model.fit(train_gen, epochs=15, validation_data=val_gen)
