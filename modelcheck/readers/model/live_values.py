"""Plain values from live Keras, TensorFlow and NumPy objects: JSON configs, shapes, integers.

The live readers (:mod:`live`, :mod:`live_training`, :mod:`live_data`) read
objects by duck typing; these helpers turn what they find into the plain data
the IR holds, without importing Keras or TensorFlow.
"""

from __future__ import annotations

import json
from typing import Any

from modelcheck.errors import InputError
from modelcheck.ir import Shape


def plain_json(value: Any) -> Any:
    """The JSON form of a config (tuples become lists, NumPy scalars numbers), as model.to_json() has it."""
    def default(obj: Any) -> Any:
        item = getattr(obj, "item", None)
        if callable(item):
            try:
                return item()
            except Exception:  # noqa: BLE001 - an array: keep a placeholder
                pass
        return repr(obj)

    try:
        return json.loads(json.dumps(value, default=default))
    except (TypeError, ValueError, RecursionError) as error:
        raise InputError(f"the model config cannot be read ({type(error).__name__}: {error})") from None


def shape_of(shape: Any) -> Shape | None:
    """A tensor or array shape as a tuple (unknown dimensions None); None when it cannot be read."""
    if shape is None:
        return None
    try:
        dims = list(shape.as_list()) if hasattr(shape, "as_list") else list(shape)
    except (TypeError, ValueError):
        return None
    result: list[int | None] = []
    for dim in dims:
        value = getattr(dim, "value", dim)  # TF1-style Dimension
        result.append(int(value) if hasattr(value, "__index__") and not isinstance(value, bool) else None)
    return tuple(result)


def as_int(value: Any) -> int | None:
    """An integer count (NumPy integers too); None for booleans and anything else."""
    if isinstance(value, bool):
        return None
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None

