"""Rule modules. Every module in this package is imported once, which registers its rules with the engine.

Adding a rule module needs no central list: :func:`load_all` discovers it.
"""

from __future__ import annotations

import importlib
import pkgutil

_loaded = False


def load_all() -> None:
    """Import every rule module of this package (idempotent: the folder is listed once, not on every check)."""
    global _loaded
    if _loaded:
        return
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda module: module.name):
        importlib.import_module(f"{__name__}.{info.name}")
    _loaded = True
