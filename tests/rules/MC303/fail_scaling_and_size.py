from keras.preprocessing.image import ImageDataGenerator

train_datagen = ImageDataGenerator(rescale=1.0 / 255)
test_datagen = ImageDataGenerator()

train_generator = train_datagen.flow_from_directory("data/train", target_size=(150, 150), color_mode="rgb", class_mode="binary")
test_generator = test_datagen.flow_from_directory("data/test", target_size=(224, 224), color_mode="grayscale", class_mode="binary")
