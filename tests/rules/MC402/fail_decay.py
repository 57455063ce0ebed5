from keras.optimizers import SGD

optimizer = SGD(learning_rate=0.01, momentum=0.9, decay=1e-6)
