import keras

nb_train_samples = 2000
nb_validation_samples = 800
batch_size = 16

model.fit(
    train_generator,
    steps_per_epoch=nb_train_samples,
    epochs=50,
    validation_data=validation_generator,
    validation_steps=nb_validation_samples,
)
