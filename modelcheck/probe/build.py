"""Get a compiled ``keras.Model`` to probe: from a model file, a live model, or the IR.

Model files are loaded with ``keras.models.load_model(path, safe_mode=True)``,
and never at all when the static reader found code in them (Lambda bytecode,
custom modules, pickles) unless the caller passes ``trust_model_code=True``.
Setups read from scripts and configs are rebuilt from the IR: layers from
their class name and config, ``keras.applications`` backbones with
the ImageNet weights in Keras's cache when the script asks for them (random otherwise;
the probe downloads only with ``--probe-weights download``), the IR's trainable flags,
loss, optimizer and learning rate. Keras is imported inside functions only.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any

from modelcheck.engine import report
from modelcheck.findings import Finding
from modelcheck.ir import Location, TrainingSetup
from modelcheck.vocab import canonical_loss, canonical_optimizer


class ProbeRefused(Exception):
    """The probe will not load this input (it carries code). ``finding`` says why."""

    def __init__(self, finding: Finding):
        super().__init__(finding.message)
        self.finding = finding


class ProbeUnsupported(Exception):
    """The probe cannot build or train this model; the message says what is missing."""


@dataclass
class PreparedModel:
    """A Keras model ready for the probe, and what is known about how it was made."""

    model: Any
    path: str
    origin: str
    """'file', 'live' or 'setup' (rebuilt from the IR)."""
    optimizer: Any
    """A serialized optimizer: each run gets a fresh copy (same class and settings)."""
    loss: Any
    loss_name: str | None
    from_logits: bool | None
    setup: TrainingSetup | None = None
    random_backbones: list[str] = field(default_factory=list)
    """Backbones the probe built with weights=None (setups) — their features carry no pretrained signal."""
    untrained: bool | None = None
    """True when the model has never been trained (optimizer at step 0, or rebuilt from the IR)."""
    notes: list[str] = field(default_factory=list)
    intended_trainable: dict[str, bool] | None = None
    """Layer path -> trainable as the setup's code means it at the last fit (replayed setups only)."""
    stale: bool = False
    """A trainable change after a fit was never followed by compile(): Keras still trains the old set."""
    replayed: bool = False
    stale_layers: list[str] = field(default_factory=list)
    """Layers whose trainable flag the stale change set (names as in the setup)."""
    weights: list[str] = field(default_factory=list)
    """Where each rebuilt backbone's weights came from ('ResNet50: ImageNet weights from …'); empty for
    model files and live models, which carry their own."""

    @property
    def output_units(self) -> int:
        shape = self.model.outputs[0].shape if getattr(self.model, "outputs", None) else self.model.output_shape
        return int(shape[-1] or 1)

    @property
    def input_shape(self) -> tuple[int, ...]:
        shape = self.model.inputs[0].shape
        return tuple(int(v) if v is not None else -1 for v in shape[1:])


# --- compile -------------------------------------------------------------------


def fresh_optimizer(serialized: Any) -> Any:
    import keras

    if isinstance(serialized, dict):
        import copy

        return keras.optimizers.deserialize(copy.deepcopy(serialized))  # deserialize edits its argument
    return keras.optimizers.get(serialized)


def describe_optimizer(serialized: Any) -> str:
    if isinstance(serialized, dict):
        config = serialized.get("config", {})
        rate = config.get("learning_rate")
        rate_text = f"{rate:g}" if isinstance(rate, (int, float)) else "schedule"
        extra = f", momentum={config['momentum']:g}" if config.get("momentum") else ""
        return f"{canonical_optimizer(str(serialized.get('class_name', '?')))}({rate_text}{extra})"
    return str(serialized)


def accuracy_metric(encoding: str, output_units: int) -> str:
    """The compiled metric that measures argmax (or threshold) agreement with the labels."""
    if encoding == "int":
        return "sparse_categorical_accuracy"
    if encoding == "binary" or output_units == 1:
        return "binary_accuracy"
    return "categorical_accuracy"


def compile_model(model: Any, optimizer: Any, loss: Any, metric: str | None) -> None:
    model.compile(optimizer=fresh_optimizer(optimizer), loss=loss, metrics=[metric] if metric else None)


def loss_identity(loss: Any) -> tuple[str | None, bool | None]:
    """(canonical loss name, from_logits) of a compiled loss (string, function or Loss object)."""
    if loss is None:
        return None, None
    if isinstance(loss, str):
        return canonical_loss(loss)[0], None
    from_logits = getattr(loss, "from_logits", None)
    if from_logits is None and hasattr(loss, "get_config"):
        try:
            from_logits = loss.get_config().get("from_logits")
        except Exception:
            from_logits = None
    name = getattr(loss, "__name__", None) or type(loss).__name__
    if type(loss).__name__ == "LossFunctionWrapper":
        name = getattr(getattr(loss, "fn", None), "__name__", name)
    return canonical_loss(name)[0], from_logits if isinstance(from_logits, bool) else None


def default_loss(model: Any) -> str:
    """The loss a classifier with this output would normally use."""
    units = int(model.outputs[0].shape[-1] or 1)
    return "binary_crossentropy" if units == 1 else "categorical_crossentropy"


