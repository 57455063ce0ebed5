import keras
from keras import layers, losses
from keras.preprocessing.image import ImageDataGenerator

train = ImageDataGenerator(rescale=1./255).flow_from_directory('data/train', target_size=(64, 64), class_mode='sparse')
model = keras.Sequential([
    keras.Input(shape=(64, 64, 3)),
    layers.Conv2D(16, 3, activation='relu'),
    layers.GlobalAveragePooling2D(),
    layers.Dense(1),
])
model.compile(optimizer='adam', loss=losses.Huber())
model.fit(train, epochs=3)
