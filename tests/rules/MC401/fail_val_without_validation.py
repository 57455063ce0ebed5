from keras.callbacks import EarlyStopping

model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
stop = EarlyStopping(monitor="val_accuracy", patience=3)
model.fit(x_train, y_train, epochs=20, callbacks=[stop])
