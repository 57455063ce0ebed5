"""The training run of a live model: compile settings, callbacks and ``fit`` parameters.

Read by duck typing from Keras 3 and tf-keras objects (``model.loss``,
``model.optimizer``, the compile config, callback objects, Keras'
``callback.params``), in the dict shapes that model files store, so the same
config readers apply.
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping

from modelcheck.errors import InputError
from modelcheck.ir import Callback, Fit, Location
from modelcheck.readers.model.live_values import as_int, plain_json

# --- compile -------------------------------------------------------------------

UNKNOWN_METRICS: Any = object()
"""Stands for "metrics unknown" (not "no metrics") in a training config built from a live model."""


def is_compiled(model: Any) -> bool:
    """Keras 3 sets ``compiled``; tf-keras ``_is_compiled``; both have an optimizer once compiled."""
    flag = getattr(model, "compiled", None)
    if isinstance(flag, bool):
        return flag
    flag = getattr(model, "_is_compiled", None)
    if isinstance(flag, bool):
        return flag
    return getattr(model, "optimizer", None) is not None


def training_config_of(model: Any) -> dict[str, Any] | None:
    """The compile settings as a training-config dict (the form model files store), None if not compiled.

    Loss and optimizer come from the live objects (``model.loss``,
    ``model.optimizer`` and its *current* learning rate); metrics from the
    compile config, else the compiled-metrics container, else
    ``model.metrics_names``.
    """
    if not is_compiled(model):
        return None
    try:
        stored = model.get_compile_config() if hasattr(model, "get_compile_config") else None
    except Exception:  # noqa: BLE001 - custom objects that do not serialize
        stored = None
    stored = stored if isinstance(stored, dict) else {}
    training: dict[str, Any] = {}
    loss = _loss_entry(getattr(model, "loss", None))
    training["loss"] = loss if loss is not None else _plain_or_none(stored.get("loss"))
    optimizer = _optimizer_entry(getattr(model, "optimizer", None))
    training["optimizer"] = optimizer if optimizer is not None else _plain_or_none(stored.get("optimizer"))
    metrics = _metrics_entry(model, stored)
    training["metrics"] = metrics
    return training


def _plain_or_none(value: Any) -> Any:
    try:
        return plain_json(value)
    except InputError:
        return None


def _loss_entry(loss: Any) -> Any:
    if loss is None:
        return None
    if isinstance(loss, str):
        return loss
    if isinstance(loss, (list, tuple)):
        return [_loss_entry(item) for item in loss]
    if isinstance(loss, dict):
        return {str(key): _loss_entry(value) for key, value in loss.items()}
    if hasattr(loss, "get_config") and not isinstance(loss, type):
        class_name = type(loss).__name__
        wrapped = getattr(loss, "fn", None)
        if class_name == "LossFunctionWrapper" and callable(wrapped):
            return {"class_name": "function", "config": getattr(wrapped, "__name__", class_name)}
        try:
            config = loss.get_config()
        except Exception:  # noqa: BLE001 - a custom loss without a usable config
            config = {}
        from_logits = config.get("from_logits") if isinstance(config, dict) else None
        return {"class_name": class_name, "config": {"from_logits": from_logits} if isinstance(from_logits, bool) else {}}
    if callable(loss):
        return {"class_name": "function", "config": getattr(loss, "__name__", type(loss).__name__)}
    return None


def _optimizer_entry(optimizer: Any) -> dict[str, Any] | None:
    if optimizer is None or isinstance(optimizer, str):
        return optimizer
    inner = getattr(optimizer, "inner_optimizer", None)  # LossScaleOptimizer
    if inner is not None:
        optimizer = inner
    config: dict[str, Any] = {}
    rate = current_learning_rate(optimizer)
    if rate is not None:
        config["learning_rate"] = rate
    return {"class_name": type(optimizer).__name__, "config": config}


def current_learning_rate(optimizer: Any) -> float | None:
    """The optimizer's learning rate now (a schedule evaluated at the current step)."""
    try:
        rate = getattr(optimizer, "learning_rate", None)
        if rate is None:
            rate = getattr(optimizer, "lr", None)
        if rate is not None and callable(rate) and not hasattr(rate, "numpy") and not hasattr(rate, "value"):
            rate = rate(getattr(optimizer, "iterations", 0))  # a LearningRateSchedule
        if rate is None:
            return None
        if hasattr(rate, "numpy"):
            rate = rate.numpy()
        value = float(rate)
    except Exception:  # noqa: BLE001 - whatever the backend holds, an unknown rate is fine
        return None
    return value if value == value else None  # NaN: unknown


def _metrics_entry(model: Any, stored: Mapping[str, Any]) -> Any:
    if "metrics" in stored:
        try:
            return plain_json(stored.get("metrics"))
        except InputError:
            pass
    for holder in ("compiled_metrics", "_compile_metrics"):
        container = getattr(model, holder, None)
        user = getattr(container, "_user_metrics", None)
        if user is not None:
            return [_metric_entry(item) for item in (user if isinstance(user, (list, tuple)) else [user])]
    try:
        names = list(getattr(model, "metrics_names", []) or [])
    except Exception:  # noqa: BLE001
        names = []
    names = [name for name in names if isinstance(name, str) and name not in ("loss", "compile_metrics")]
    return names if names else UNKNOWN_METRICS


def _metric_entry(metric: Any) -> Any:
    if isinstance(metric, str) or metric is None:
        return metric
    if isinstance(metric, (list, tuple)):
        return [_metric_entry(item) for item in metric]
    if isinstance(metric, dict):
        return {str(key): _metric_entry(value) for key, value in metric.items()}
    name = getattr(metric, "name", None)
    if isinstance(name, str):
        return name
    return getattr(metric, "__name__", None)


# --- the training run ------------------------------------------------------------


def callbacks_from_objects(callbacks: Iterable[Any], path: str) -> tuple[Callback, ...]:
    """Callback facts (class, ``monitor``) from callback objects; ModelCheck itself is skipped."""
    found: list[Callback] = []
    for index, callback in enumerate(callbacks or ()):
        class_name = type(callback).__name__
        if class_name == "ModelCheck":
            continue
        monitor = getattr(callback, "monitor", None)
        found.append(
            Callback(
                class_name=class_name,
                monitor=monitor if isinstance(monitor, str) else None,
                location=Location(path, key=f"callbacks[{index}] {class_name}"),
            )
        )
    return tuple(found)


def fit_from_params(params: Mapping[str, Any], path: str, *, validation_given: bool) -> Fit:
    """A Fit from Keras' ``callback.params`` (``epochs``, ``steps``; Keras 2 also ``batch_size``,
    ``samples``, ``do_validation``) and whether validation data was handed to the callback."""
    has_validation: bool | None = True if validation_given else None
    if isinstance(params.get("do_validation"), bool):
        has_validation = params["do_validation"] or validation_given
    steps = params.get("steps")
    return Fit(
        method="fit",
        epochs=as_int(params.get("epochs")),
        steps_per_epoch=float(steps) if isinstance(steps, (int, float)) and not isinstance(steps, bool) else None,
        batch_size=as_int(params.get("batch_size")),
        has_validation=has_validation,
        train="train_data",
        validation="validation_data" if validation_given else None,
        location=Location(path, key="fit"),
        steps_location=Location(path, key="fit.steps") if steps is not None else None,
    )
