import cv2
import numpy as np
from keras.preprocessing.image import ImageDataGenerator

train_datagen = ImageDataGenerator(rescale=1.0 / 255)
train_generator = train_datagen.flow_from_directory("data/train", target_size=(150, 150), class_mode="binary")
model.fit(train_generator, epochs=3)

image = cv2.imread("cat.jpg")
image = np.expand_dims(image / 255.0, axis=0)
print(model.predict(image))
