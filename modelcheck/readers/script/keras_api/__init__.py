"""Keras semantics for the script interpreter: layers, models, backbones, pipelines, training calls."""
