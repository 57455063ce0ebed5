from keras.preprocessing.image import ImageDataGenerator

train_datagen = ImageDataGenerator(rescale=1.0 / 255, horizontal_flip=True)
test_datagen = ImageDataGenerator(rescale=1.0 / 255)

train_generator = train_datagen.flow_from_directory("data/train", target_size=(150, 150), class_mode="binary")
test_generator = test_datagen.flow_from_directory("data/test", target_size=(150, 150), class_mode="binary")
