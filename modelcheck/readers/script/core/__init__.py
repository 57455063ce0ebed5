"""The abstract interpreter of Python scripts: values, expressions, statements. Knows nothing of Keras."""
