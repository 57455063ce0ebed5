import keras
from keras import layers

train_ds = keras.utils.image_dataset_from_directory('data/train', image_size=(128, 128), label_mode='categorical')
base = keras.applications.ResNet50(weights=None, include_top=False, input_shape=(128, 128, 3))
inputs = keras.Input(shape=(128, 128, 3))
x = base(inputs)
x = layers.GlobalAveragePooling2D()(x)
outputs = layers.Dense(4, activation='softmax')(x)
model = keras.Model(inputs, outputs)
model.compile(optimizer='adam', loss='categorical_crossentropy', metrics=['accuracy'])
model.fit(train_ds, epochs=10)
