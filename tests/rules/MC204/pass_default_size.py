import keras
from keras import layers

base = keras.applications.InceptionV3(weights="imagenet", include_top=False, input_shape=(299, 299, 3))
base.trainable = False
x = layers.GlobalAveragePooling2D()(base.output)
outputs = layers.Dense(5, activation="softmax")(x)
model = keras.Model(base.input, outputs)
model.compile(loss="categorical_crossentropy", optimizer=keras.optimizers.Adam(1e-4))
