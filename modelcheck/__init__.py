"""modelcheck: a linter and static checker for Keras transfer-learning image classifiers."""

__version__ = "0.1.0"
