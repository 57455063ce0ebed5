"""Readers turn one input (model file, script, config, live model) into a TrainingSetup."""
