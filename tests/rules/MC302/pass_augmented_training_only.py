from keras.preprocessing.image import ImageDataGenerator

train_datagen = ImageDataGenerator(rescale=1.0 / 255, horizontal_flip=True, zoom_range=0.2)
val_datagen = ImageDataGenerator(rescale=1.0 / 255)

train_generator = train_datagen.flow_from_directory("data/train", target_size=(150, 150), class_mode="binary")
validation_generator = val_datagen.flow_from_directory("data/val", target_size=(150, 150), class_mode="binary")
