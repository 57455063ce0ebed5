import keras
from keras import layers

base = keras.applications.ResNet50(weights=None, include_top=False, input_shape=(224, 224, 3))
outputs = layers.Dense(5, activation="softmax")(layers.GlobalAveragePooling2D()(base.output))
model = keras.Model(base.input, outputs)
model.compile(loss="categorical_crossentropy", optimizer=keras.optimizers.SGD(learning_rate=0.05), metrics=["accuracy"])
