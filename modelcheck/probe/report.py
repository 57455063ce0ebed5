"""What a probe run produced: trajectories, findings and notes (plain data, no Keras).

:class:`ProbeReport` is what :func:`modelcheck.probe.probe` returns and what the
CLI prints (one sparkline per training run), writes as JSON (``to_dict``) and
plots (``plot``, with matplotlib when it is installed).
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from typing import IO, Any

from modelcheck.findings import Finding

_BARS = "▁▂▃▄▅▆▇█"


@dataclass
class Checkpoint:
    """The model evaluated on the probe batch in inference mode after ``step`` updates."""

    step: int
    loss: float
    accuracy: float | None
    distinct: int
    """How many different classes the model predicts over the batch (argmax)."""
    finite: bool = True


@dataclass
class Trajectory:
    """One bounded training run on the probe batch."""

    label: str
    """'as written', 'with relu (MC101 fix)', 'reference Adam(1e-3)'…"""
    losses: list[float] = field(default_factory=list)
    """Training-mode loss returned by each step (computed before that step's update)."""
    accuracies: list[float | None] = field(default_factory=list)
    checkpoints: list[Checkpoint] = field(default_factory=list)
    steps_done: int = 0
    seconds: float = 0.0
    stopped: str = "steps"
    """Why the run ended: 'steps', 'seconds', 'fitted', 'non-finite', 'out-of-memory' or 'error'."""
    movement: dict[str, float] = field(default_factory=dict)
    """Layer path -> relative weight movement |w_end - w_start| / |w_start|."""
    trainable: dict[str, bool] = field(default_factory=dict)
    """Layer path -> whether Keras trained that layer's weights (it has trainable weights)."""
    nonfinite_weights: list[str] = field(default_factory=list)
    gap: dict[str, float] | None = None
    """Train-vs-inference output gap on the batch after training: 'tv', 'disagree', 'relative'."""
    optimizer: str = ""
    error: str | None = None

    @property
    def initial_loss(self) -> float | None:
        return self.checkpoints[0].loss if self.checkpoints else None

    @property
    def final_loss(self) -> float | None:
        return self.checkpoints[-1].loss if self.checkpoints else None

    @property
    def best_loss(self) -> float | None:
        finite = [c.loss for c in self.checkpoints if math.isfinite(c.loss)]
        return min(finite) if finite else None

    @property
    def final_accuracy(self) -> float | None:
        return self.checkpoints[-1].accuracy if self.checkpoints else None

    def summary(self) -> str:
        """'loss 1.61 → 1.20 in 100 steps (3.1 s)'."""
        start, end = self.initial_loss, self.final_loss
        if start is None or end is None:
            return f"no loss recorded ({self.stopped})"
        text = f"loss {fmt(start)} → {fmt(end)} in {self.steps_done} steps ({self.seconds:.1f} s)"
        if self.final_accuracy is not None:
            text += f", accuracy {self.final_accuracy:.2f}"
        if self.stopped not in ("steps", "fitted"):
            text += f", stopped: {self.stopped}"
        return text


def fmt(value: float | None) -> str:
    """A loss for a message: 3 significant digits, 'nan'/'inf' spelled out."""
    if value is None:
        return "?"
    if not math.isfinite(value):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
    if value != 0 and (abs(value) < 0.01 or abs(value) >= 10000):
        return f"{value:.2g}"
    return f"{value:.3g}"


def sparkline(values: list[float], width: int = 40) -> str:
    """A one-line unicode chart of a loss curve (log scale when it spans decades)."""
    finite = [v for v in values if math.isfinite(v)]
    if not finite:
        return "✗" * min(width, max(1, len(values)))
    if len(values) > width:
        # Average into `width` buckets so a long run still fits one line.
        size = len(values) / width
        buckets = [values[int(i * size) : max(int((i + 1) * size), int(i * size) + 1)] for i in range(width)]
        values = [sum(b) / len(b) if all(math.isfinite(v) for v in b) else math.nan for b in buckets]
    low, high = min(finite), max(finite)
    use_log = low > 0 and high / low > 20
    def scale(v: float) -> float:
        return math.log10(v) if use_log else v
    lo, hi = scale(low), scale(high)
    chars = []
    for v in values:
        if not math.isfinite(v):
            chars.append("✗")
            continue
        frac = 0.0 if hi == lo else (scale(v) - lo) / (hi - lo)
        chars.append(_BARS[min(len(_BARS) - 1, int(frac * (len(_BARS) - 1) + 0.5))])
    return "".join(chars)


@dataclass
class ProbeReport:
    """Everything one probe produced, for the console, JSON and plots."""

    target: str
    backend: str = "?"
    device: str = "?"
    steps: int = 0
    """Step budget per run."""
    seconds: float = 0.0
    """Time budget per run."""
    batch_size: int = 0
    num_classes: int = 0
    data: str = ""
    """Where the probe batch came from and how it was scaled."""
    cache: bool = False
    cache_note: str = ""
    weights: str = ""
    """Which weights the model was probed with ('the model file's own', 'ResNet50: ImageNet weights from …')."""
    trajectories: list[Trajectory] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    elapsed: float = 0.0
    """Wall time of the whole probe (model load, batch, cache, all runs)."""

    def trajectory(self, label_start: str) -> Trajectory | None:
        for run in self.trajectories:
            if run.label.startswith(label_start):
                return run
        return None

    def to_dict(self) -> dict[str, Any]:
        from modelcheck.report.json_format import finding_dict

        runs = [_clean(asdict(run)) for run in self.trajectories]
        return {
            "target": self.target,
            "backend": self.backend,
            "device": self.device,
            "steps": self.steps,
            "seconds": self.seconds,
            "batch_size": self.batch_size,
            "num_classes": self.num_classes,
            "data": self.data,
            "cache": self.cache,
            "cache_note": self.cache_note,
            "weights": self.weights,
            "elapsed": round(self.elapsed, 3),
            "trajectories": runs,
            "findings": [finding_dict(f) for f in self.findings],
            "notes": list(self.notes),
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, allow_nan=False)

    def console_lines(self) -> list[str]:
        """Plain-text summary: header, one sparkline per run, notes."""
        lines = [
            f"probe {self.target}: {self.backend} on {self.device}, batch {self.batch_size} "
            f"({self.data}), {('cache: ' if self.cache else '') + (self.cache_note or 'no cache')}"
        ]
        if self.weights:
            lines.append(f"  weights: {self.weights}")
        width = max((len(r.label) for r in self.trajectories), default=0)
        for run in self.trajectories:
            lines.append(f"  {run.label:<{width}}  {sparkline(run.losses)}  {run.summary()}")
        lines.extend(f"  note: {note}" for note in self.notes)
        return lines

    def render(self, stream: IO[str] | None = None, color: bool | None = None) -> None:
        """Print the summary with rich (sparklines coloured by outcome)."""
        from rich.console import Console
        from rich.markup import escape

        # emoji=False: a path or layer name like "a:100:b" is text, not an emoji code.
        console = Console(file=stream, highlight=False, soft_wrap=True, force_terminal=color, no_color=color is False, emoji=False)
        lines = self.console_lines()
        head = 2 if self.weights else 1
        for line in lines[:head]:
            console.print(f"[bold]{escape(line)}[/bold]")
        for run, line in zip(self.trajectories, lines[head : head + len(self.trajectories)]):
            style = "green" if run.stopped == "fitted" else ("red" if run.stopped in ("non-finite", "error", "out-of-memory") else "white")
            console.print(f"[{style}]{escape(line)}[/{style}]")
        for line in lines[head + len(self.trajectories) :]:
            console.print(f"[dim]{escape(line)}[/dim]")

    def plot(self, path: str) -> str | None:
        """Write the loss curves to ``path`` (PNG). Returns None, or why nothing was written."""
        try:
            import matplotlib

            matplotlib.use("Agg")
            import matplotlib.pyplot as plt
        except ImportError:
            return "matplotlib is not installed: pip install 'modelcheck[plot]' to get --probe-plot"
        figure, axis = plt.subplots(figsize=(7, 4))
        for run in self.trajectories:
            values = [v if math.isfinite(v) and v > 0 else math.nan for v in run.losses]
            axis.plot(range(len(values)), values, label=f"{run.label}: {run.summary()}")
        axis.set_yscale("log")
        axis.set_xlabel("step")
        axis.set_ylabel("training loss")
        axis.set_title(f"modelcheck probe: {self.target}", fontsize=9)
        axis.legend(fontsize=7)
        figure.tight_layout()
        figure.savefig(path, dpi=120)
        plt.close(figure)
        return None


def _clean(value: Any) -> Any:
    """JSON has no NaN/Inf: spell them as strings ('nan', 'inf')."""
    if isinstance(value, float):
        return value if math.isfinite(value) else fmt(value)
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    return value
