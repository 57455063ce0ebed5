"""Two-stage fine-tuning of Xception on cats vs dogs, in the style of the Keras
transfer-learning guide: frozen backbone called in inference mode, Rescaling to [-1, 1],
a logit output, then the whole backbone unfrozen under a tiny learning rate."""

import keras
import tensorflow_datasets as tfds
from keras import layers

train_ds, validation_ds = tfds.load(
    "cats_vs_dogs", split=["train[:40%]", "train[40%:50%]"], as_supervised=True
)
resize = keras.layers.Resizing(150, 150)
train_ds = train_ds.map(lambda image, label: (resize(image), label)).batch(64).prefetch(8)
validation_ds = validation_ds.map(lambda image, label: (resize(image), label)).batch(64).prefetch(8)

augment = keras.Sequential([layers.RandomFlip("horizontal"), layers.RandomRotation(0.1)])

backbone = keras.applications.Xception(
    weights="imagenet", input_shape=(150, 150, 3), include_top=False
)
backbone.trainable = False

inputs = keras.Input(shape=(150, 150, 3))
x = augment(inputs)
x = layers.Rescaling(scale=1 / 127.5, offset=-1)(x)
x = backbone(x, training=False)
x = layers.GlobalAveragePooling2D()(x)
x = layers.Dropout(0.2)(x)
outputs = layers.Dense(1)(x)
model = keras.Model(inputs, outputs)

model.compile(
    optimizer=keras.optimizers.Adam(),
    loss=keras.losses.BinaryCrossentropy(from_logits=True),
    metrics=[keras.metrics.BinaryAccuracy()],
)
model.fit(train_ds, epochs=2, validation_data=validation_ds)

# Second stage: everything trainable, BatchNormalization still in inference mode.
backbone.trainable = True
model.compile(
    optimizer=keras.optimizers.Adam(1e-5),
    loss=keras.losses.BinaryCrossentropy(from_logits=True),
    metrics=[keras.metrics.BinaryAccuracy()],
)
model.fit(train_ds, epochs=1, validation_data=validation_ds)
