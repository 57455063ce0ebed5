# Seed 000, corrected: relu in the hidden layer, VGG16's own preprocessing, a pooled head,
# the backbone in inference mode, whole-dataset epochs, and current Keras APIs.
from keras.applications.vgg16 import VGG16, preprocess_input
from tensorflow.keras.preprocessing.image import ImageDataGenerator
from keras.layers import Input, GlobalAveragePooling2D, Dense, Dropout
from keras.models import Model
from keras import optimizers

train_data_dir = 'dataset/training_set'
validation_data_dir = 'dataset/test_set'
img_width, img_height = 299, 299
batch_size = 24
nb_classes = 5
epochs = 10

base = VGG16(weights='imagenet', include_top=False, input_shape=(img_width, img_height, 3))
for layer in base.layers[:15]:
    layer.trainable = False

inputs = Input(shape=(img_width, img_height, 3), name='image_input')
x = base(inputs, training=False)
x = GlobalAveragePooling2D()(x)
x = Dense(256, activation='relu')(x)
x = Dropout(0.5)(x)
outputs = Dense(nb_classes, activation='softmax', name='predictions')(x)
model = Model(inputs=inputs, outputs=outputs)

model.compile(loss='categorical_crossentropy',
              optimizer=optimizers.SGD(learning_rate=1e-4, momentum=0.9),
              metrics=['accuracy'])

train_datagen = ImageDataGenerator(preprocessing_function=preprocess_input, zoom_range=0.2, horizontal_flip=True)
validation_datagen = ImageDataGenerator(preprocessing_function=preprocess_input)

train_generator = train_datagen.flow_from_directory(
    train_data_dir,
    target_size=(img_width, img_height),
    color_mode='rgb',
    class_mode='categorical',
    batch_size=batch_size)

validation_generator = validation_datagen.flow_from_directory(
    validation_data_dir,
    target_size=(img_width, img_height),
    color_mode='rgb',
    class_mode='categorical',
    batch_size=batch_size)

history = model.fit(
    train_generator,
    epochs=epochs,
    validation_data=validation_generator)
