# Seed 001: three VGG16 variants for a 2-class parking-lot task (empty / occupied).
import keras
from keras.models import Sequential
from keras.utils import get_file
from keras.layers import Dense, Conv2D, MaxPool2D, Flatten, BatchNormalization, Dropout


def VGG16(num_classes=2, input_shape=(224, 224, 3)):
    """The original VGG16, trained from scratch."""
    model = Sequential()
    model.add(Conv2D(input_shape=input_shape, filters=64, kernel_size=(3, 3), padding="same", activation="relu"))
    model.add(Conv2D(filters=64, kernel_size=(3, 3), padding="same", activation="relu"))
    model.add(MaxPool2D(pool_size=(2, 2), strides=(2, 2)))
    model.add(Conv2D(filters=128, kernel_size=(3, 3), padding="same", activation="relu"))
    model.add(Conv2D(filters=128, kernel_size=(3, 3), padding="same", activation="relu"))
    model.add(MaxPool2D(pool_size=(2, 2), strides=(2, 2)))
    model.add(Flatten())
    model.add(Dense(units=4096, activation="relu"))
    model.add(Dense(units=4096, activation="relu"))
    model.add(Dense(units=num_classes, activation="softmax"))
    return model


def OVGG16(num_classes=2, input_shape=(224, 224, 3)):
    """VGG16 'optimised' with L2 regularisation, BatchNormalization and Dropout."""
    weight_decay = 0.0005
    model = Sequential()
    model.add(Conv2D(input_shape=input_shape, filters=64, kernel_size=(3, 3), padding='same',
                     kernel_regularizer=keras.regularizers.l2(weight_decay), activation="relu"))
    model.add(BatchNormalization())
    model.add(Dropout(0.3))
    model.add(Conv2D(filters=64, kernel_size=(3, 3), padding="same",
                     kernel_regularizer=keras.regularizers.l2(weight_decay), activation="relu"))
    model.add(BatchNormalization())
    model.add(MaxPool2D(pool_size=(2, 2), strides=(2, 2)))
    model.add(Conv2D(filters=128, kernel_size=(3, 3), padding="same",
                     kernel_regularizer=keras.regularizers.l2(weight_decay), activation="relu"))
    model.add(BatchNormalization())
    model.add(MaxPool2D(pool_size=(2, 2), strides=(2, 2)))
    model.add(Dropout(0.5))
    model.add(Flatten())
    model.add(Dense(units=512, kernel_regularizer=keras.regularizers.l2(weight_decay), activation="relu"))
    model.add(BatchNormalization())
    model.add(Dense(units=512, kernel_regularizer=keras.regularizers.l2(weight_decay), activation="relu"))
    model.add(BatchNormalization())
    model.add(Dropout(0.5))
    model.add(Dense(units=num_classes, activation="softmax"))
    return model


def MVGG16(num_classes=2, input_shape=(224, 224, 3)):
    """Transfer learning: VGG16's conv layers with ImageNet weights, the first 13 frozen."""
    weights_url = ('https://github.com/fchollet/deep-learning-models/releases/download/v0.1/'
                   'vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5')
    model = Sequential()
    model.add(Conv2D(input_shape=input_shape, filters=64, kernel_size=(3, 3), padding="same", activation="relu"))
    model.add(Conv2D(filters=64, kernel_size=(3, 3), padding="same", activation="relu"))
    model.add(MaxPool2D(pool_size=(2, 2), strides=(2, 2)))
    model.add(Conv2D(filters=128, kernel_size=(3, 3), padding="same", activation="relu"))
    model.add(Conv2D(filters=128, kernel_size=(3, 3), padding="same", activation="relu"))
    model.add(MaxPool2D(pool_size=(2, 2), strides=(2, 2)))
    weights_path = get_file('vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5', weights_url,
                            cache_subdir='models')
    model.load_weights(weights_path)
    for layer in model.layers[:13]:
        layer.trainable = False
    model.add(Flatten())
    model.add(Dense(units=256, activation="relu"))
    model.add(Dense(units=128, activation="relu"))
    model.add(Dense(units=num_classes, activation="softmax"))
    return model
