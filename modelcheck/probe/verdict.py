"""From trajectories to MC5xx findings, with the measured numbers in each message.

Thresholds (calibrated on small CNNs memorising 20 synthetic 32×32 images, 5
classes, 100 Adam steps; see the probe section of the project notes):

- healthy models end at 0.02–0.1 of their starting loss; a hidden softmax at
  0.74 (1.61 → 1.19); a model that cannot move at ≥ 0.98 (dead ReLU, frozen,
  learning rate 1e-5). "Stuck" is a final/initial ratio above ``STUCK`` (0.95);
  between ``SLOW`` (0.5) and STUCK a model is only *slow* and MC502 needs the
  A/B clone with a hidden softmax turned into relu (MC101) to confirm it: the
  fix must at least halve the final loss;
- SGD(1e4) climbs from 1.6 to 5201: diverging is a peak above 10× the start;
- a model stuck under your optimizer is re-run with Adam(1e-3): when that one
  learns, the verdict is "too slow to judge at this learning rate", not MC502.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from modelcheck.engine import report
from modelcheck.findings import Finding
from modelcheck.ir import Location
from modelcheck.probe import outcomes
from modelcheck.probe.report import Trajectory, fmt

STUCK = 0.95
SLOW = 0.5
MIN_STEPS = 20
DIVERGE_PEAK = 10.0
DIVERGE_FINAL = 3.0
DEAD_RELATIVE = 1e-3
GAP_TV = 0.25
GAP_DISAGREE = 0.3
GAP_TV_WITH_DISAGREE = 0.1
ACCURACY_MARGIN = 0.1
CONFIRMING_FIXES = ("MC101",)
"""Fixes whose A/B run can confirm MC502. A sigmoid output under categorical_crossentropy
(MC102) still memorises the batch (accuracy 1.0), only its loss falls more slowly, and an MC201
run on a rebuilt backbone compares random weights: both curves are shown, neither is a verdict."""


@dataclass
class Context:
    path: str
    main: Trajectory
    num_classes: int
    output_units: int
    loss_name: str | None
    labels: np.ndarray
    data_source: str
    untrained: bool | None = None
    random_backbones: list[str] = field(default_factory=list)
    frozen_prefix: bool = False
    """The model has frozen layers with weights in front of what trains."""
    frozen_untrained: bool = False
    """Every frozen layer still holds its initial weights (biases exactly 0, BatchNorm at 0/1)."""
    feature_problem: str | None = None
    """Why the frozen features carry no signal ('vanishing…'), or None."""
    reference: Trajectory | None = None
    ab: list[tuple[str, Trajectory]] = field(default_factory=list)
    """(static code fixed, trajectory of the fixed clone)."""
    stale: bool = False
    intended_trainable: dict[str, bool] | None = None
    has_batchnorm_training: bool = False
    input_check: dict[str, Any] | None = None
    location: Location | None = None
    layer_locations: dict[str, Location] = field(default_factory=dict)
    scaling_location: Location | None = None
    """Where the pipeline's scaling is declared, for MC508."""
    freeze_location: Location | None = None
    """The trainable change a stale replay ignored (script line), for MC506."""
    stale_layers: list[str] = field(default_factory=list)
    """Layers that trainable change named."""


def chance_loss(loss_name: str | None, output_units: int) -> float | None:
    """The loss of a model that knows nothing: ln C (softmax) or ln 2 (sigmoid/binary)."""
    if loss_name in ("categorical_crossentropy", "sparse_categorical_crossentropy"):
        return math.log(max(2, output_units))
    if loss_name == "binary_crossentropy":
        return math.log(2)
    return None


def _ratio(run: Trajectory) -> float | None:
    start, end = run.initial_loss, run.final_loss
    if start is None or end is None or not math.isfinite(start) or not math.isfinite(end) or start <= 0:
        return None
    return end / start


