import keras
from keras import layers

base = keras.applications.ResNet50(weights="imagenet", include_top=False, input_shape=(224, 224, 3))
inputs = keras.Input((224, 224, 3))
x = base(inputs, training=False)
outputs = layers.Dense(5, activation="softmax")(layers.GlobalAveragePooling2D()(x))
model = keras.Model(inputs, outputs)
model.compile(loss="categorical_crossentropy", optimizer=keras.optimizers.SGD(learning_rate=0.05, momentum=0.9), metrics=["accuracy"])
