"""Model readers: saved Keras files (.keras, .h5, model JSON) and live ``keras.Model`` objects."""
