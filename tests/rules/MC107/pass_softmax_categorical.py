from keras.preprocessing.image import ImageDataGenerator
from keras.models import Sequential
from keras.layers import Input, Conv2D, GlobalAveragePooling2D, Dense

train = ImageDataGenerator(rescale=1./255).flow_from_directory('data/train', target_size=(96, 96), class_mode='categorical')
model = Sequential([
    Input(shape=(96, 96, 3)),
    Conv2D(32, 3, activation='relu'),
    GlobalAveragePooling2D(),
    Dense(10, activation='softmax'),
])
model.compile(optimizer='adam', loss='categorical_crossentropy', metrics=['accuracy'])
model.fit(train, epochs=5)
