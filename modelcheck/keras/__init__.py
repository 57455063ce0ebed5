"""``from modelcheck.keras import ModelCheck``: the Keras callback (see :mod:`modelcheck.keras_callback`).

Importing this package imports Keras. Inside it, and everywhere in modelcheck,
``import keras`` is absolute and finds the real Keras: a package's own
submodule never shadows a top-level name. The one way it could is running a
file with ``modelcheck/`` itself on ``sys.path`` (``python modelcheck/x.py``);
then this package is being imported *as* ``keras``, and it hands the real
Keras over instead of pretending to be it.
"""

if __name__ == "keras":  # imported as the top-level `keras` because modelcheck/ is on sys.path
    import importlib as _importlib
    import os as _os
    import sys as _sys

    _inside = _os.path.dirname(_os.path.dirname(_os.path.abspath(__file__)))
    _saved = list(_sys.path)
    _sys.path[:] = [p for p in _sys.path if _os.path.abspath(p or _os.curdir) != _inside]
    del _sys.modules[__name__]
    try:
        _sys.modules[__name__] = _importlib.import_module("keras")  # the import system returns this entry
    finally:
        _sys.path[:] = _saved
else:
    from modelcheck.keras_callback import ModelCheck, ModelCheckError, ModelCheckWarning

    __all__ = ["ModelCheck", "ModelCheckError", "ModelCheckWarning"]
