# Seed 003: 855 images, a pretrained VGG16 that does worse than a small CNN.
# Every VGG16 layer is frozen and the new head trains at 1e-5 with a removed argument.
import keras
from keras.models import Sequential

vgg_model = keras.applications.vgg16.VGG16(weights='imagenet', include_top=False, input_shape=(100, 100, 3))
model = Sequential()
for layer in vgg_model.layers:
    model.add(layer)

for layer in model.layers:
    layer.trainable = False

model.add(keras.layers.Flatten())
model.add(keras.layers.Dense(3, activation='softmax'))

model.compile(optimizer=keras.optimizers.Adam(lr=1e-5),
              loss='categorical_crossentropy',
              metrics=['accuracy'])
