from keras.callbacks import EarlyStopping, ModelCheckpoint

model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
callbacks = [
    EarlyStopping(monitor="val_loss", patience=3),
    ModelCheckpoint("best.keras", monitor="val_accuracy", save_best_only=True),
]
model.fit(x_train, y_train, validation_split=0.2, epochs=20, callbacks=callbacks)
