"""Image pixels in hand-written code, as the script interpreter sees them.

Prediction code reads one image (``cv2.imread``, ``load_img``, PIL) and scales
it by hand; ``.map`` functions do the same to a dataset's images. Pixel values
are tracked as an affine map ``x * factor + offset`` of the raw 0-255 image, or
as a keras.applications ``preprocess_input`` family.
"""

from __future__ import annotations

import ast
import copy
from typing import Any

from modelcheck.vocab import AUGMENTATION_LAYERS
from modelcheck.ir import Location, Scaling
from modelcheck.readers.script.core.interpreter import UNKNOWN, Arg, Interpreter, ModuleRef, Obj, as_float, as_int, as_str

ARRAY_FUNCTIONS = {"numpy.load", "sklearn.model_selection.train_test_split", "sklearn.cross_validation.train_test_split"}
_PIXEL_PASS_THROUGH = {
    "numpy.expand_dims", "numpy.array", "numpy.asarray", "numpy.reshape", "numpy.vstack", "numpy.stack",
    "numpy.concatenate", "numpy.copy", "numpy.float32", "numpy.squeeze",
    "tensorflow.expand_dims", "tensorflow.cast", "tensorflow.convert_to_tensor", "tensorflow.reshape",
    "tensorflow.stack", "tensorflow.constant", "keras.ops.expand_dims", "keras.ops.cast",
}


def family_of(rest: str | None) -> str | None:
    """'applications.resnet.preprocess_input' -> 'resnet'."""
    if rest and rest.startswith("applications.") and rest.endswith(".preprocess_input"):
        parts = rest.split(".")
        return parts[1] if len(parts) == 3 else None
    return None


class PixelVal(Obj):
    """Image pixels flowing through hand-written code (prediction scripts, ``.map`` functions)."""

    def __init__(self, source: str | None, location: Location | None):
        self.source = source
        self.location = location
        self.channel_order: str | None = "RGB"
        self.resized: bool | None = False
        self.target_size: tuple[int, int] | None = None
        self.color_mode: str | None = None
        self.factor = 1.0
        self.offset = 0.0
        self.family: str | None = None
        self.unknown_scaling = False
        self.scaling_location: Location | None = None
        self.augmentation: list[str] = []
        self.var_name: str | None = None

    def derive(self) -> "PixelVal":
        other = copy.copy(self)
        other.augmentation = list(self.augmentation)
        other.var_name = None
        return other

    merge_kind = "pixels"

    def merge(self, others: list["PixelVal"]) -> "PixelVal":
        """The pixels after branches that treated them differently (``if img.size != size:
        img = img.resize(size)``): what the branches agree on stays, the rest is unknown."""
        result = self.derive()
        result.var_name = self.var_name
        for other in others:
            for name in ("source", "location", "channel_order", "resized", "target_size", "color_mode"):
                if getattr(result, name) != getattr(other, name):
                    setattr(result, name, None)
            if (other.factor, other.offset, other.family) != (self.factor, self.offset, self.family) or other.unknown_scaling:
                result.unknown_scaling = True
            if other.augmentation != self.augmentation:
                result.augmentation = sorted(set(result.augmentation) | set(other.augmentation))
        return result

    def scaling(self) -> Scaling:
        if self.unknown_scaling:
            return Scaling("unknown", location=self.scaling_location)
        if self.family is not None:
            return Scaling("preprocess_input", family=self.family, location=self.scaling_location)
        if abs(self.factor - 1.0) < 1e-12 and abs(self.offset) < 1e-12:
            return Scaling("none", location=self.scaling_location)
        return Scaling("rescale", factor=self.factor, offset=self.offset, location=self.scaling_location)

    def binop(self, it: Interpreter, op: ast.operator, other: Any, reflected: bool, node: ast.AST) -> Any:
        result = self.derive()
        result.scaling_location = it.loc(node)
        value = as_float(other)
        if value is None or self.family is not None:
            result.unknown_scaling = True
            return result
        f, o = self.factor, self.offset
        if isinstance(op, ast.Div) and not reflected and value != 0:
            f, o = f / value, o / value
        elif isinstance(op, ast.Mult):
            f, o = f * value, o * value
        elif isinstance(op, ast.Add):
            o = o + value
        elif isinstance(op, ast.Sub):
            f, o = (-f, value - o) if reflected else (f, o - value)
        else:
            result.unknown_scaling = True
            return result
        result.factor, result.offset = f, o
        return result

    def call_method(self, it: Interpreter, name: str, args: list[Arg], kwargs: dict[str, Arg], node: ast.Call) -> Any:
        if name in ("astype", "reshape", "copy", "squeeze", "numpy"):
            return self
        if name == "resize":  # PIL Image.resize((w, h))
            result = self.derive()
            result.resized = True
            size = args[0].value if args else UNKNOWN
            result.target_size = _wh_to_hw(size)
            return result
        if name == "convert":  # PIL Image.convert('RGB' | 'L')
            mode = as_str(args[0].value) if args else None
            result = self.derive()
            result.color_mode = {"RGB": "rgb", "L": "grayscale", "RGBA": "rgba"}.get(mode or "", None)
            if mode == "RGB":
                result.channel_order = "RGB"
            return result
        return UNKNOWN

    def get_item(self, it: Interpreter, key: Any, node: ast.AST) -> Any:
        # img[..., ::-1] / img[:, :, ::-1] reverses the channel axis (the BGR <-> RGB idiom).
        if isinstance(key, tuple) and key and isinstance(key[-1], slice) and key[-1].step == -1 and key[-1].start is None:
            result = self.derive()
            result.channel_order = {"BGR": "RGB", "RGB": "BGR"}.get(self.channel_order or "", None)
            return result
        return self


