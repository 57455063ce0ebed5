# Seed 001, corrected: metric names the callbacks can see, no augmentation on the
# validation data, steps counted in batches, current Keras APIs.
import math

from keras.callbacks import ModelCheckpoint, EarlyStopping
from tensorflow.keras.preprocessing.image import ImageDataGenerator
from keras.models import Sequential
from keras.layers import Input, Conv2D, MaxPooling2D, BatchNormalization, GlobalAveragePooling2D, Dense, Dropout
from keras import optimizers

img_width, img_height = 48, 48
train_data_dir = "../train_data/train"
validation_data_dir = "../train_data/test"
batch_size = 32
epochs = 100

model = Sequential([
    Input(shape=(img_height, img_width, 3)),
    Conv2D(32, (3, 3), padding="same", activation="relu"),
    BatchNormalization(),
    MaxPooling2D((2, 2)),
    Conv2D(64, (3, 3), padding="same", activation="relu"),
    BatchNormalization(),
    GlobalAveragePooling2D(),
    Dropout(0.5),
    Dense(2, activation="softmax"),
])
model.compile(loss="categorical_crossentropy",
              optimizer=optimizers.SGD(learning_rate=0.001, momentum=0.9, nesterov=True),
              metrics=["accuracy"])

train_datagen = ImageDataGenerator(rescale=1. / 255, horizontal_flip=True, zoom_range=0.1)
test_datagen = ImageDataGenerator(rescale=1. / 255)

train_generator = train_datagen.flow_from_directory(
    train_data_dir, target_size=(img_height, img_width), batch_size=batch_size, class_mode="categorical")
validation_generator = test_datagen.flow_from_directory(
    validation_data_dir, target_size=(img_height, img_width), batch_size=batch_size, class_mode="categorical")

checkpoint = ModelCheckpoint("opt.keras", monitor='val_accuracy', save_best_only=True)
early = EarlyStopping(monitor='val_accuracy', patience=10)

history = model.fit(
    train_generator,
    epochs=epochs,
    validation_data=validation_generator,
    callbacks=[checkpoint, early])
