# Seed 001, corrected prediction: RGB, resized to the training size, scaled like training.
import sys

import cv2
import numpy as np
from keras.models import load_model

path = sys.argv[1]
image = cv2.imread(path)
image = cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
image = cv2.resize(image, (48, 48))
img = image / 255.
batch = np.expand_dims(img, axis=0)
model = load_model("opt.keras")
print(np.argmax(model.predict(batch)[0]))
