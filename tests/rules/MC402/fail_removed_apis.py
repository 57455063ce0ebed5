from keras.optimizers import SGD

model.compile(loss="categorical_crossentropy", optimizer=SGD(lr=0.01, decay=1e-6), metrics=["accuracy"])
model.fit_generator(train_generator, samples_per_epoch=2000, nb_epoch=10)
