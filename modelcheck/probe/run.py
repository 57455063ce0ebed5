"""The bounded training loop and what it measures.

Each run trains with ``model.train_on_batch`` on the fixed probe batch until a
step cap or a time cap, whichever comes first, and records the loss and
accuracy of every step, the model evaluated in inference mode every few steps
(loss, accuracy, how many classes it predicts, whether outputs are finite),
per-layer relative weight movement, non-finite weights, and the gap between
training-mode and inference-mode outputs on the batch. Only backend-agnostic
Keras APIs are used, so it runs on TensorFlow, JAX and PyTorch alike.
"""

from __future__ import annotations

import logging
import math
import re
import time
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np

from modelcheck.probe.build import walk_layers
from modelcheck.probe.report import Checkpoint, Trajectory


class OutOfMemory(Exception):
    """The accelerator (or host) ran out of memory; the session retries with a smaller batch."""


@dataclass(frozen=True)
class Budget:
    steps: int = 100
    seconds: float = 30.0
    fit_ratio: float = 0.02
    """Stop early once the inference loss is below this fraction of the start and accuracy is 1."""


def quiet() -> None:
    """Silence TensorFlow's retracing warnings (each probe run builds a new model)."""
    logging.getLogger("tensorflow").setLevel(logging.ERROR)
    logging.getLogger("absl").setLevel(logging.ERROR)


def device_info() -> tuple[str, str]:
    """(Keras backend, the device it computes on)."""
    import keras

    backend = keras.backend.backend()
    device = "CPU"
    try:
        if backend == "tensorflow":
            import tensorflow as tf

            gpus = tf.config.list_logical_devices("GPU")
            device = f"GPU ({gpus[0].name}{f' +{len(gpus) - 1}' if len(gpus) > 1 else ''})" if gpus else "CPU"
        elif backend == "jax":
            import jax

            first = jax.devices()[0]
            device = f"{first.platform.upper()} ({getattr(first, 'device_kind', first.platform)})"
        elif backend == "torch":
            import torch

            device = f"CUDA ({torch.cuda.get_device_name(0)})" if torch.cuda.is_available() else "CPU"
    except Exception:  # a device query must never stop the probe
        device = "unknown"
    return backend, device


def is_oom(error: BaseException) -> bool:
    """True for an out-of-memory error of any backend (TensorFlow, XLA/JAX, PyTorch CUDA)."""
    text = f"{type(error).__name__} {error}".lower()
    return any(mark in text for mark in ("resourceexhausted", "out of memory", "outofmemory", "oom when allocating", "failed to allocate"))


def oom_line(error: BaseException) -> str:
    """The line of an error message that says what could not be allocated (Keras wraps it in its own first line)."""
    # TensorFlow decorates the line with terminal colours and the op's function node: keep the words.
    text = re.sub(r"\{\{[^}]*\}\}\s*", "", re.sub(r"\x1b\[[0-9;]*m", "", str(error)))
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    for line in lines:
        if is_oom(Exception(line)):
            return line[:300]
    return lines[0][:300] if lines else type(error).__name__


def activation_floats(model: Any, skip: set[str] = frozenset()) -> int:
    """Floats per sample in the outputs of the model's layers (an upper bound for activations)."""
    total = 0
    for path, layer in walk_layers(model):
        if path in skip or (hasattr(layer, "layers") and layer.layers):
            continue
        try:
            output = layer.output
        except Exception:  # layers called several times, or never
            continue
        for tensor in output if isinstance(output, (list, tuple)) else [output]:
            size = 1
            for dim in tensor.shape[1:]:
                size *= int(dim or 1)
            total += size
    return total


