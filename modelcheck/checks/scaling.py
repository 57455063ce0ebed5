"""Input scaling: what a pipeline does to 0-255 pixels, in the backbone modes' vocabulary."""

from __future__ import annotations

from modelcheck.ir import Scaling

MODE_TEXT = {
    "raw": "raw 0-255 pixels",
    "unit": "values in [0, 1]",
    "tf": "values in [-1, 1]",
    "caffe": "caffe-style input (RGB→BGR, ImageNet mean subtracted, about [-124, 152])",
    "torch": "torch-style input ([0, 1], then ImageNet mean/std normalised, about [-2.1, 2.6])",
    "none": "raw 0-255 pixels (it rescales internally)",
}


def family_mode(family: str | None) -> str | None:
    """The preprocessing mode of a keras.applications module's preprocess_input."""
    if not family:
        return None
    from modelcheck.knowledge import preprocessing_for_module

    return preprocessing_for_module(family)


def scaling_mode(scaling: Scaling | None) -> str:
    """'raw', 'unit', 'tf', 'caffe', 'torch', 'range[a, b]' or 'unknown'."""
    if scaling is None:
        return "unknown"
    return scaling.mode(family_mode(scaling.family))


def describe_scaling(scaling: Scaling | None) -> str:
    """How the user wrote the scaling, for messages."""
    if scaling is None or scaling.kind == "unknown":
        return "an unknown function"
    if scaling.kind == "none":
        return "nothing (raw 0-255 pixels)"
    if scaling.kind == "preprocess_input":
        return f"{scaling.family}.preprocess_input"
    factor = scaling.factor
    text = f"1/{1 / factor:g}" if factor and factor < 1 else f"{factor:g}"
    if scaling.offset:
        text += f" {'+' if scaling.offset > 0 else '-'} {abs(scaling.offset):g}"
    return f"rescale={text}"


def mode_text(mode: str) -> str:
    return MODE_TEXT.get(mode, mode)


def short_mode_text(mode: str) -> str:
    """The mode in a few words, for a message's first sentence (``mode_text`` has the detail)."""
    return {"caffe": "caffe-style input", "torch": "torch-style input"}.get(mode, mode_text(mode))
