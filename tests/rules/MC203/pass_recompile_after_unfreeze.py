import keras
from keras import layers

base = keras.applications.VGG16(weights="imagenet", include_top=False, input_shape=(224, 224, 3))
base.trainable = False
inputs = keras.Input((224, 224, 3))
x = base(inputs, training=False)
x = layers.GlobalAveragePooling2D()(x)
outputs = layers.Dense(5, activation="softmax")(x)
model = keras.Model(inputs, outputs)
model.compile(loss="categorical_crossentropy", optimizer=keras.optimizers.Adam(1e-3), metrics=["accuracy"])
model.fit(train_ds, epochs=5)

base.trainable = True
model.compile(loss="categorical_crossentropy", optimizer=keras.optimizers.Adam(1e-5), metrics=["accuracy"])
model.fit(train_ds, epochs=5)
