"""Rule modules; importing this package registers every rule with the engine."""

from modelcheck.checks import architecture, pipeline, safety, training, transfer  # noqa: F401
