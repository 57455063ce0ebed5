# Seed 002, corrected: ResNet50's own preprocess_input, no augmentation on validation,
# the freeze boundary on a block boundary, the backbone in inference mode, a fine-tuning
# learning rate.
import tensorflow as tf
from tensorflow.keras.applications import ResNet50
from tensorflow.keras.applications.resnet50 import preprocess_input
from tensorflow.keras.preprocessing.image import ImageDataGenerator
from tensorflow.keras.layers import Input, Dense, Dropout, GlobalAveragePooling2D
from tensorflow.keras.models import Model
from tensorflow.keras.optimizers import Adam

image_size = 150
base_dir = 'Dogs_Vs_Cats_Small'
train_dir = base_dir + '/train'
validation_dir = base_dir + '/validation'

conv_base = ResNet50(include_top=False, weights='imagenet', input_shape=(image_size, image_size, 3))
for layer in conv_base.layers[:143]:
    layer.trainable = False

inputs = Input(shape=(image_size, image_size, 3))
x = conv_base(inputs, training=False)
x = GlobalAveragePooling2D()(x)
x = Dense(units=256, activation='relu')(x)
x = Dropout(0.5)(x)
outputs = Dense(units=1, activation='sigmoid')(x)
model = Model(inputs, outputs)

train_datagen = ImageDataGenerator(preprocessing_function=preprocess_input, rotation_range=40,
                                   horizontal_flip=True)
val_datagen = ImageDataGenerator(preprocessing_function=preprocess_input)

train_gen = train_datagen.flow_from_directory(directory=train_dir, target_size=(150, 150),
                                              batch_size=20, class_mode='binary')
val_gen = val_datagen.flow_from_directory(directory=validation_dir, target_size=(150, 150),
                                          batch_size=20, class_mode='binary')

model.compile(optimizer=Adam(learning_rate=1e-5), loss='binary_crossentropy', metrics=['accuracy'])
history = model.fit(train_gen, epochs=15, validation_data=val_gen)