def judge(ctx: Context) -> tuple[list[Finding], list[str]]:
    findings: list[Finding] = []
    notes: list[str] = []
    where = ctx.location or Location(ctx.path)
    run = ctx.main
    chance = chance_loss(ctx.loss_name, ctx.output_units)
    if run.stopped == "error":
        if ctx.stale and "optimizer was built with" in (run.error or ""):
            # JAX (and PyTorch) Keras refuse the next fit outright where TensorFlow silently trains the old set.
            findings.append(report(
                "MC506",
                f"the trainable flag of {', '.join(ctx.stale_layers[:4]) or 'some layers'} was changed after the model had "
                f"trained and compile() was not called again: Keras refuses the next fit on this backend ({run.error})",
                ctx.freeze_location or where,
                hint="Call model.compile() again after changing layer.trainable.",
            ))
            return findings, notes
        findings.append(outcomes.failed(f"training stopped with {run.error} after {run.steps_done} steps", where))
        return findings, notes

    diverging = _diverging(ctx, where, findings)
    nothing_trains = not any(run.trainable.values())
    _trainable_state(ctx, where, findings, nothing_trains)
    if ctx.input_check and ctx.input_check.get("mismatch"):
        check = ctx.input_check
        findings.append(report("MC508", check["message"], ctx.scaling_location or where, hint=check.get("hint")))
    _gap(ctx, where, findings, notes)
    if diverging:
        return findings, notes

    inconclusive = ctx.frozen_prefix and (ctx.feature_problem is not None or bool(ctx.random_backbones) or ctx.frozen_untrained)
    ratio = _ratio(run)
    confirmed = _ab_confirmation(ctx, ratio)
    if inconclusive and not confirmed and not nothing_trains and (ratio is None or ratio > SLOW):
        if ctx.random_backbones:
            why = f"the frozen backbone ({', '.join(ctx.random_backbones)}) has random weights here"
            if ctx.feature_problem:
                why += f" ({ctx.feature_problem})"
            todo = ("Put its ImageNet weights in the Keras cache (run the script once, or pass --probe-weights download "
                    "or --probe-weights PATH) or probe the saved model file.")
        elif ctx.feature_problem:
            why = ctx.feature_problem
            todo = "Probe the model with its trained weights (a saved .keras file), or check the frozen layers' inputs."
        else:
            why = "the frozen layers still hold their initial random weights (every bias is exactly 0)"
            todo = "Probe the model with its trained weights (a saved .keras file)."
        findings.append(outcomes.inconclusive(
            f"{why}, so no head can be expected to learn from their features ({run.summary()}). "
            "This says nothing about your head.", where, todo))
        return findings, notes

    _initial_loss(ctx, where, findings, notes, chance)
    fits = _cannot_overfit(ctx, where, findings, notes, ratio, confirmed, nothing_trains)
    _loss_without_accuracy(ctx, where, findings, ratio)
    if not nothing_trains:
        _dead_layers(ctx, findings)
    _collapsed(ctx, where, findings, fits)
    return findings, notes


def _diverging(ctx: Context, where: Location, findings: list[Finding]) -> bool:
    run = ctx.main
    start = run.initial_loss
    finite_losses = [v for v in run.losses if math.isfinite(v)]
    problems = []
    if run.stopped == "non-finite" or any(not math.isfinite(v) for v in run.losses):
        step = next(i + 1 for i, v in enumerate(run.losses) if not math.isfinite(v))
        problems.append(f"the loss became {fmt(run.losses[step - 1])} at step {step}")
    if any(not c.finite for c in run.checkpoints):
        problems.append("the outputs became NaN/Inf")
    if run.nonfinite_weights:
        problems.append(f"weights of {', '.join(run.nonfinite_weights[:3])} became NaN/Inf")
    first = run.losses[0] if run.losses else None
    if first is not None and math.isfinite(first) and first > 0 and finite_losses:
        # Training-mode losses are compared with each other, evaluated ones with each other.
        peak = max(finite_losses)
        at = run.losses.index(peak) + 1
        end = run.final_loss if run.final_loss is not None else finite_losses[-1]
        if peak > DIVERGE_PEAK * first and peak > first + 1.0:
            problems.append(f"the loss climbed from {fmt(first)} to {fmt(peak)} (step {at}) and ended at {fmt(end)}")
        elif start is not None and start > 0 and math.isfinite(end) and end > DIVERGE_FINAL * start and end > start + 1.0:
            problems.append(f"the loss rose from {fmt(start)} to {fmt(end)}")
    if not problems:
        return False
    nan = run.stopped == "non-finite" or bool(run.nonfinite_weights) or any(not c.finite for c in run.checkpoints)
    findings.append(
        report(
            "MC504",
            f"training diverges on the probe batch with {run.optimizer}: {'; '.join(problems)}."
            + ("" if nan else " Keras clips probabilities, so a learning rate far too high shows as a huge finite loss rather than NaN."),
            where,
            hint="Lower the learning rate (Adam 1e-3 or SGD 1e-2 for a new head; 1e-5 for fine-tuning pretrained layers) "
            "and check the inputs are scaled.",
        )
    )
    return True


