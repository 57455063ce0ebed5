from keras.applications import ResNet50
from keras import Input, Model, layers

base = ResNet50(weights='imagenet', include_top=False, input_shape=(224, 224, 3))
base.trainable = False
inputs = Input(shape=(224, 224, 3))
x = base(inputs, training=False)
x = layers.GlobalAveragePooling2D()(x)
hidden = layers.Dense(256, activation='relu')
x = hidden(x)
outputs = layers.Dense(5, activation='softmax')(x)
model = Model(inputs, outputs)
hidden.trainable = False
model.compile(optimizer='adam', loss='categorical_crossentropy', metrics=['accuracy'])
