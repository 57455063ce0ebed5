"""Recognise a ``keras.applications`` backbone in a flat list of layer names.

A model file lists its layers by name.  A backbone shows up there either as
one nested layer (whose own layer list the reader passes here) or flattened
into the user's model.  Names Keras generated carry a per-session counter
(``conv2d_57``, ``add_3``, ``input_layer_2``), so comparison uses
:func:`~modelcheck.knowledge.families.canonical_name`; the InputLayer is not
compared at all (a Sequential built from a backbone's layers has none).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

from modelcheck.knowledge.families import canonical_name

if TYPE_CHECKING:
    pass

__all__ = ["SequenceMatch", "match_layers"]

# Shorter common prefixes are too generic to name a backbone.
MIN_PARTIAL = 10


@dataclass(frozen=True)
class SequenceMatch:
    """A backbone found in a layer list.

    ``offset`` maps backbone indices to positions in the list searched:
    ``position = offset + backbone_index``, so it is ``-1`` when the list
    starts with the backbone's first layer after its InputLayer.  ``variant``
    names the layer list that matched (``"keras3"``, ``"keras3+ops"`` for a
    Keras 3 saved config that lists ``keras.ops`` calls, ``"keras2"``, each
    optionally with ``"+imagenet"``).  ``length`` counts matched backbone
    layers excluding the InputLayer; ``complete`` is false for a truncated
    backbone (``allow_partial``), with ``candidates`` listing every backbone
    that shares the matched prefix.
    """

    name: str
    offset: int
    variant: str
    length: int
    complete: bool
    candidates: tuple[str, ...]
    keras: int
    imagenet_weights: bool


@dataclass(frozen=True)
class _Variant:
    name: str
    label: str
    keras: int
    imagenet: bool
    sequence: tuple[str, ...]


def _canonical_sequence(layers: Sequence[str], auto: set[int]) -> tuple[str, ...]:
    return tuple(re.sub(r"_\d+$", "", n) if i in auto else n for i, n in enumerate(layers))


@lru_cache(maxsize=1)
def _variants() -> tuple[_Variant, ...]:
    from modelcheck.knowledge import load_backbones

    seen: set[tuple[str, tuple[str, ...]]] = set()
    out = []
    for name, backbone in sorted(load_backbones().items()):
        for keras in backbone.keras_versions:
            for imagenet in (False, True) if backbone.imagenet_extra(keras) else (False,):
                layout = backbone.layout(keras=keras, imagenet=imagenet)
                label = f"keras{keras}" + ("+imagenet" if imagenet else "")
                sequences = [(label, _canonical_sequence(layout.layers, set(layout.auto_named)))]
                ops = backbone.config_sequence() if keras == 3 and not imagenet else None
                if ops is not None:
                    sequences.append((f"{label}+ops", ops))
                for variant_label, sequence in sequences:
                    if (name, sequence) not in seen:
                        seen.add((name, sequence))
                        out.append(_Variant(name, variant_label, keras, imagenet, sequence[1:]))
    return tuple(out)


def match_layers(layer_names: Sequence[str], *, allow_partial: bool = False) -> SequenceMatch | None:
    """Find the backbone whose layer list appears in ``layer_names``.

    A complete match wins over a partial one, a longer one over a shorter one
    (VGG19 over VGG16, ResNet152 over ResNet101).  With ``allow_partial`` a
    list holding only the first ``MIN_PARTIAL``+ layers of a backbone (a
    truncated feature extractor) matches too.
    """
    from modelcheck.knowledge import auto_name_bases

    bases = auto_name_bases()
    names = [canonical_name(n, bases) for n in layer_names]
    positions: dict[str, list[int]] = {}
    for i, n in enumerate(names):
        positions.setdefault(n, []).append(i)

    best: tuple[tuple[int, int], _Variant, int, int] | None = None
    partial_names: dict[int, set[str]] = {}
    for variant in _variants():
        seq = variant.sequence
        for start in positions.get(seq[0], ()):
            length = 0
            limit = min(len(seq), len(names) - start)
            while length < limit and names[start + length] == seq[length]:
                length += 1
            complete = length == len(seq)
            if not complete and (not allow_partial or length < MIN_PARTIAL):
                continue
            if not complete:
                partial_names.setdefault(length, set()).add(variant.name)
            rank = (int(complete), length)
            if best is None or rank > best[0]:
                best = (rank, variant, start, length)
    if best is None:
        return None
    (is_complete, length), variant, start, _ = best
    candidates = (variant.name,) if is_complete else tuple(sorted(partial_names[length]))
    return SequenceMatch(
        name=variant.name,
        offset=start - 1,
        variant=variant.label,
        length=length,
        complete=bool(is_complete),
        candidates=candidates,
        keras=variant.keras,
        imagenet_weights=variant.imagenet,
    )
