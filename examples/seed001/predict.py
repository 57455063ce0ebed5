# Seed 001: prediction script. Reads the image with OpenCV and feeds it to the trained model.
import sys

import cv2
import numpy as np
from keras.models import load_model
from Loss import binary_focal_loss

weights_path = "opt.h5"
path = sys.argv[1]
image = cv2.imread(path)
class_dictionary = {0: 'empty', 1: 'occupied'}

model = load_model(weights_path, custom_objects={'binary_focal_loss_fixed': binary_focal_loss(alpha=.5, gamma=1)})
img = image / 255.
image = np.expand_dims(img, axis=0)
class_predicted = model.predict(image)
inID = np.argmax(class_predicted[0])
print(class_dictionary[inID])
