from keras.preprocessing.image import ImageDataGenerator
from keras.models import Sequential
from keras.layers import Input, Conv2D, MaxPooling2D, GlobalAveragePooling2D, Dense

datagen = ImageDataGenerator(horizontal_flip=True)
train = datagen.flow_from_directory('data/train', target_size=(128, 128), class_mode='categorical')
model = Sequential([
    Input(shape=(128, 128, 3)),
    Conv2D(32, 3, activation='relu'),
    MaxPooling2D(),
    GlobalAveragePooling2D(),
    Dense(4, activation='softmax'),
])
model.compile(optimizer='adam', loss='categorical_crossentropy', metrics=['accuracy'])
model.fit(train, epochs=10)