def _trainable_state(ctx: Context, where: Location, findings: list[Finding], nothing_trains: bool) -> None:
    run = ctx.main
    if nothing_trains:
        findings.append(
            report(
                "MC506",
                f"nothing is trainable: none of the {len(run.trainable)} layers with weights has trainable weights, "
                f"so fit() leaves every weight unchanged ({run.summary()}).",
                where,
                hint="Unfreeze the new head (and any layers you mean to fine-tune), then compile() again.",
            )
        )
        return
    moved_frozen = [p for p, trains in run.trainable.items() if not trains and run.movement.get(p, 0.0) > 0]
    intended = ctx.intended_trainable or {}
    idle_trainable = [
        p for p, trains in run.trainable.items() if trains and run.movement.get(p, 0.0) == 0.0 and intended.get(p, True)
    ] if ctx.stale else []
    if ctx.stale:
        moved_frozen += [p for p, want in intended.items() if want is False and run.movement.get(p, 0.0) > 0 and p not in moved_frozen]
    if moved_frozen:
        findings.append(
            report(
                "MC506",
                f"{len(moved_frozen)} layer(s) set frozen changed during the probe: "
                f"{_layer_list(moved_frozen, run)}. The trainable flag was changed after the model had trained, "
                "and Keras keeps training the layers it collected then.",
                ctx.freeze_location or ctx.layer_locations.get(moved_frozen[0], where),
                hint="Call model.compile() again after changing layer.trainable.",
            )
        )
    if idle_trainable:
        findings.append(
            report(
                "MC506",
                f"{len(idle_trainable)} layer(s) set trainable did not change at all during the probe: "
                f"{', '.join(idle_trainable[:4])}{'…' if len(idle_trainable) > 4 else ''}. The flag was set after the "
                "model had trained and compile() was not called again, so Keras still trains the old set of weights.",
                ctx.freeze_location or ctx.layer_locations.get(idle_trainable[0], where),
                hint="Call model.compile() again after changing layer.trainable.",
            )
        )


def _layer_list(paths: list[str], run: Trajectory) -> str:
    items = [f"{p} (moved {run.movement.get(p, 0.0):.2g})" for p in paths[:4]]
    return ", ".join(items) + ("…" if len(paths) > 4 else "")


def _gap(ctx: Context, where: Location, findings: list[Finding], notes: list[str]) -> None:
    gap = ctx.main.gap
    if not gap:
        return
    # Near-uniform outputs flip their argmax on any noise: disagreement counts only with a real distance.
    if gap["tv"] < GAP_TV and not (gap["disagree"] >= GAP_DISAGREE and gap["tv"] >= GAP_TV_WITH_DISAGREE):
        return
    if ctx.has_batchnorm_training and (ctx.untrained or ctx.random_backbones):
        notes.append(
            f"training and inference outputs differ (mean total-variation distance {gap['tv']:.2f}), but the "
            "BatchNormalization statistics of this untrained model have only seen the probe's few steps: not judged (MC509)"
        )
        return
    findings.append(
        report(
            "MC509",
            f"the same batch gives very different outputs in training and inference mode: mean total-variation "
            f"distance {gap['tv']:.2f} between the two output distributions, {gap['disagree']:.0%} of predicted classes "
            "differ. Training-time metrics will not match evaluation and predict().",
            where,
            hint="Call a BatchNormalization-based backbone with training=False, keep BatchNormalization frozen "
            "when fine-tuning on small batches, and use Dropout rates of 0.2–0.5.",
        )
    )


