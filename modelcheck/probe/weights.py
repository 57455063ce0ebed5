"""Pretrained backbone weights the user already has: Keras's application weights cache.

``keras.applications.X(weights='imagenet')`` downloads its weights once into
``$KERAS_HOME/models`` (by default ``~/.keras/models``) under a file name that
depends on the backbone, ``include_top`` and, for MobileNet and MobileNetV2,
``alpha`` and the input size. :func:`cache_file_name` spells those names as
``keras/src/applications/*.py`` does (Keras 3.x), so the probe knows before
building anything whether the file is there.

The backbone is then built with ``weights='imagenet'`` (the exact layer layout
the user's script gets: EfficientNet B0–B7 gain a Rescaling layer only then)
while :func:`served_from` answers Keras's ``get_file`` from the cache folder:
no hash check (a hash mismatch would make Keras re-download the file, and
delete it when the download fails) and never a network access.

Keras is imported only inside :func:`served_from`.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Iterator, Sequence

MODES = ("cache", "download", "none")
"""``--probe-weights`` values besides a path."""

_SIMPLE = {
    # keras.applications name -> weights stem ("<stem>_weights_tf_dim_ordering_tf_kernels[_notop].h5")
    "VGG16": "vgg16", "VGG19": "vgg19", "Xception": "xception", "InceptionV3": "inception_v3",
    "InceptionResNetV2": "inception_resnet_v2", "ResNet50": "resnet50", "ResNet101": "resnet101",
    "ResNet152": "resnet152", "ResNet50V2": "resnet50v2", "ResNet101V2": "resnet101v2",
    "ResNet152V2": "resnet152v2", "DenseNet121": "densenet121", "DenseNet169": "densenet169",
    "DenseNet201": "densenet201",
}
_NAMED = {
    # keras.applications name -> the model name its weights file starts with ("<name>[_notop].h5")
    **{f"EfficientNetB{i}": f"efficientnetb{i}" for i in range(8)},
    **{f"EfficientNetV2B{i}": f"efficientnetv2-b{i}" for i in range(4)},
    "EfficientNetV2S": "efficientnetv2-s", "EfficientNetV2M": "efficientnetv2-m", "EfficientNetV2L": "efficientnetv2-l",
    **{f"ConvNeXt{size}": f"convnext_{size.lower()}" for size in ("Tiny", "Small", "Base", "Large", "XLarge")},
}
_NASNET = {"NASNetMobile": "nasnet_mobile", "NASNetLarge": "nasnet_large"}
_MOBILENET_ALPHA = {1.0: "1_0", 0.75: "7_5", 0.5: "5_0"}


def _square_rows(input_shape: Sequence[int | None] | None, allowed: Sequence[int]) -> int:
    """The input size a MobileNet weights file is chosen by: 224 unless square and in ``allowed``."""
    if input_shape and len(input_shape) >= 2:
        rows, cols = input_shape[0], input_shape[1]
        if rows == cols and rows in allowed:
            return int(rows)
    return 224


def cache_file_name(
    backbone: str, include_top: bool, input_shape: Sequence[int | None] | None = None, alpha: float = 1.0,
    minimalistic: bool = False,
) -> str | None:
    """The file name ``keras.applications.<backbone>(weights='imagenet')`` caches its weights under.

    None for a backbone without ImageNet weights in Keras (or unknown here).

        >>> cache_file_name("ResNet50", include_top=False)
        'resnet50_weights_tf_dim_ordering_tf_kernels_notop.h5'
        >>> cache_file_name("MobileNetV2", include_top=False, input_shape=(96, 96, 3))
        'mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_96_no_top.h5'
    """
    top = "" if include_top else "_notop"
    if backbone in _SIMPLE:
        return f"{_SIMPLE[backbone]}_weights_tf_dim_ordering_tf_kernels{top}.h5"
    if backbone in _NAMED:
        return f"{_NAMED[backbone]}{top}.h5"
    if backbone in _NASNET:
        return f"{_NASNET[backbone]}{'' if include_top else '_no_top'}.h5"
    if backbone == "MobileNet":
        rows = _square_rows(input_shape, (128, 160, 192, 224))
        alpha_text = _MOBILENET_ALPHA.get(float(alpha), "2_5")
        return f"mobilenet_{alpha_text}_{rows}_tf{'' if include_top else '_no_top'}.h5"
    if backbone == "MobileNetV2":
        rows = _square_rows(input_shape, (96, 128, 160, 192, 224))
        return f"mobilenet_v2_weights_tf_dim_ordering_tf_kernels_{float(alpha)}_{rows}{'' if include_top else '_no_top'}.h5"
    if backbone in ("MobileNetV3Small", "MobileNetV3Large"):
        kind = backbone[len("MobileNetV3"):].lower()
        model_name = f"{kind}{'_minimalistic' if minimalistic else ''}_224_{float(alpha)}_float"
        return f"weights_mobilenet_v3_{model_name}{'.h5' if include_top else '_no_top_v2.h5'}"
    return None


def cache_dirs() -> list[str]:
    """Where Keras keeps downloaded application weights, in the order Keras would use them.

    ``$KERAS_HOME/models`` when KERAS_HOME is set; otherwise ``~/.keras/models``,
    and ``/tmp/.keras/models`` (Keras's fallback when the home folder is not writable).
    """
    home = os.environ.get("KERAS_HOME")
    if home:
        return [os.path.join(os.path.expanduser(home), "models")]
    return [os.path.join(os.path.expanduser("~"), ".keras", "models"), os.path.join("/tmp", ".keras", "models")]


@dataclass(frozen=True)
class WeightsChoice:
    """What a rebuilt backbone is built with, and the words the report uses for it."""

    backbone: str
    weights: str | None
    """A weights file, 'imagenet' (Keras downloads it if needed) or None (random)."""
    description: str
    """'ResNet50: ImageNet weights from /home/u/.keras/models/…'."""
    exact: bool = False
    """True when ``weights`` is a file the user named (served whatever name Keras asks for)."""

    @property
    def pretrained(self) -> bool:
        return self.weights is not None

    @property
    def keras_argument(self) -> str | None:
        """The ``weights=`` argument of the keras.applications call ('imagenet' or None)."""
        return "imagenet" if self.weights is not None else None


class NotCached(Exception):
    """Keras asked for a weights file that is not where the probe looks (it never downloads)."""


@contextmanager
def served_from(choice: WeightsChoice) -> Iterator[None]:
    """While building one backbone, answer Keras's ``get_file`` from the chosen file, offline.

    A cached file is served only under the name Keras asks for (so a name spelled wrongly
    here fails loudly instead of loading another network's weights); a file given with
    ``--probe-weights PATH`` is served whatever the name. With 'imagenet' (download) or
    random weights nothing is changed.
    """
    if choice.weights in (None, "imagenet"):
        yield
        return
    from keras.src.utils import file_utils

    original = file_utils.get_file
    path = str(choice.weights)

    def get_file(fname: Any = None, origin: Any = None, *args: Any, **kwargs: Any) -> str:
        if choice.exact:
            return path
        candidate = os.path.join(os.path.dirname(path), str(fname))
        if os.path.isfile(candidate):
            return candidate
        raise NotCached(f"Keras asked for {fname}, which is not in {os.path.dirname(path)}")

    file_utils.get_file = get_file
    try:
        yield
    finally:
        file_utils.get_file = original


def choose(backbone: str, include_top: bool, input_shape: Sequence[int | None] | None, requested: str | None,
           mode: str = "cache") -> WeightsChoice:
    """The weights to build one backbone with.

    ``requested``: what the script or config asked for ('imagenet', 'none', 'file', …).
    ``mode``: ``--probe-weights``: 'cache' (use the cached file if present, never download),
    'download' (let Keras fetch it), 'none' (random) or a path (a weights file, or a folder
    holding files named as in the cache).
    """
    if requested != "imagenet":
        why = "the script does not load ImageNet weights" if requested in ("none", None) else (
            f"the script loads weights from {requested!r}, which the probe does not follow")
        return WeightsChoice(backbone, None, f"{backbone}: random weights ({why})")
    name = cache_file_name(backbone, include_top, input_shape)
    if mode == "none":
        return WeightsChoice(backbone, None, f"{backbone}: random weights (--probe-weights none)")
    if mode == "download":
        return WeightsChoice(backbone, "imagenet", f"{backbone}: ImageNet weights (Keras cache or download)")
    if mode not in MODES:
        path = os.path.expanduser(mode)
        if os.path.isfile(path):
            return WeightsChoice(backbone, path, f"{backbone}: weights from {path}", exact=True)
        folders = [path] if os.path.isdir(path) else []
        where = f"{path}" if folders else f"{path} (no such file or folder)"
    else:
        folders = cache_dirs()
        where = " or ".join(folders)
    if name is None:
        return WeightsChoice(backbone, None, f"{backbone}: random weights (no known ImageNet weights file for it)")
    for folder in folders:
        candidate = os.path.join(folder, name)
        if os.path.isfile(candidate):
            return WeightsChoice(backbone, candidate, f"{backbone}: ImageNet weights from {candidate}")
    return WeightsChoice(
        backbone, None,
        f"{backbone}: random weights ({name} is not in {where}; the probe downloads nothing: run the script once, "
        "or pass --probe-weights download)",
    )

