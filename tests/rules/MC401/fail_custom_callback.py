import keras

model.compile(loss="binary_crossentropy", optimizer="adam", metrics=["acc"])
saver = keras.callbacks.BackupAndRestore("backup")
board = keras.callbacks.TensorBoard(log_dir="logs")
plateau = keras.callbacks.ReduceLROnPlateau(monitor="val_accuracy")
model.fit(x_train, y_train, validation_data=(x_val, y_val), epochs=20, callbacks=[saver, board, plateau])