def _ab_confirmation(ctx: Context, ratio: float | None) -> tuple[str, Trajectory] | None:
    end = ctx.main.final_loss
    if end is None or not math.isfinite(end) or ratio is None or ratio <= SLOW:
        return None
    for code, fixed in ctx.ab:
        if code not in CONFIRMING_FIXES:
            continue
        fixed_end = fixed.final_loss
        fixed_ratio = _ratio(fixed)
        if fixed_end is not None and fixed_ratio is not None and fixed_ratio <= SLOW and fixed_end <= 0.5 * end:
            return code, fixed
    return None


def _initial_loss(ctx: Context, where: Location, findings: list[Finding], notes: list[str], chance: float | None) -> None:
    start = ctx.main.initial_loss
    if chance is None or start is None or not math.isfinite(start):
        return
    if ctx.data_source == "synthetic" and ctx.untrained is not True:
        return  # a trained model is confident, and random labels make any confident model look "off"
    if start > max(2 * chance, chance + 1.0) and ctx.frozen_prefix and (ctx.random_backbones or ctx.frozen_untrained):
        # Random frozen layers (BatchNormalization at its initial statistics) blow features up: not the user's inputs.
        notes.append(f"the loss before training is {fmt(start)} (chance {fmt(chance)}), but the frozen layers hold random "
                     "weights, whose features say nothing about your inputs: not judged (MC501)")
        return
    if start > max(2 * chance, chance + 1.0):
        findings.append(
            report(
                "MC501",
                f"the loss before training is {fmt(start)}, far above the chance value {fmt(chance)} "
                f"({'ln 2' if chance == math.log(2) else f'ln {ctx.output_units}'}) a freshly initialised classifier starts at: "
                "its first outputs are confidently wrong, which usually means unscaled inputs (0–255 into layers that "
                "expect about [-1, 1]) or an output layer initialised with large weights.",
                where,
                hint="Scale the inputs (Rescaling(1/255) or the backbone's preprocess_input) and keep the output "
                "layer's default initialiser.",
            )
        )


def _cannot_overfit(
    ctx: Context, where: Location, findings: list[Finding], notes: list[str], ratio: float | None,
    confirmed: tuple[str, Trajectory] | None, nothing_trains: bool,
) -> bool:
    run = ctx.main
    if ratio is None:
        return False
    if ratio <= SLOW:
        return True
    if run.steps_done < MIN_STEPS and not nothing_trains and run.stopped == "seconds":
        findings.append(outcomes.inconclusive(
            f"only {run.steps_done} steps fit in the time budget of {run.seconds:.0f} s ({run.summary()}), too few to "
            "judge whether the model can learn", where,
            "Give the probe more time (--probe-seconds), run it on a GPU, or freeze more of the backbone so the "
            "frozen-prefix cache takes it out of training."))
        return False
    if confirmed is not None:
        code, fixed = confirmed
        findings.append(
            report(
                "MC502",
                f"the model cannot fit a batch of {len(ctx.labels)} samples: {run.summary()} as written; "
                f"{fixed.label}: {fixed.summary()}. The {code} fix is what stops it from learning.",
                where,
                hint=f"Apply the {code} fix.",
            )
        )
        return False
    if ratio <= STUCK:
        notes.append(f"learning slowly: {run.summary()} (a healthy setup usually ends below {SLOW:.0%} of its start); not judged")
        return False
    reference = ctx.reference
    ref_ratio = _ratio(reference) if reference is not None else None
    if reference is not None and ref_ratio is not None and ref_ratio <= 0.9 and not nothing_trains:
        notes.append(
            f"too slow to judge at your settings: {run.summary()} with {run.optimizer}; "
            f"{reference.label}: {reference.summary()}. The architecture can learn; use --probe-steps for a longer probe."
        )
        return False
    also = f"; {reference.label} does no better: {reference.summary()}" if reference is not None else ""
    findings.append(
        report(
            "MC502",
            f"the model cannot fit a fixed batch of {len(ctx.labels)} samples: {run.summary()} with {run.optimizer}{also}. "
            "A healthy setup memorises such a batch within a hundred steps.",
            where,
            hint="Look for frozen or dead layers, a hidden softmax/sigmoid, labels that do not match the output, "
            "or a learning rate far too small.",
        )
    )
    return False


