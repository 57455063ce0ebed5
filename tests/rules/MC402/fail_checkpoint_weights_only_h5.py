from keras.callbacks import ModelCheckpoint

checkpoint = ModelCheckpoint('weights-{epoch:02d}.h5', monitor='val_loss', save_best_only=True, save_weights_only=True)
