"""JSON as untrusted input: a nesting bound before parsing, and Keras model JSON (``model.to_json()``).

Every failure is an InputError naming what was being read: deep nesting would
otherwise surface as a RecursionError here or in the recursive readers downstream.
"""

from __future__ import annotations

import json
import re
from itertools import accumulate
from typing import Any

from modelcheck.errors import InputError, NoSetup
from modelcheck.ir import TrainingSetup
from modelcheck.readers.model.model_config import setup_from_configs

MAX_CONFIG_BYTES = 16 * 1024 * 1024  # NASNetLarge, the largest keras.applications config, is 1.6 MB
MAX_JSON_DEPTH = 200
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


_JSON_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.S)
_BRACKET_CODES = bytes(1 if c in b"[{" else 2 if c in b"]}" else 0 for c in range(256))
_BRACKET_STEPS = (0, 1, -1) + (0,) * 253


def json_depth(data: bytes) -> int:
    """The deepest nesting of arrays and objects in JSON text (brackets inside strings do not count).

    Runs at C speed (a regex, ``bytes.translate``, ``itertools.accumulate``):
    about 0.5 s for 60 MB of brackets.
    """
    if data.count(b"[") + data.count(b"{") == 0:
        return 0
    steps = _JSON_STRING.sub(b'""', data).translate(_BRACKET_CODES)
    return max(0, max(accumulate(map(_BRACKET_STEPS.__getitem__, steps)), default=0))


def load_json(data: bytes | str, what: str) -> Any:
    """json.loads with a nesting bound; every failure is an InputError naming ``what``.

    Deep nesting would otherwise surface as a RecursionError here or in the
    recursive readers downstream.
    """
    if isinstance(data, bytes):
        raw = data[3:] if data.startswith(b"\xef\xbb\xbf") else data  # a BOM from a Windows editor
        data = raw
        if looks_like_utf16(data):  # UTF-16 without a byte order mark decodes as UTF-8 with NULs
            raise InputError(f"{what} is not UTF-8 text (it is UTF-16: save JSON as UTF-8)")
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            raise InputError(f"{what} is not UTF-8 text") from None
    else:
        text = data
        raw = data.encode("utf-8", "surrogatepass")
    if raw.count(b"[") + raw.count(b"{") > MAX_JSON_DEPTH and json_depth(raw) > MAX_JSON_DEPTH:
        raise InputError(f"{what} is nested deeper than {MAX_JSON_DEPTH} levels")
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as error:
        line, column = getattr(error, "lineno", None), getattr(error, "colno", None)
        raise InputError(f"{what} is not valid JSON: {one_line(str(error))}", line=line, column=column) from None


def one_line(text: str, limit: int = 300) -> str:
    """A message fit for a one-line finding: whitespace collapsed, bounded length."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def looks_like_utf16(data: bytes) -> bool:
    """JSON text in UTF-16: a byte order mark, or ``{``/``[`` first with every other byte zero (no mark)."""
    head = data[:64]
    if head[:2] in _UTF16_BOMS:
        return True
    for encoding, zeros in (("utf-16-le", head[1::2]), ("utf-16-be", head[0::2])):
        if len(head) >= 8 and zeros.count(0) == len(zeros):
            return head.decode(encoding, "replace").lstrip()[:1] in ("{", "[")
    return False


# --- model JSON ---------------------------------------------------------------------------


def read_model_json(path: str, data: bytes) -> TrainingSetup:
    """A `model.to_json()` file: the model config alone."""
    if len(data) > MAX_CONFIG_BYTES:
        raise InputError(f"JSON file is over the {MAX_CONFIG_BYTES}-byte bound for model configs")
    config = load_json(data, "model JSON")
    if not looks_like_model_config(config):
        raise NoSetup("JSON file is not a Keras model config (no class_name/config with layers)")
    version = config.get("keras_version")
    return setup_from_configs(path, config, None, keras_version=version if isinstance(version, str) else None)


def looks_like_model_config(config: Any) -> bool:
    """A dict with a class name and a ``config.layers`` list: what ``model.to_json()`` writes."""
    return (
        isinstance(config, dict)
        and isinstance(config.get("class_name"), str)
        and isinstance(config.get("config"), dict)
        and isinstance(config["config"].get("layers"), list)
    )
