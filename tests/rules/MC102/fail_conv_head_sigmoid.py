from keras import Input, Model, layers

inputs = Input(shape=(64, 64, 3))
x = layers.Conv2D(32, 3, activation='relu')(inputs)
x = layers.Conv2D(10, 1)(x)
x = layers.GlobalAveragePooling2D()(x)
outputs = layers.Activation('sigmoid')(x)
model = Model(inputs, outputs)
model.compile(optimizer='adam', loss='categorical_crossentropy', metrics=['accuracy'])