def safe_batch_size(requested: int, floats_per_sample: int, on_gpu: bool) -> int:
    """The largest batch (≤ requested, ≥ 2) whose activations and gradients fit a modest budget."""
    budget = 4 * 1024**3 if on_gpu else min(8 * 1024**3, _physical_memory() // 4)
    per_sample = max(1, floats_per_sample) * 4 * 3  # activation, gradient, workspace
    return int(max(2, min(requested, budget // per_sample)))


def _physical_memory() -> int:
    try:
        import os

        return int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (ValueError, OSError, AttributeError):
        return 8 * 1024**3


def _weights(layer: Any, trainable_only: bool) -> list[np.ndarray]:
    import keras

    variables = layer.trainable_weights if trainable_only else layer.weights
    return [np.array(keras.ops.convert_to_numpy(v), dtype="float64") for v in variables]


def snapshot(model: Any) -> dict[str, tuple[bool, list[np.ndarray]]]:
    """Path -> (trained by Keras?, weights) for every leaf layer with weights."""
    shots = {}
    for path, layer in walk_layers(model):
        if (hasattr(layer, "layers") and layer.layers) or not layer.weights:
            continue
        trains = bool(layer.trainable_weights)
        shots[path] = (trains, _weights(layer, trainable_only=trains))
    return shots


def movement(model: Any, before: dict[str, tuple[bool, list[np.ndarray]]]) -> tuple[dict[str, float], list[str]]:
    """Relative movement |w_end - w_start| / |w_start| per layer, and layers with non-finite weights."""
    moved: dict[str, float] = {}
    broken: list[str] = []
    for path, layer in walk_layers(model):
        if path not in before:
            continue
        trains, start = before[path]
        end = _weights(layer, trainable_only=trains)
        if any(not np.all(np.isfinite(w)) for w in end):
            broken.append(path)
            moved[path] = math.inf
            continue
        delta = math.sqrt(sum(float(np.sum((e - s) ** 2)) for e, s in zip(end, start)))
        norm = math.sqrt(sum(float(np.sum(s**2)) for s in start))
        moved[path] = delta / norm if norm > 0 else (math.inf if delta > 0 else 0.0)
    return moved, broken


def _probabilities(pred: np.ndarray, from_logits: bool) -> np.ndarray:
    pred = pred.reshape(len(pred), -1).astype("float64")
    if not from_logits:
        return pred
    if pred.shape[1] == 1:
        return 1 / (1 + np.exp(-pred))
    shifted = np.exp(pred - pred.max(axis=1, keepdims=True))
    return shifted / shifted.sum(axis=1, keepdims=True)


def classes_of(pred: np.ndarray, from_logits: bool) -> np.ndarray:
    probs = _probabilities(pred, from_logits)
    if probs.shape[1] == 1:
        return (probs[:, 0] > 0.5).astype(int)
    return probs.argmax(axis=1)


def evaluate(model: Any, x: Any, y: Any, labels: np.ndarray, from_logits: bool, step: int) -> Checkpoint:
    """Inference-mode loss, accuracy and prediction spread on the batch."""
    import keras

    # One forward pass for both. The output tensor (not a NumPy copy) keeps TensorFlow's softmax
    # logits, so the loss is computed exactly as fit() and evaluate() compute it.
    output = model(x, training=False)
    pred = np.asarray(keras.ops.convert_to_numpy(output))
    try:
        loss = float(keras.ops.convert_to_numpy(model.compute_loss(x=x, y=y, y_pred=output, training=False)))
    except Exception:
        loss = float(keras.ops.convert_to_numpy(model.test_on_batch(x, y, return_dict=True)["loss"]))
    finite = bool(np.all(np.isfinite(pred)))
    if not finite:
        return Checkpoint(step, loss, None, 0, False)
    predicted = classes_of(pred, from_logits)
    accuracy = float(np.mean(predicted == labels)) if len(labels) == len(predicted) else None
    return Checkpoint(step, loss, accuracy, int(len(set(predicted.tolist()))), finite)


def train_inference_gap(model: Any, x: Any, from_logits: bool) -> dict[str, float]:
    """How far training-mode outputs are from inference-mode outputs on the same batch."""
    import keras

    saved = [keras.ops.convert_to_numpy(v) for v in model.non_trainable_weights]
    try:
        trained = np.asarray(keras.ops.convert_to_numpy(model(x, training=True)))
    finally:
        for variable, value in zip(model.non_trainable_weights, saved):
            variable.assign(value)  # a training-mode call updates BatchNormalization statistics
    inferred = np.asarray(keras.ops.convert_to_numpy(model(x, training=False)))
    p, q = _probabilities(trained, from_logits), _probabilities(inferred, from_logits)
    if p.shape[1] == 1:
        tv = np.abs(p - q)[:, 0]
    else:
        tv = 0.5 * np.abs(p - q).sum(axis=1)
    disagree = float(np.mean(classes_of(trained, from_logits) != classes_of(inferred, from_logits)))
    relative = float(np.mean(np.abs(trained - inferred)) / (np.mean(np.abs(inferred)) + 1e-12))
    return {"tv": float(np.nanmean(tv)), "disagree": disagree, "relative": relative}


def train(
    model: Any,
    tracked: Any,
    x: Any,
    y: Any,
    labels: np.ndarray,
    budget: Budget,
    *,
    label: str,
    optimizer: str,
    metric: str | None,
    from_logits: bool,
) -> Trajectory:
    """Train ``model`` on (x, y) within the budget; weight movement is measured on ``tracked``.

    ``tracked`` is the full model when ``model`` is the trainable rest of it
    (frozen-prefix cache): both share the same layer objects.
    """
    quiet()
    run = Trajectory(label=label, optimizer=optimizer)
    before = snapshot(tracked)
    run.trainable = {path: trains for path, (trains, _) in before.items()}
    start = time.perf_counter()
    with warnings.catch_warnings():
        # MC506 reports "nothing is trainable" with numbers; Keras's own warning would only repeat it.
        warnings.filterwarnings("ignore", message=".*does not have any trainable weights.*")
        _loop(run, model, x, y, labels, budget, metric, from_logits, start)
    run.seconds = time.perf_counter() - start
    run.movement, run.nonfinite_weights = movement(tracked, before)
    return run


def _loop(run: Trajectory, model: Any, x: Any, y: Any, labels: np.ndarray, budget: Budget, metric: str | None,
          from_logits: bool, start: float) -> None:
    every = max(1, budget.steps // 10)
    try:
        run.checkpoints.append(evaluate(model, x, y, labels, from_logits, 0))
        for step in range(1, budget.steps + 1):
            result = model.train_on_batch(x, y, return_dict=True)
            loss = float(np.asarray(result["loss"]))
            run.losses.append(loss)
            value = result.get(metric) if metric else None
            run.accuracies.append(float(np.asarray(value)) if value is not None else None)
            run.steps_done = step
            if not math.isfinite(loss):
                run.stopped = "non-finite"
                break
            elapsed = time.perf_counter() - start
            if step % every == 0 or step == budget.steps or elapsed > budget.seconds:
                point = evaluate(model, x, y, labels, from_logits, step)
                run.checkpoints.append(point)
                initial = run.checkpoints[0].loss
                if (
                    point.finite
                    and initial > 0
                    and 0 <= point.loss <= budget.fit_ratio * initial
                    and point.accuracy in (None, 1.0)
                ):
                    run.stopped = "fitted"
                    break
            if elapsed > budget.seconds:
                run.stopped = "seconds"
                break
        if run.checkpoints[-1].step != run.steps_done:
            run.checkpoints.append(evaluate(model, x, y, labels, from_logits, run.steps_done))
        if run.stopped != "non-finite" and run.checkpoints[-1].finite:
            run.gap = train_inference_gap(model, x, from_logits)
    except Exception as error:
        if is_oom(error):
            raise OutOfMemory(oom_line(error)) from None
        run.stopped = "error"
        run.error = f"{type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}"[:400]
