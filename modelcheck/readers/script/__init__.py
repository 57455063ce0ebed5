"""The script reader: an abstract interpreter (``core``) applying Keras semantics (``keras_api``)."""
