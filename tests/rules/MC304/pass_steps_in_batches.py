import math

nb_train_samples = 2000
batch_size = 16

model.fit(train_generator, steps_per_epoch=math.ceil(nb_train_samples / batch_size), epochs=50)
