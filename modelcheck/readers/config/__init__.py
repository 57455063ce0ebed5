"""The training-config reader: YAML/TOML/JSON text, its schema, and the IR it becomes."""
