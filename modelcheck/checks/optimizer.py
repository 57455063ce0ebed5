"""MC207: a learning rate the optimizer cannot train with."""

from __future__ import annotations

from typing import Iterator

from modelcheck.checks.transfer import trainable_pretrained_layers
from modelcheck.engine import report, rule
from modelcheck.findings import Finding
from modelcheck.ir import Location, TrainingSetup
from modelcheck.settings import Settings

# Optimizers that scale each step by running gradient statistics: the step is about the rate.
_ADAPTIVE = {"Adam", "Nadam", "Adamax", "RMSprop", "AdamW"}
_ADAPTIVE_LIMIT = 0.05
_SGD_LIMIT = 1.0
# Keras 1 defaulted these to 1.0 (Adadelta) and 0.01 (Adagrad); tf.keras 2 and Keras 3 use 0.001.
_LEGACY_DEFAULTS = {"Adadelta": 1.0, "Adagrad": 0.01}
_KERAS_DEFAULT = 0.001


@rule("MC207")
def learning_rate_out_of_range(setup: TrainingSetup, settings: Settings) -> Iterator[Finding]:
    compiled = setup.compile
    optimizer = compiled.optimizer if compiled else None
    if optimizer is None or optimizer.class_name is None:
        return
    where = optimizer.location or compiled.location or Location(setup.path)
    name, rate = optimizer.class_name, optimizer.learning_rate
    # The reader fills in Keras' default for `Adadelta()`; an explicit 0.001 moves just as little.
    if name in _LEGACY_DEFAULTS and (rate is None or abs(rate - _KERAS_DEFAULT) < 1e-12):
        yield report(
            "MC207",
            f"{name} runs at learning rate 0.001 (Keras' default), which barely moves the weights. "
            f"Keras 1 defaulted {name} to {_LEGACY_DEFAULTS[name]:g}; code and tutorials written for it relied on that, "
            "and on Keras 2 and 3 the same call trains hundreds of times slower",
            where,
            f"Pass the rate explicitly: {name}(learning_rate={_LEGACY_DEFAULTS[name]:g}), or use Adam.",
        )
        return
    if rate is None:
        return
    limit = _ADAPTIVE_LIMIT if name in _ADAPTIVE else _SGD_LIMIT if name == "SGD" else None
    if limit is None or rate < limit:
        return
    if trainable_pretrained_layers(setup, settings):
        return  # fine-tuning a pretrained backbone too fast is MC206's finding
    yield report(
        "MC207",
        f"{name} with learning rate {rate:g} is far outside the range it trains with. "
        + (
            "Adaptive optimizers take steps of about the learning rate in every weight, so the loss jumps or turns NaN"
            if name in _ADAPTIVE
            else "Plain SGD steps this large overshoot every minimum, so the loss diverges or turns NaN"
        ),
        where,
        f"Use {name}(learning_rate={'1e-3' if name in _ADAPTIVE else '0.01'}) and tune from there.",
    )
