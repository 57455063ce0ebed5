from keras.applications import ResNet50
from keras.models import Sequential
from keras.layers import GlobalAveragePooling2D, Dense
from keras import optimizers

base = ResNet50(weights='imagenet', include_top=False, input_shape=(224, 224, 3))
model = Sequential()
model.add(base)
model.add(GlobalAveragePooling2D())
model.add(Dense(5, activation='softmax'))
for layer in base.layers[:-8]:
    layer.trainable = False
model.compile(optimizer=optimizers.Adam(1e-5), loss='categorical_crossentropy', metrics=['accuracy'])
