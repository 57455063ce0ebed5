"""modelcheck: a linter and static checker for Keras transfer-learning image classifiers.

``modelcheck.check(obj)`` checks a live ``keras.Model``, a path or a list of
paths and returns a :class:`modelcheck.api.Report`;
``from modelcheck.keras import ModelCheck`` gives the Keras callback. Both are
loaded on first use, so ``import modelcheck`` stays light (no Keras, no TensorFlow).
"""

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

__all__ = ["__version__", "check", "Report"]

if TYPE_CHECKING:  # pragma: no cover
    from modelcheck.api import Report, check

_LAZY = {"check": "modelcheck.api", "Report": "modelcheck.api"}


def __getattr__(name: str) -> Any:
    import importlib

    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    if name == "keras":  # `modelcheck.keras` without importing it first: the callback module (imports Keras)
        return importlib.import_module("modelcheck.keras")
    raise AttributeError(f"module 'modelcheck' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))  # not "keras": introspection must not import Keras
