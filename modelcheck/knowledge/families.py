"""Block conventions of the ``keras.applications`` families.

Pure Python (no Keras import): the generator in :mod:`modelcheck.knowledge.build`
uses it to turn a layer-name list into per-layer block names, and the loader may
use :func:`is_auto_named` / :func:`canonical_name` on user files.

Two ways of finding blocks, because Keras names layers in two styles:

``prefix`` families name (almost) every layer after its block, so a regex on the
layer name gives the block.  Layers Keras named automatically (``conv2d_3``,
``add_7``, ``re_lu_2``, ``tf.__operators__.add_1`` …) carry no block in their
name; they take the block of the layer before them, because in these families
such layers are the residual branch or an activation of the block being built
(Xception's ``conv2d``/``batch_normalization``/``add`` shortcut, ResNetV2's
``max_pooling2d`` shortcut, MobileNetV3's hard-swish pieces).  Auto-named layers
after the last named layer form the top (ConvNeXt's final ``layer_normalization``).

``closer`` families (Inception, NASNet) leave the layers inside a block
auto-named and only name the layer that closes it (``mixed3``,
``block35_4_ac``, ``normal_concat_5``).  A block is then every layer after the
previous closer up to and including its own closer.  The first block starts at
the last single-tensor cut before the first closer (everything earlier is the
stem), found from the model graph by the generator and passed in.

Layers outside every block (input, stem, top) get block ``None``.

Conventions per family (block name, the layer that ends it):

=====================  ===================================  =========================================
family                 block name                           last layer of the block
=====================  ===================================  =========================================
vgg16, vgg19           ``blockN``                           ``blockN_pool``
resnet                 ``convX_blockY``                     ``convX_blockY_out`` (ReLU after add)
resnet_v2              ``convX_blockY``                     ``convX_blockY_out`` (the Add)
inception_v3           ``mixedN``                           ``mixedN`` (Concatenate)
inception_resnet_v2    ``mixed_5b``/``mixed_6a``/…,         ``mixed_*`` (Concatenate),
                       ``block35_N``/``block17_N``/…        ``blockK_N_ac``, or the scale layer
                                                            when the block has no activation
xception               ``blockN``                           ``add_*`` (residual) / last block layer
mobilenet              ``block_N`` (Keras' ``block_id``)    ``conv_pw_N_relu``
mobilenet_v2           ``expanded_conv``, ``block_N``       ``block_N_add`` or ``…_project_BN``
mobilenet_v3           ``expanded_conv``, ``expanded_conv_N``  ``…_add`` or ``…_project_bn``
densenet               ``convX_blockY``, ``poolX``          ``convX_blockY_concat``, ``poolX_pool``
                       (transition)
nasnet                 ``stem_N``, ``normal_N``,            ``reduction_concat_stem_N``,
                       ``reduce_N``                         ``normal_concat_N``,
                                                            ``reduction_concat_reduce_N``
efficientnet(_v2)      ``blockNx``                          ``blockNx_add`` or ``blockNx_project_bn``
convnext               ``stage_S_block_B``,                 ``…_identity`` (the residual add is a
                       ``downsampling_block_S``             ``keras.ops`` call, not a layer)
regnet (tf-keras)      ``Stage_S_XBlock_B``/``YBlock``      ``…_exit_relu``
resnet_rs (tf-keras)   ``BlockGroupN__block_M``             ``…_output_act``
=====================  ===================================  =========================================
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

__all__ = [
    "FAMILIES",
    "Family",
    "assign_blocks",
    "block_ends",
    "canonical_name",
    "family_for_module",
    "is_auto_named",
    "to_snake_case",
]

Closer = Callable[[Sequence[str], Sequence[str], int], str | None]


@dataclass(frozen=True)
class Family:
    """How one ``keras.applications`` module names its blocks."""

    name: str
    mode: str  # "prefix" or "closer"
    pattern: re.Pattern[str] | None = None
    template: str = "{0}"
    closer: Closer | None = None

    def block_from_name(self, name: str) -> str | None:
        """Block encoded in a layer name (``prefix`` families only)."""
        if self.pattern is None:
            return None
        match = self.pattern.search(name)
        if match is None:
            return None
        return self.template.format(*match.groups())


def _regex_closer(pattern: str, template: str = "{0}") -> Closer:
    compiled = re.compile(pattern)

    def closer(names: Sequence[str], classes: Sequence[str], i: int) -> str | None:
        match = compiled.fullmatch(names[i])
        return template.format(*match.groups()) if match else None

    return closer


_IRV2_AC = re.compile(r"(block\d+_\d+)_ac")
_IRV2_CONV = re.compile(r"(block\d+_\d+)_conv")
_IRV2_MIXED = re.compile(r"mixed_\d[a-z]")


def _inception_resnet_closer(names: Sequence[str], classes: Sequence[str], i: int) -> str | None:
    # The last block (block8_10) is built with activation=None, so its
    # residual scale layer is the block's last layer instead of `<block>_ac`.
    name = names[i]
    if _IRV2_MIXED.fullmatch(name):
        return name
    match = _IRV2_AC.fullmatch(name)
    if match:
        return match.group(1)
    if classes[i] == "CustomScaleLayer" and i > 0:
        conv = _IRV2_CONV.fullmatch(names[i - 1])
        if conv and (i + 1 >= len(names) or names[i + 1] != f"{conv.group(1)}_ac"):
            return conv.group(1)
    return None


def _nasnet_closer(names: Sequence[str], classes: Sequence[str], i: int) -> str | None:
    name = names[i]
    match = re.fullmatch(r"normal_concat_(\d+)", name)
    if match:
        return f"normal_{match.group(1)}"
    match = re.fullmatch(r"reduction_concat_((?:stem|reduce)_\d+)", name)
    return match.group(1) if match else None


FAMILIES: dict[str, Family] = {
    family.name: family
    for family in (
        Family("vgg16", "prefix", re.compile(r"^(block\d+)_")),
        Family("vgg19", "prefix", re.compile(r"^(block\d+)_")),
        Family("resnet", "prefix", re.compile(r"^(conv\d+_block\d+)_")),
        Family("resnet_v2", "prefix", re.compile(r"^(conv\d+_block\d+)_")),
        Family("xception", "prefix", re.compile(r"^(block\d+)_")),
        Family("mobilenet", "prefix", re.compile(r"^conv_(?:dw|pw|pad)_(\d+)"), "block_{0}"),
        Family("mobilenet_v2", "prefix", re.compile(r"^(expanded_conv|block_\d+)_")),
        Family("mobilenet_v3", "prefix", re.compile(r"^(expanded_conv(?:_\d+)?)[_/]")),
        Family("densenet", "prefix", re.compile(r"^(conv\d+_block\d+|pool\d+)_")),
        Family("efficientnet", "prefix", re.compile(r"^(block\d+[a-z])_")),
        Family("efficientnet_v2", "prefix", re.compile(r"^(block\d+[a-z])_")),
        Family(
            "convnext",
            "prefix",
            re.compile(r"_(stage_\d+_block_\d+|downsampling_block_\d+)(?:_|$)"),
        ),
        Family("regnet", "prefix", re.compile(r"_(Stage_\d+_[XY]Block_\d+)_")),
        Family("resnet_rs", "prefix", re.compile(r"^(BlockGroup\d+__block_\d+)_")),
        Family("inception_v3", "closer", closer=_regex_closer(r"(mixed\d+)")),
        Family("inception_resnet_v2", "closer", closer=_inception_resnet_closer),
        Family("nasnet", "closer", closer=_nasnet_closer),
    )
}


def family_for_module(module: str) -> Family | None:
    """The block convention of a ``keras.applications`` submodule, if known."""
    return FAMILIES.get(module)


def to_snake_case(name: str) -> str:
    """Keras' own class-name → default-layer-name conversion."""
    intermediate = re.sub("(.)([A-Z][a-z0-9]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", intermediate).lower()


