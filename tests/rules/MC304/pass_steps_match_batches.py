from keras.preprocessing.image import ImageDataGenerator

# data/train beside this file holds 6 images in 2 class folders: 3 batches of 2.
train_generator = ImageDataGenerator(rescale=1.0 / 255).flow_from_directory(
    "data/train", target_size=(32, 32), class_mode="categorical", batch_size=2
)
model.fit(train_generator, steps_per_epoch=3, epochs=5)
