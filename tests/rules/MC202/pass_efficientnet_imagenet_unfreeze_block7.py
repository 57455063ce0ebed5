# weights="imagenet" gives EfficientNet an extra layer near its input; the last 20 layers of
# this model start exactly at block7a, so unfreezing them (BatchNorm kept frozen) cuts no block.
import keras
from keras import layers

inputs = keras.Input(shape=(224, 224, 3))
base = keras.applications.EfficientNetB0(include_top=False, input_tensor=inputs, weights="imagenet")
base.trainable = False
x = layers.GlobalAveragePooling2D()(base.output)
x = layers.BatchNormalization()(x)
x = layers.Dropout(0.2)(x)
outputs = layers.Dense(120, activation="softmax")(x)
model = keras.Model(inputs, outputs)
model.compile(optimizer=keras.optimizers.Adam(1e-2), loss="categorical_crossentropy")
for layer in model.layers[-20:]:
    if not isinstance(layer, layers.BatchNormalization):
        layer.trainable = True
model.compile(optimizer=keras.optimizers.Adam(1e-5), loss="categorical_crossentropy")