def is_auto_named(name: str, class_name: str) -> bool:
    """Whether Keras generated ``name`` (its number depends on the session).

    InputLayers count as auto-named: Keras 2 calls them ``input_N``, Keras 3
    ``input_layer_N``, and users often name them.
    """
    if class_name == "InputLayer" or name.startswith("tf."):
        return True
    return re.fullmatch(re.escape(to_snake_case(class_name)) + r"(?:_\d+)?", name) is not None


_SUFFIX = re.compile(r"(.+?)(?:_\d+)?")


def canonical_name(name: str, auto_bases: frozenset[str] | set[str]) -> str:
    """Drop the session counter from an auto-generated layer name.

    ``conv2d_57`` → ``conv2d`` when ``conv2d`` is a known auto-name base;
    ``block_1_add`` and ``conv_pw_1`` stay as they are.
    """
    match = _SUFFIX.fullmatch(name)
    if match and match.group(1) in auto_bases:
        return match.group(1)
    return name


def assign_blocks(
    family: Family | None,
    names: Sequence[str],
    classes: Sequence[str],
    cuts: Sequence[int] = (),
) -> list[str | None]:
    """Block name of every layer (``None`` for input, stem and top).

    ``cuts`` are the boundaries ``b`` (first index on the far side) crossed by a
    single tensor; ``closer`` families need them to find where the stem ends.
    """
    n = len(names)
    if family is None:
        return [None] * n
    if family.mode == "prefix":
        return _assign_prefix(family, names, classes, cuts)
    return _assign_closer(family, names, classes, cuts)


def _assign_prefix(
    family: Family, names: Sequence[str], classes: Sequence[str], cuts: Sequence[int]
) -> list[str | None]:
    n = len(names)
    auto = [is_auto_named(names[i], classes[i]) for i in range(n)]
    last_named = max((i for i in range(n) if not auto[i]), default=-1)
    cut_set = set(cuts)
    blocks: list[str | None] = []
    previous: str | None = None
    for i, name in enumerate(names):
        if i == 0 and classes[i] == "InputLayer":
            block = None
        elif auto[i]:
            # After the last named layer, a trailing residual merge (Keras 2
            # ConvNeXt's `tf.__operators__.add`) still closes the last block;
            # the first single-tensor cut marks where the top begins.
            if i > last_named and (i in cut_set or not cut_set):
                previous = None
            block = previous
        else:
            block = family.block_from_name(name)
        blocks.append(block)
        previous = block
    return blocks


def _assign_closer(
    family: Family, names: Sequence[str], classes: Sequence[str], cuts: Sequence[int]
) -> list[str | None]:
    assert family.closer is not None
    n = len(names)
    closers = [(i, b) for i in range(n) if (b := family.closer(names, classes, i))]
    blocks: list[str | None] = [None] * n
    if not closers:
        return blocks
    first = closers[0][0]
    start = max((c for c in cuts if c <= first), default=1)
    for index, block in closers:
        for i in range(start, index + 1):
            blocks[i] = block
        start = index + 1
    return blocks


def block_ends(blocks: Sequence[str | None]) -> list[int]:
    """Indices whose layer is the last of a run of one block."""
    return [
        i
        for i, block in enumerate(blocks)
        if block is not None and (i + 1 == len(blocks) or blocks[i + 1] != block)
    ]
