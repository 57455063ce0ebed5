"""One concrete layer list of a backbone, and freeze-boundary arithmetic.

No Keras import: everything here works on the data in ``rules/backbones.json``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from collections.abc import Mapping, Sequence
from typing import Any

from modelcheck.knowledge.families import is_auto_named

__all__ = ["FreezeBoundary", "Layout"]

STEM = "stem"
TOP = "top"


@dataclass(frozen=True)
class FreezeBoundary:
    """Where ``layers[:index]`` frozen / ``layers[index:]`` trainable falls.

    ``aligned`` is true when the boundary sits between two blocks (or stem /
    top), allowing it to move across weightless layers only: freezing a
    pooling, padding, activation or add layer changes nothing, so a boundary
    just before or after ``block4_pool`` counts as aligned with block 5.

    ``cut_block`` names the block (or ``"stem"`` / ``"top"``) split by an
    unaligned boundary, with its inclusive index range in ``cut_block_range``.
    For an unaligned boundary, ``previous_aligned`` / ``next_aligned`` are the
    starts of the cut block and of the block after it (train the whole block,
    or freeze it); ``nearest_aligned`` is the closer of the two (the earlier
    one on a tie).  For an aligned boundary all three equal ``index``.
    ``splits_connections`` says more than one tensor crosses the boundary (a
    residual or branch connection is cut).
    """

    index: int
    aligned: bool
    cut_block: str | None
    cut_block_range: tuple[int, int] | None
    previous_aligned: int
    next_aligned: int
    nearest_aligned: int
    splits_connections: bool
    trainable_batchnorm: tuple[int, ...]
    cut_block_trainable_batchnorm: tuple[int, ...]
    cut_block_frozen_weighted: tuple[int, ...]


@dataclass(frozen=True)
class Layout:
    """Per-layer facts of one build (Keras 3 or 2, with or without imagenet weights).

    Indices are positions in ``model.layers`` of an ``include_top=False``
    build; ``layers[0]`` is the InputLayer.
    """

    layers: tuple[str, ...]
    classes: tuple[str, ...]
    blocks: tuple[str | None, ...]
    block_ends: tuple[int, ...]
    batchnorm: tuple[int, ...]
    weighted: tuple[int, ...]
    cuts: tuple[int, ...]
    auto_named: tuple[int, ...]

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Layout:
        """Build from a ``backbones.json`` entry (or its ``keras2`` part)."""
        return cls(
            layers=tuple(data["layers"]),
            classes=tuple(data["classes"]),
            blocks=tuple(data["blocks"]),
            block_ends=tuple(data["block_ends"]),
            batchnorm=tuple(data["batchnorm"]),
            weighted=tuple(data["weighted"]),
            cuts=tuple(data["cuts"]),
            auto_named=tuple(data["auto_named"]),
        )

    def __len__(self) -> int:
        return len(self.layers)

    def index_of(self, name: str) -> int:
        """Index of a layer by name (``ValueError`` when absent)."""
        return self.layers.index(name)

    def block_of(self, index: int) -> str | None:
        """Block of ``layers[index]``; ``None`` for input, stem and top."""
        return self.blocks[index]

    def segment_of(self, index: int) -> str:
        """Block of ``layers[index]``, or ``"stem"`` / ``"top"`` outside blocks."""
        block = self.blocks[index]
        if block is not None:
            return block
        first = next((i for i, b in enumerate(self.blocks) if b is not None), len(self))
        return STEM if index < first else TOP

    def block_range(self, block: str) -> tuple[int, int]:
        """Inclusive ``(first, last)`` indices of a block, ``"stem"`` or ``"top"``."""
        members = [i for i in range(len(self)) if self.segment_of(i) == block]
        if not members:
            raise KeyError(block)
        return members[0], members[-1]

    @property
    def block_names(self) -> tuple[str, ...]:
        """Blocks in order."""
        return tuple(b for i in self.block_ends if (b := self.blocks[i]) is not None)

    @cached_property
    def _segments(self) -> tuple[str, ...]:
        return tuple(self.segment_of(i) for i in range(len(self)))

    @cached_property
    def block_boundaries(self) -> tuple[int, ...]:
        """First indices of every block, stem and top, plus ``len(self)``."""
        segments = self._segments
        n = len(self)
        return tuple([0] + [b for b in range(1, n) if segments[b - 1] != segments[b]] + [n])

    @cached_property
    def aligned_indices(self) -> frozenset[int]:
        """Every first-trainable index that does not split a block."""
        n = len(self)
        weighted = set(self.weighted)
        aligned = set(self.block_boundaries)
        for boundary in self.block_boundaries:
            b = boundary
            while b > 0 and b - 1 not in weighted:
                b -= 1
                aligned.add(b)
            b = boundary
            while b < n and b not in weighted:
                b += 1
                aligned.add(b)
        return frozenset(aligned)

    def normalize_index(self, index: int) -> int:
        """Slice semantics: ``layers[:-8]`` → ``len - 8``, clamped to ``0..len``."""
        n = len(self)
        if index < 0:
            index += n
        return min(max(index, 0), n)

    def freeze_boundary(self, first_trainable: int) -> FreezeBoundary:
        """Describe the boundary ``layers[:first_trainable]`` frozen, rest trainable.

        ``first_trainable`` may be negative, as in ``layers[:-8]``.
        """
        b = self.normalize_index(first_trainable)
        if b in self.aligned_indices:
            previous = following = nearest = b
            cut_block = None
        else:
            previous = max(a for a in self.block_boundaries if a <= b)
            following = min(a for a in self.block_boundaries if a >= b)
            nearest = previous if b - previous <= following - b else following
            cut_block = self._segments[b]
        cut_range = self.block_range(cut_block) if cut_block is not None else None
        trainable_bn = tuple(i for i in self.batchnorm if i >= b)
        in_block_bn: tuple[int, ...] = ()
        frozen_in_block: tuple[int, ...] = ()
        if cut_range is not None:
            in_block_bn = tuple(i for i in trainable_bn if i <= cut_range[1])
            frozen_in_block = tuple(i for i in self.weighted if cut_range[0] <= i < b)
        return FreezeBoundary(
            index=b,
            aligned=cut_block is None,
            cut_block=cut_block,
            cut_block_range=cut_range,
            previous_aligned=previous,
            next_aligned=following,
            nearest_aligned=nearest,
            splits_connections=0 < b < len(self) and b not in set(self.cuts),
            trainable_batchnorm=trainable_bn,
            cut_block_trainable_batchnorm=in_block_bn,
            cut_block_frozen_weighted=frozen_in_block,
        )

    def with_inserted(self, index: int, name: str, class_name: str) -> Layout:
        """This layout with one weightless layer inserted at ``index``.

        Used for the extra layer a ``weights="imagenet"`` build has.  The new
        layer joins its neighbours' block when both share one.
        """

        def shift(indices: tuple[int, ...]) -> tuple[int, ...]:
            return tuple(i + 1 if i >= index else i for i in indices)

        before = self.blocks[index - 1] if index > 0 else None
        after = self.blocks[index] if index < len(self) else None
        cuts = shift(self.cuts)
        if index in self.cuts:
            cuts = tuple(sorted(set(cuts) | {index}))
        auto = shift(self.auto_named)
        if is_auto_named(name, class_name):
            auto = tuple(sorted((*auto, index)))
        blocks = (*self.blocks[:index], before if before == after else None, *self.blocks[index:])
        return Layout(
            layers=(*self.layers[:index], name, *self.layers[index:]),
            classes=(*self.classes[:index], class_name, *self.classes[index:]),
            blocks=blocks,
            block_ends=tuple(
                i
                for i in range(len(blocks))
                if blocks[i] is not None and (i + 1 == len(blocks) or blocks[i + 1] != blocks[i])
            ),
            batchnorm=shift(self.batchnorm),
            weighted=shift(self.weighted),
            cuts=cuts,
            auto_named=auto,
        )


def apply_downsampling(ops: Sequence[Sequence[Any]], height: int, width: int) -> tuple[int, int]:
    """Spatial output size of the generated ``downsampling`` ops for one input size (the runtime formula)."""
    for op in ops:
        if op[0] == "pad":
            height, width = height + op[1], width + op[2]
            continue
        _, kh, kw, sh, sw, padding = op
        if padding == "same":
            height, width = -(-height // sh), -(-width // sw)
        else:
            height, width = (height - kh) // sh + 1, (width - kw) // sw + 1
    return height, width
