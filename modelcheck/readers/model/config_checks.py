"""Refuse model configs Keras itself would refuse to rebuild (MC001), naming the layer and the field.

A saved config whose layer graph has a cycle, names an inbound layer that does
not exist, has no ``class_name``, or holds ``units: "five"`` cannot be loaded;
reporting it as clean would vouch for a file nobody can use. Only the fields
the rules read are checked, with Keras's own rules for them (``Dense`` and the
convolutions refuse a non-positive or non-integer ``units``/``filters``).
"""

from __future__ import annotations

import numbers
from typing import Any

from modelcheck.errors import InputError


def check_entries(
    entries: list[Any],
    names: list[str],
    inbounds: list[tuple[str, ...]],
    where: str,
) -> None:
    """InputError for the first layer entry Keras could not rebuild; ``names[i]`` names ``entries[i]``, ``inbounds[i]`` its inputs."""
    known = set(names)
    edges: dict[str, tuple[str, ...]] = {}
    for entry, name, inbound in zip(entries, names, inbounds):
        label = f"{where}{name}"
        if not isinstance(entry.get("class_name"), str) or not entry["class_name"]:
            raise InputError(f"layer '{label}' has no class_name: Keras cannot rebuild it", key=f"{label}.class_name")
        config = entry.get("config")
        if config is not None and not isinstance(config, dict):
            raise InputError(f"layer '{label}' has a config that is not an object", key=f"{label}.config")
        _check_fields(config or {}, label)
        for source in inbound:
            if source not in known:
                raise InputError(
                    f"layer '{label}' takes its input from layer '{source}', which this model does not have",
                    key=f"{label}.inbound_nodes",
                )
        edges[name] = inbound
    cycle = _cycle(edges)
    if cycle:
        path = " -> ".join(f"'{where}{name}'" for name in cycle)
        raise InputError(f"the layer graph has a cycle ({path}): Keras cannot build it", key=f"{where}{cycle[0]}.inbound_nodes")


def _check_fields(config: dict[str, Any], label: str) -> None:
    for field in ("units", "filters"):
        if field not in config or (field == "filters" and config[field] is None):
            continue
        value = config[field]
        # Integral: a live tf-keras model may hold a NumPy integer, which Keras 2 accepts
        if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value <= 0:
            raise InputError(
                f"layer '{label}' has {field} {_shown(value)}: Keras needs a positive integer",
                key=f"{label}.{field}",
            )
    activation = config.get("activation")
    if "activation" in config and activation is not None and not isinstance(activation, (str, dict)):
        raise InputError(f"layer '{label}' has activation {_shown(activation)}: Keras needs a name or a serialized function", key=f"{label}.activation")


def _shown(value: Any) -> str:
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 64:
        return f"an integer of {value.bit_length()} bits"
    text = repr(value) if isinstance(value, (str, int, float, bool)) or value is None else type(value).__name__
    return text if len(text) <= 60 else text[:57] + "..."


def _cycle(edges: dict[str, tuple[str, ...]]) -> list[str] | None:
    """One cycle of the inbound graph (names, first repeated at the end), or None; iterative, linear."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    for start in edges:
        if state.get(start):
            continue
        path: list[str] = []
        stack: list[tuple[str, int]] = [(start, 0)]
        while stack:
            name, index = stack.pop()
            if index == 0:
                state[name] = 1
                path.append(name)
            sources = edges.get(name, ())
            if index < len(sources):
                stack.append((name, index + 1))
                source = sources[index]
                if state.get(source) == 1:
                    return path[path.index(source):] + [source]
                if not state.get(source):
                    stack.append((source, 0))
            else:
                state[name] = 2
                path.pop()
    return None
