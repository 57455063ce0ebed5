from keras.applications import DenseNet121
from keras import Input, Model, layers

base = DenseNet121(weights='imagenet', include_top=False, input_shape=(224, 224, 3))
inputs = Input(shape=(224, 224, 3))
x = base(inputs, training=False)
x = layers.Flatten()(x)
x = layers.Dense(512, activation='relu')(x)
outputs = layers.Dense(5, activation='softmax')(x)
model = Model(inputs, outputs)
