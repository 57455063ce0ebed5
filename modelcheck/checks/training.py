"""MC4xx: training configuration (callbacks, removed APIs)."""

from __future__ import annotations

from typing import Iterator

from modelcheck.engine import report, rule
from modelcheck.findings import Finding, FixSpec
from modelcheck.fix import specs
from modelcheck.ir import Location, TrainingSetup
from modelcheck.settings import Settings


@rule("MC401")
def monitor_unknown_metric(setup: TrainingSetup, settings: Settings) -> Iterator[Finding]:
    compiled = setup.compile
    if compiled is None or compiled.metrics is None or not setup.callbacks:
        return
    # Readers record each metric under the name Keras logs it as (vocab.canonical_metric / metric_logged_name).
    logged = {"loss"} | set(compiled.metrics)
    has_validation = None
    if setup.fits:
        flags = [fit.has_validation for fit in setup.fits]
        has_validation = None if None in flags else any(flags)
    available = logged | ({f"val_{name}" for name in logged} if has_validation is not False else set())
    for callback in setup.callbacks:
        monitor = callback.monitor
        if monitor is None or monitor in available:
            continue
        where = callback.location or Location(setup.path)
        base = monitor[4:] if monitor.startswith("val_") else monitor
        if monitor.startswith("val_") and has_validation is False and base in logged:
            yield report(
                "MC401",
                f"{callback.class_name} monitors '{monitor}' but fit() gets no validation data, so no val_ quantity is ever logged: "
                + _consequence(callback.class_name),
                where,
                "Pass validation_data= (or validation_split=) to fit(), or monitor the training quantity.",
            )
            continue
        suggestion = _closest(monitor, available)
        offer = specs.monitor(monitor, suggestion, where)
        yield report(
            "MC401",
            f"{callback.class_name} monitors '{monitor}', which the compiled model never logs. It logs only {', '.join(sorted(available))}: "
            + _consequence(callback.class_name),
            where,
            f"Use monitor='{suggestion}'." if suggestion else "Monitor a quantity the model logs (a compiled metric or loss).",
            fix=offer if isinstance(offer, FixSpec) else None,
        )


def _consequence(class_name: str) -> str:
    if class_name == "ModelCheckpoint":
        return "Keras only warns, and with save_best_only=True no checkpoint is ever saved"
    if class_name == "EarlyStopping":
        return "Keras only warns, and training never stops early"
    if class_name == "ReduceLROnPlateau":
        return "Keras only warns, and the learning rate is never reduced"
    return "Keras only warns, and the callback never acts"


def _closest(monitor: str, available: set[str]) -> str | None:
    prefix = "val_" if monitor.startswith("val_") else ""
    base = monitor[len(prefix):]
    twins = {"acc": "accuracy", "accuracy": "acc"}
    if base in twins and f"{prefix}{twins[base]}" in available:
        return f"{prefix}{twins[base]}"
    import difflib

    match = difflib.get_close_matches(monitor, sorted(available), n=1, cutoff=0.6)
    return match[0] if match else None


# What Keras 3 does with a legacy API when it does not simply fail.
_ON_KERAS3 = {
    "decay=": "`decay=` is ignored on Keras 3: it only warns, and the learning rate never decays. "
    "Training runs at the initial rate throughout; to keep the legacy schedule (lr / (1 + decay * step)) use `{replacement}`",
    "class_weight='auto'": "`class_weight='auto'` fails on Keras 3 / TensorFlow ≥ 2.16. "
    "Keras 1 accepted the string and ignored it; Keras 3 needs a dict, use `{replacement}`",
    "ModelCheckpoint(save_weights_only=True) with a path not ending in '.weights.h5'": (
        "`ModelCheckpoint(save_weights_only=True)` needs a path ending in `.weights.h5` on Keras 3. "
        "Keras 3 raises a ValueError when the callback is built; use {replacement}"
    ),
}


def _removed_message(api: str, replacement: str) -> str:
    template = _ON_KERAS3.get(api)
    if template is not None:
        return template.format(replacement=replacement)
    return f"`{api}` was removed in Keras 3 / TensorFlow ≥ 2.16. The script fails there; use `{replacement}`"


@rule("MC402")
def removed_api(setup: TrainingSetup, settings: Settings) -> Iterator[Finding]:
    for use in setup.api_uses:
        offer = specs.removed_api(use.api, use.replacement, use.location)
        yield report(
            "MC402",
            _removed_message(use.api, use.replacement),
            use.location or Location(setup.path),
            fix=offer if isinstance(offer, FixSpec) else None,
        )
