model.fit(train_generator, epochs=10, class_weight='auto')
