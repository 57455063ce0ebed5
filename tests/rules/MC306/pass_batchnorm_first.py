from keras.preprocessing.image import ImageDataGenerator
from keras.models import Sequential
from keras.layers import Input, BatchNormalization, Conv2D, GlobalAveragePooling2D, Dense

train = ImageDataGenerator().flow_from_directory('data/train', target_size=(128, 128), class_mode='categorical')
model = Sequential([
    Input(shape=(128, 128, 3)),
    BatchNormalization(),
    Conv2D(32, 3, activation='relu'),
    GlobalAveragePooling2D(),
    Dense(4, activation='softmax'),
])
model.compile(optimizer='adam', loss='categorical_crossentropy', metrics=['accuracy'])
model.fit(train, epochs=10)
