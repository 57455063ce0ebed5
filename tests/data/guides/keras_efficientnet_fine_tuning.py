"""EfficientNetB0 on Stanford Dogs, in the style of the Keras EfficientNet fine-tuning
example: the backbone built on the augmented input tensor, frozen for a first fit at a
high learning rate, then its last 20 layers unfrozen (BatchNormalization kept frozen)."""

import keras
import tensorflow as tf
import tensorflow_datasets as tfds
from keras import layers
from keras.applications import EfficientNetB0

IMG_SIZE = 224
NUM_CLASSES = 120

(ds_train, ds_test), info = tfds.load("stanford_dogs", split=["train", "test"], with_info=True, as_supervised=True)


def prepare(image, label):
    image = tf.image.resize(image, (IMG_SIZE, IMG_SIZE))
    return image, tf.one_hot(label, NUM_CLASSES)


ds_train = ds_train.map(prepare).batch(64, drop_remainder=True).prefetch(tf.data.AUTOTUNE)
ds_test = ds_test.map(prepare).batch(64, drop_remainder=True)

augmentation = keras.Sequential(
    [layers.RandomRotation(factor=0.15), layers.RandomTranslation(height_factor=0.1, width_factor=0.1), layers.RandomFlip()]
)


def build_model(num_classes):
    inputs = layers.Input(shape=(IMG_SIZE, IMG_SIZE, 3))
    x = augmentation(inputs)
    backbone = EfficientNetB0(include_top=False, input_tensor=x, weights="imagenet")
    backbone.trainable = False

    x = layers.GlobalAveragePooling2D(name="avg_pool")(backbone.output)
    x = layers.BatchNormalization()(x)
    x = layers.Dropout(0.2, name="top_dropout")(x)
    outputs = layers.Dense(num_classes, activation="softmax", name="pred")(x)

    model = keras.Model(inputs, outputs, name="EfficientNet")
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-2), loss="categorical_crossentropy", metrics=["accuracy"])
    return model


model = build_model(num_classes=NUM_CLASSES)
model.fit(ds_train, epochs=25, validation_data=ds_test)


def unfreeze_model(model):
    # The top 20 layers become trainable; BatchNormalization layers stay frozen.
    for layer in model.layers[-20:]:
        if not isinstance(layer, layers.BatchNormalization):
            layer.trainable = True
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-5), loss="categorical_crossentropy", metrics=["accuracy"])


unfreeze_model(model)
model.fit(ds_train, epochs=4, validation_data=ds_test)
