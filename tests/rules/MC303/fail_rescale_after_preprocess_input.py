from keras.applications import ResNet50
from keras.applications.resnet50 import preprocess_input
from keras.preprocessing.image import ImageDataGenerator

base = ResNet50(weights='imagenet', include_top=False, input_shape=(224, 224, 3))
datagen = ImageDataGenerator(preprocessing_function=preprocess_input, rescale=1./255)
train = datagen.flow_from_directory('data/train', target_size=(224, 224))
val = datagen.flow_from_directory('data/val', target_size=(224, 224))