# --- model files ---------------------------------------------------------------


def refuse_if_code(setup: TrainingSetup | None, path: str, trust_model_code: bool) -> None:
    """Raise ProbeRefused when the static reader found code in the file."""
    if trust_model_code or setup is None or not setup.code_objects:
        return
    first = setup.code_objects[0]
    more = f" (and {len(setup.code_objects) - 1} more)" if len(setup.code_objects) > 1 else ""
    raise ProbeRefused(
        report(
            "MC601",
            f"the probe did not load this file: it carries executable code — {first.detail}{more}. "
            "Loading it with Keras would run that code.",
            first.location or Location(path),
            hint="Rebuild the model without Lambda layers or custom code, or pass --trust-model-code "
            "(trust_model_code=True) if you wrote this file yourself.",
        )
    )


def load_file(path: str, setup: TrainingSetup | None, trust_model_code: bool = False) -> PreparedModel:
    """Load a `.keras` / `.h5` model with its weights (safe_mode unless trusted)."""
    refuse_if_code(setup, path, trust_model_code)
    import keras

    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*Skipping variable loading for optimizer.*")
            model = keras.models.load_model(path, safe_mode=not trust_model_code, compile=True)
    except Exception as error:  # Keras raises many types for a file it cannot rebuild
        message = str(error).splitlines()[0] if str(error) else type(error).__name__
        if "safe_mode" in message or "Lambda" in message:
            raise ProbeRefused(
                report("MC601", f"the probe did not load this file: Keras refuses it in safe mode ({message[:200]})", Location(path),
                       hint="Pass --trust-model-code only if you trust the file's author.")
            ) from None
        raise ProbeUnsupported(f"Keras could not load {path}: {message[:300]}") from None
    return _from_loaded(model, path, "file", setup)


def from_live(model: Any) -> PreparedModel:
    """A clone of a live model (same weights, flags and compile settings); the original is never touched."""
    import keras

    if not model.built or not getattr(model, "inputs", None):
        raise ProbeUnsupported("the model has no defined inputs yet: build it (call it on an Input) before probing")
    clone = keras.models.clone_model(model)
    clone.set_weights(model.get_weights())
    for original, copy in zip(_leaf_layers(model), _leaf_layers(clone)):
        copy.trainable = original.trainable
    prepared = _from_loaded(clone, "<live model>", "live", None, compiled_from=model)
    return prepared


def _from_loaded(model: Any, path: str, origin: str, setup: TrainingSetup | None, compiled_from: Any = None) -> PreparedModel:
    import keras

    source = compiled_from if compiled_from is not None else model
    notes: list[str] = []
    optimizer = getattr(source, "optimizer", None)
    loss = getattr(source, "loss", None)
    untrained: bool | None = None
    if optimizer is not None and loss is not None:
        serialized = keras.optimizers.serialize(optimizer)
        try:
            untrained = int(keras.ops.convert_to_numpy(optimizer.iterations)) == 0
        except Exception:
            untrained = None
    else:
        serialized = keras.optimizers.serialize(keras.optimizers.Adam(1e-3))
        loss = default_loss(model)
        notes.append(f"the model was saved without compile settings: probed with Adam(0.001) and {loss}")
    if len(model.outputs) != 1 or len(model.inputs) != 1:
        raise ProbeUnsupported(
            f"the probe handles single-input, single-output classifiers; this model has {len(model.inputs)} "
            f"input(s) and {len(model.outputs)} output(s)"
        )
    name, logits = loss_identity(loss)
    return PreparedModel(model, path, origin, serialized, loss, name, logits, setup=setup, untrained=untrained, notes=notes)


def _leaf_layers(model: Any) -> list[Any]:
    found = []
    for layer in model.layers:
        found.append(layer)
        if hasattr(layer, "layers"):
            found.extend(_leaf_layers(layer))
    return found


# --- getting ready to train ----------------------------------------------------


def walk_layers(model: Any, prefix: str = "") -> list[tuple[str, Any]]:
    """(slash path, layer) of every layer, nested models' layers included (depth first)."""
    found: list[tuple[str, Any]] = []
    for layer in model.layers:
        path = f"{prefix}{layer.name}"
        found.append((path, layer))
        if hasattr(layer, "layers") and layer.layers:
            found.extend(walk_layers(layer, path + "/"))
    return found


def prepare_training(prepared: PreparedModel, batch: Any, metric: str | None) -> None:
    """Compile the model for the probe.

    A setup with trainable changes is replayed in program order — freeze,
    compile and fit (one step each) as the script does them — so that a change
    Keras ignores (trainable set after a fit without a new compile) is ignored
    here too, and the probe can show it. Everything else is compiled once, with
    a fresh optimizer of the same class and settings.
    """
    setup = prepared.setup
    if prepared.origin == "setup" and setup is not None and setup.freeze_ops:
        from modelcheck.probe.rebuild import replay

        replay(prepared, setup, batch, metric)
    else:
        compile_model(prepared.model, prepared.optimizer, prepared.loss, metric)
