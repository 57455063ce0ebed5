import keras

model.compile(loss="categorical_crossentropy", optimizer=keras.optimizers.SGD(learning_rate=0.01), metrics=["accuracy"])
model.fit(train_ds, epochs=10, validation_data=val_ds)
