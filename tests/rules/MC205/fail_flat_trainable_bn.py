import keras
from keras import layers

base = keras.applications.ResNet50(weights="imagenet", include_top=False, input_shape=(224, 224, 3))
x = layers.GlobalAveragePooling2D()(base.output)
outputs = layers.Dense(5, activation="softmax")(x)
model = keras.Model(base.input, outputs)
for layer in model.layers[:143]:
    layer.trainable = False
model.compile(loss="categorical_crossentropy", optimizer=keras.optimizers.Adam(1e-5), metrics=["accuracy"])
