from keras.optimizers import SGD
from keras.optimizers.schedules import InverseTimeDecay
from keras.callbacks import ModelCheckpoint

optimizer = SGD(learning_rate=InverseTimeDecay(0.01, decay_steps=1, decay_rate=1e-6), momentum=0.9)
checkpoint = ModelCheckpoint('weights-{epoch:02d}.weights.h5', monitor='val_loss', save_best_only=True, save_weights_only=True)
model.fit(train_generator, epochs=10, class_weight={0: 1.0, 1: 3.0}, callbacks=[checkpoint])
