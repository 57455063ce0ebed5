"""The probe batch: a tiny, seeded, fixed set of inputs and labels.

With a data directory (``Pipeline.directory`` or ``data=``) a few real images
per class are read with Pillow, resized to the model input and scaled the way
the declared pipeline scales them. Otherwise the inputs are synthetic: smooth
random images in 0–255 (each with its own colour cast and low-frequency
pattern, so that even a model that global-average-pools early can tell them
apart), scaled the same way. Labels come in the encoding the pipeline or the
loss asks for: one-hot, integer or binary.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp")
DEFAULT_SIZE = 20


@dataclass(frozen=True)
class InputScaling:
    """How pixel values 0–255 become model inputs for the probe."""

    kind: str
    """'rescale' (x * factor + offset), 'preprocess_input' (module's function) or 'none'."""
    factor: float = 1.0
    offset: float = 0.0
    module: str | None = None
    """keras.applications submodule for 'preprocess_input', e.g. 'resnet50'."""
    declared: bool = False
    """True when the user's pipeline says so; False when the probe assumed it."""

    def describe(self) -> str:
        if self.kind == "preprocess_input":
            text = f"{self.module}.preprocess_input"
        elif self.kind == "rescale":
            inverse = 1 / self.factor if self.factor else 0
            text = f"x / {round(inverse):g}" if inverse and abs(inverse - round(inverse)) < 1e-4 else f"x * {self.factor:g}"
            text += f" {'+' if self.offset >= 0 else '-'} {abs(self.offset):g}" if self.offset else ""
        else:
            text = "raw 0–255"
        return text if self.declared else f"{text} (assumed: no pipeline declared)"


UNIT = InputScaling("rescale", 1 / 255.0)
SYMMETRIC = InputScaling("rescale", 1 / 127.5, -1.0)
RAW = InputScaling("none")


@dataclass
class ProbeBatch:
    x: np.ndarray
    y: np.ndarray
    labels: np.ndarray
    """Integer class of each sample (for accuracy and prediction spread)."""
    num_classes: int
    encoding: str
    """'one-hot', 'int', 'binary' or 'given' (arrays passed by the caller)."""
    source: str
    """'synthetic', 'images' or 'arrays'."""
    description: str
    scaling: InputScaling | None = None
    raw: np.ndarray | None = None
    """The 0–255 pixels before scaling (None for arrays given by the caller)."""
    notes: list[str] = field(default_factory=list)

    @property
    def size(self) -> int:
        return int(self.x.shape[0])

    def subset(self, count: int) -> "ProbeBatch":
        """The first ``count`` samples (a smaller batch when memory is short)."""
        raw = self.raw[:count] if self.raw is not None else None
        return ProbeBatch(self.x[:count], self.y[:count], self.labels[:count], self.num_classes, self.encoding,
                          self.source, self.description, self.scaling, raw, list(self.notes))


def label_plan(loss_name: str | None, output_units: int, class_mode: str | None = None) -> tuple[str, int]:
    """(encoding, number of classes) the training labels come in.

    A declared pipeline ``class_mode`` wins (the probe feeds what the user's
    pipeline would feed, mismatch included); otherwise the loss decides.
    """
    classes = max(2, output_units)
    if class_mode in ("categorical",):
        return "one-hot", classes
    if class_mode in ("sparse", "int"):
        return "int", classes
    if class_mode == "binary":
        return "binary", classes
    name = loss_name or ""
    if name.startswith("sparse_categorical"):
        return "int", classes
    if name.startswith("binary") and output_units == 1:
        return "binary", 2
    return "one-hot", classes


def encode(labels: np.ndarray, encoding: str, num_classes: int, output_units: int) -> np.ndarray:
    if encoding == "int":
        return labels.astype("int32")
    if encoding == "binary":
        values = labels.astype("float32")
        return values.reshape(-1, 1) if output_units == 1 else values
    width = max(output_units, 1)
    onehot = np.zeros((len(labels), width), dtype="float32")
    onehot[np.arange(len(labels)), np.minimum(labels, width - 1)] = 1.0
    return onehot


def synthetic_images(count: int, height: int, width: int, channels: int, rng: np.random.Generator) -> np.ndarray:
    """Smooth random images in 0–255, each with its own colour cast (float32)."""
    cast = rng.uniform(0, 255, (count, 1, 1, channels))
    low = rng.uniform(0, 255, (count, 4, 4, channels))
    pattern = _upsample(low, height, width)
    noise = rng.uniform(0, 255, (count, height, width, channels))
    return np.clip(0.4 * cast + 0.4 * pattern + 0.2 * noise, 0, 255).astype("float32")


def _upsample(low: np.ndarray, height: int, width: int) -> np.ndarray:
    """Bilinear upsampling of (N, h, w, C) to (N, height, width, C) with NumPy only."""
    def axis_weights(size: int, low_size: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        pos = np.linspace(0, low_size - 1, size)
        left = np.floor(pos).astype(int)
        right = np.minimum(left + 1, low_size - 1)
        return left, right, (pos - left)

    top, bottom, wy = axis_weights(height, low.shape[1])
    left, right, wx = axis_weights(width, low.shape[2])
    rows = low[:, top] * (1 - wy)[None, :, None, None] + low[:, bottom] * wy[None, :, None, None]
    return rows[:, :, left] * (1 - wx)[None, None, :, None] + rows[:, :, right] * wx[None, None, :, None]


def class_folders(directory: str) -> list[str]:
    """Class sub-folders the way Keras lists them (sorted names)."""
    root = Path(directory)
    return sorted(entry.name for entry in root.iterdir() if entry.is_dir() and not entry.name.startswith("."))


def load_images(
    directory: str,
    count: int,
    height: int,
    width: int,
    channels: int,
    rng: np.random.Generator,
    max_classes: int,
    channel_order: str | None = None,
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """A few images per class folder, resized, as 0–255 float32, with their class indices."""
    from PIL import Image

    classes = class_folders(directory)
    if not classes:
        raise ValueError(f"{directory} has no class sub-folders")
    used = classes[:max_classes]
    per_class = max(2, min(8, -(-count // len(used))))
    images: list[np.ndarray] = []
    labels: list[int] = []
    mode = {1: "L", 3: "RGB", 4: "RGBA"}.get(channels, "RGB")
    for index, name in enumerate(used):
        folder = Path(directory) / name
        files = sorted(
            os.path.join(root, f)
            for root, _, names in os.walk(folder)
            for f in names
            if f.lower().endswith(IMAGE_SUFFIXES)
        )
        if not files:
            continue
        chosen = sorted(rng.choice(len(files), size=min(per_class, len(files)), replace=False))
        for pick in chosen:
            try:
                with Image.open(files[pick]) as image:
                    array = np.asarray(image.convert(mode).resize((width, height), Image.BILINEAR), dtype="float32")
            except (OSError, ValueError):
                continue
            if array.ndim == 2:
                array = array[..., None]
            if channel_order == "BGR" and array.shape[-1] == 3:
                array = array[..., ::-1]
            images.append(array)
            labels.append(index)
    if not images:
        raise ValueError(f"no readable images under {directory}")
    return np.stack(images).astype("float32"), np.asarray(labels), used


def family_module(backbone_name: str) -> str | None:
    """The keras.applications submodule of a backbone ('ResNet50' -> 'resnet50')."""
    try:
        from modelcheck.knowledge import find_backbone

        found = find_backbone(backbone_name)
        if found is not None:
            return found.module
    except Exception:  # the knowledge base is optional for the probe
        pass
    import keras

    for module in sorted(dir(keras.applications)):
        sub = getattr(keras.applications, module)
        if hasattr(sub, "preprocess_input") and hasattr(sub, backbone_name):
            return module
    return None


def scale(raw: np.ndarray, scaling: InputScaling) -> np.ndarray:
    """Apply a scaling to 0–255 pixels; never mutates ``raw``."""
    if scaling.kind == "rescale":
        return (raw * np.float32(scaling.factor) + np.float32(scaling.offset)).astype("float32")
    if scaling.kind == "preprocess_input" and scaling.module:
        import keras

        module = getattr(keras.applications, scaling.module.rsplit(".", 1)[-1])
        # preprocess_input changes float arrays in place: always hand it a copy.
        return np.asarray(module.preprocess_input(np.array(raw, dtype="float32", copy=True)), dtype="float32")
    return np.array(raw, dtype="float32", copy=True)


def from_ir_scaling(scaling: Any) -> InputScaling | None:
    """An IR ``Scaling`` as an InputScaling (None when unknown)."""
    if scaling is None:
        return None
    if scaling.kind == "rescale" and scaling.factor is not None:
        return InputScaling("rescale", float(scaling.factor), float(scaling.offset or 0.0), declared=True)
    if scaling.kind == "preprocess_input" and scaling.family:
        return InputScaling("preprocess_input", module=str(scaling.family).rsplit(".", 1)[-1], declared=True)
    if scaling.kind == "none":
        return InputScaling("none", declared=True)
    return None


def make_batch(
    input_shape: tuple[int, ...],
    output_units: int,
    loss_name: str | None,
    scaling: InputScaling,
    *,
    directory: str | None = None,
    arrays: tuple[np.ndarray, np.ndarray] | None = None,
    class_mode: str | None = None,
    channel_order: str | None = None,
    size: int = DEFAULT_SIZE,
    seed: int = 0,
) -> ProbeBatch:
    """The fixed probe batch for a model with this input shape (H, W, C) and output width."""
    rng = np.random.default_rng(seed)
    if arrays is not None:
        return _from_arrays(arrays, output_units, size)
    encoding, num_classes = label_plan(loss_name, output_units, class_mode)
    notes: list[str] = []
    if len(input_shape) != 3:
        if directory:
            notes.append(f"the model's input {tuple(input_shape)} is not an image: synthetic inputs instead of {directory}")
        raw = rng.uniform(0, 255, (size, *input_shape)).astype("float32")
        labels = np.arange(size) % num_classes
        rng.shuffle(labels)
        what = f"{size} synthetic inputs, {num_classes} random classes ({encoding} labels), {scaling.describe()}"
        return ProbeBatch(scale(raw, scaling), encode(labels, encoding, num_classes, output_units), labels, num_classes,
                          encoding, "synthetic", what, scaling, raw, notes)
    height, width, channels = (int(v) for v in input_shape)
    if directory:
        try:
            # flow_from_directory's 'binary' mode numbers every folder, whatever the model outputs.
            limit = 10**6 if class_mode == "binary" else max(num_classes, 2)
            raw, labels, used = load_images(directory, size, height, width, channels, rng, limit, channel_order)
            if class_mode == "binary":
                num_classes = max(num_classes, len(used))
            total = len(class_folders(directory))
            if total > len(used):
                notes.append(f"{directory} has {total} class folders, the model outputs {num_classes}: the probe uses the first {len(used)}")
            x = scale(raw, scaling)
            y = encode(labels, encoding, num_classes, output_units)
            what = f"{len(labels)} images from {directory} ({len(used)} classes), {scaling.describe()}"
            return ProbeBatch(x, y, labels, num_classes, encoding, "images", what, scaling, raw, notes)
        except ImportError:
            notes.append("Pillow is not installed (pip install 'modelcheck[images]'): synthetic inputs instead of your images")
        except (OSError, ValueError) as error:
            notes.append(f"could not read images from {directory} ({error}): synthetic inputs instead")
    raw = synthetic_images(size, height, width, channels, rng)
    labels = np.arange(size) % num_classes
    rng.shuffle(labels)
    x = scale(raw, scaling)
    y = encode(labels, encoding, num_classes, output_units)
    what = f"{size} synthetic images, {num_classes} random classes ({encoding} labels), {scaling.describe()}"
    return ProbeBatch(x, y, labels, num_classes, encoding, "synthetic", what, scaling, raw, notes)


def _from_arrays(arrays: tuple[np.ndarray, np.ndarray], output_units: int, size: int) -> ProbeBatch:
    x, y = (np.asarray(a) for a in arrays)
    count = min(len(x), max(size, 1))
    x, y = x[:count].astype("float32"), y[:count]
    if y.ndim == 2 and y.shape[1] > 1:
        labels = y.argmax(axis=1)
    else:
        labels = np.rint(y.reshape(len(y), -1)[:, 0]).astype(int)
    num_classes = max(2, output_units)
    what = f"{count} samples from the arrays given (used as they are)"
    return ProbeBatch(x, y, labels, num_classes, "given", "arrays", what, None, None, [])


def input_stats(x: np.ndarray) -> dict[str, float]:
    return {"min": float(x.min()), "max": float(x.max()), "mean": float(x.mean()), "std": float(x.std())}
