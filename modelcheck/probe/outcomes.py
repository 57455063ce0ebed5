"""The probe's own outcomes: MC510 probe-inconclusive and MC511 probe-failed.

Neither is a verdict about the user's setup: MC510 says the probe ran but
cannot decide, MC511 that it could not run. Both say why and what to do, and
neither changes the exit code (that follows the static result). MC001 stays
for inputs that cannot be read at all.
"""

from __future__ import annotations

from modelcheck.engine import report
from modelcheck.findings import Finding
from modelcheck.ir import Location

OUTCOME_CODES = frozenset({"MC510", "MC511"})
"""Probe outcomes that never make the run fail (the exit code follows the static result)."""

OOM_HINT = (
    "Probe on the CPU (CUDA_VISIBLE_DEVICES=''), with a smaller input size, or freeze the backbone so the "
    "frozen-prefix cache takes it out of training."
)
OOM_HINT_CPU = (
    "Free memory for the probe, or probe at a smaller input size; a frozen backbone called with training=False "
    "is run once by the frozen-prefix cache instead of every step."
)
REBUILD_HINT = (
    "Probe the saved model file instead (model.save('model.keras'), then modelcheck --probe model.keras), "
    "or probe the live model from your code with modelcheck.probe.probe(model)."
)
BACKEND_HINT = (
    "Run the probe on another Keras backend (KERAS_BACKEND=tensorflow, jax or torch) or report the error "
    "to modelcheck with the message above."
)


def failed(why: str, location: Location, hint: str = BACKEND_HINT) -> Finding:
    """MC511: the probe could not run, with why and what to do."""
    return report("MC511", f"the probe could not run: {why}", location, hint=hint)


def inconclusive(why: str, location: Location, hint: str) -> Finding:
    """MC510: the probe ran but cannot decide, with why and what to do."""
    return report("MC510", f"the probe cannot decide: {why}", location, hint=hint)


def error_text(error: BaseException, limit: int = 300) -> str:
    """'TypeName: first line of the message', bounded."""
    first = str(error).splitlines()[0] if str(error) else ""
    return f"{type(error).__name__}: {first}"[:limit] if first else type(error).__name__