def _loss_without_accuracy(ctx: Context, where: Location, findings: list[Finding], ratio: float | None) -> None:
    run = ctx.main
    start, end, accuracy = run.initial_loss, run.final_loss, run.final_accuracy
    if start is None or end is None or accuracy is None or not math.isfinite(end):
        return
    drop = start - end
    fell = drop > 0.05 and drop >= 0.3 * abs(start)
    counts = np.bincount(ctx.labels.astype(int).clip(min=0)) if len(ctx.labels) else np.array([1])
    majority = float(counts.max() / max(1, counts.sum()))
    if fell and accuracy <= majority + ACCURACY_MARGIN:
        findings.append(
            report(
                "MC503",
                f"the loss falls ({fmt(start)} → {fmt(end)}) but accuracy stays at chance ({accuracy:.2f}; always "
                f"predicting the most common class gives {majority:.2f}): the model optimises something other than "
                "the class. The labels' encoding, the output layer and the loss disagree.",
                where,
                hint="Match them: one-hot labels with softmax + categorical_crossentropy, integer labels with "
                "sparse_categorical_crossentropy, 0/1 labels with 1 sigmoid unit + binary_crossentropy.",
            )
        )


def _dead_layers(ctx: Context, findings: list[Finding]) -> None:
    run = ctx.main
    if ctx.stale:
        return
    moving = {p: m for p, m in run.movement.items() if run.trainable.get(p) and math.isfinite(m)}
    if len(moving) < 2:
        return
    median = float(np.median(list(moving.values())))
    if median <= 0:
        return
    dead = [p for p, m in moving.items() if m == 0.0 or m < DEAD_RELATIVE * median]
    if dead and len(dead) < len(moving):
        findings.append(
            report(
                "MC505",
                f"{len(dead)} trainable layer(s) did not move during {run.steps_done} probe steps: "
                + ", ".join(f"{p} (|Δw|/|w| = {moving[p]:.1g})" for p in dead[:4])
                + f"{'…' if len(dead) > 4 else ''}, while the median layer moved {median:.2g}. Their gradients are zero "
                "(dead ReLUs, a saturated activation, or nothing downstream depends on them).",
                ctx.layer_locations.get(dead[0], ctx.location or Location(ctx.path, layer=dead[0])),
                hint="Check the activation and initialisation of the layer and of the layer before it.",
            )
        )


def _collapsed(ctx: Context, where: Location, findings: list[Finding], fits: bool) -> None:
    run = ctx.main
    if fits or len(set(ctx.labels.tolist())) < 2 or not run.checkpoints:
        return
    first, last = run.checkpoints[0], run.checkpoints[-1]
    when = None
    if last.finite and last.distinct == 1 and run.steps_done > 0:
        when = f"after {run.steps_done} training steps"
    elif first.finite and first.distinct == 1 and ctx.untrained is False and ctx.data_source != "synthetic":
        when = "before any training"
    if when is None:
        return
    findings.append(
        report(
            "MC507",
            f"the model predicts the same class for all {len(ctx.labels)} inputs {when} "
            f"although they belong to {len(set(ctx.labels.tolist()))} classes.",
            where,
            hint="Look for a dead or saturated layer before the output, unscaled inputs, or a learning rate that "
            "drove the output layer to a constant.",
        )
    )
