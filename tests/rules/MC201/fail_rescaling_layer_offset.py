import keras
from keras import layers

inputs = keras.Input((224, 224, 3))
x = layers.Rescaling(1.0 / 127.5, offset=-1)(inputs)
base = keras.applications.VGG16(weights="imagenet", include_top=False, input_shape=(224, 224, 3))
base.trainable = False
x = base(x, training=False)
outputs = layers.Dense(5, activation="softmax")(layers.GlobalAveragePooling2D()(x))
model = keras.Model(inputs, outputs)
model.compile(loss="categorical_crossentropy", optimizer=keras.optimizers.Adam(1e-4), metrics=["accuracy"])