def _wh_to_hw(size: Any) -> tuple[int, int] | None:
    if isinstance(size, (tuple, list)) and len(size) == 2 and all(as_int(v) is not None for v in size):
        return (size[1], size[0])
    return None


def _hw(size: Any) -> tuple[int, int] | None:
    if isinstance(size, (tuple, list)) and len(size) == 2 and all(as_int(v) is not None for v in size):
        return (size[0], size[1])
    return None


def first_pixels(values: list[Any]) -> PixelVal | None:
    for value in values:
        if isinstance(value, PixelVal):
            return value
        if isinstance(value, (list, tuple)):
            found = first_pixels(list(value)[:8])
            if found is not None:
                return found
    return None


def apply_layer_to_pixels(world: Any, layer: Any, pixels: PixelVal, node: ast.AST | None) -> PixelVal:
    """A preprocessing/augmentation layer called on pixels (inside ``dataset.map``)."""
    it = world.it
    result = pixels.derive()
    cls = getattr(layer, "cls", None)
    where = it.loc(node) if node is not None else None
    if cls == "Rescaling":
        scale = as_float(layer.config.get("scale"))
        offset = as_float(layer.config.get("offset", 0.0))
        if scale is None or offset is None or pixels.family is not None:
            result.unknown_scaling = True
        else:
            result.factor, result.offset = pixels.factor * scale, pixels.offset * scale + offset
        result.scaling_location = where
    elif cls in AUGMENTATION_LAYERS:
        result.augmentation.append(cls)
    elif cls in ("Resizing", "CenterCrop"):
        result.resized = True
    elif cls in ("Normalization",) or getattr(layer, "kind", None) is not None:
        result.unknown_scaling = True
        result.scaling_location = where
    return result


def call_external(world: Any, path: str, args: list[Arg], kwargs: dict[str, Arg], node: ast.Call) -> Any:
    """Image functions of cv2, PIL, numpy and TensorFlow; anything else is not handled (returns None)."""
    it = world.it
    if path.startswith("tf."):
        path = "tensorflow." + path[3:]
    if path.startswith("np."):
        path = "numpy." + path[3:]
    values = [a.value for a in args]
    pixels = first_pixels(values)
    if path in _PIXEL_PASS_THROUGH:
        return pixels if pixels is not None else UNKNOWN
    if path == "cv2.imread":
        result = PixelVal("cv2", it.loc(node))
        result.channel_order = "BGR"
        flag = values[1] if len(values) > 1 else (kwargs["flags"].value if "flags" in kwargs else None)
        if flag in (0,) or (isinstance(flag, ModuleRef) and flag.path.endswith("IMREAD_GRAYSCALE")):
            result.color_mode, result.channel_order = "grayscale", None
        else:
            result.color_mode = "rgb" if flag is None or flag == 1 or (isinstance(flag, ModuleRef) and flag.path.endswith("IMREAD_COLOR")) else None
        return result
    if path == "cv2.cvtColor" and pixels is not None:
        code = values[1] if len(values) > 1 else UNKNOWN
        result = pixels.derive()
        name = code.path.rsplit(".", 1)[-1] if isinstance(code, ModuleRef) else None
        if name in ("COLOR_BGR2RGB", "COLOR_RGB2BGR") or code == 4:
            result.channel_order = {"BGR": "RGB", "RGB": "BGR"}.get(pixels.channel_order or "", None)
        elif name in ("COLOR_BGR2GRAY", "COLOR_RGB2GRAY") or code in (6, 7):
            result.color_mode, result.channel_order = "grayscale", None
        else:
            result.channel_order = None
        return result
    if path == "cv2.resize" and pixels is not None:
        result = pixels.derive()
        result.resized = True
        size = values[1] if len(values) > 1 else (kwargs["dsize"].value if "dsize" in kwargs else UNKNOWN)
        result.target_size = _wh_to_hw(size)
        return result
    if path in ("tensorflow.image.resize", "tensorflow.image.resize_with_pad", "tensorflow.image.resize_images") and pixels is not None:
        result = pixels.derive()
        result.resized = True
        result.target_size = _hw(values[1]) if len(values) > 1 else None
        return result
    if path in ARRAY_FUNCTIONS:
        from modelcheck.readers.script.keras_api.arrays import array_call

        return array_call(world, path, values, kwargs, node)
    if path in ("PIL.Image.open", "Image.open", "skimage.io.imread", "imageio.imread", "matplotlib.pyplot.imread"):
        return PixelVal(path.split(".")[0].lower(), it.loc(node))
    if path.startswith("tensorflow.image.decode_") or path == "tensorflow.io.decode_image":
        return PixelVal("tf.image", it.loc(node))
    return None
