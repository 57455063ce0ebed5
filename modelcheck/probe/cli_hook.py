"""The probe's command-line surface: its flags, and running it over the checked setups.

``cli.py`` calls :func:`add_probe_arguments` when it builds its parser and
:func:`run_probe` after the static checks; neither imports Keras unless
``--probe`` is given.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

from modelcheck.findings import Finding
from modelcheck.probe.outcomes import OUTCOME_CODES

if TYPE_CHECKING:  # the probe package is imported only when --probe runs
    from modelcheck.probe.report import ProbeReport

__all__ = ["OUTCOME_CODES", "add_probe_arguments", "plot_path", "run_probe", "counts_for_exit"]


def counts_for_exit(finding: Finding) -> bool:
    """False for the probe's own outcomes (MC510, MC511): the exit code follows the static result."""
    return finding.code not in OUTCOME_CODES


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _positive_float(text: str) -> float:
    value = float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError("must be positive")
    return value


def _weights_mode(text: str) -> str:
    """cache, download, none, or a path (kept as given; a missing path is reported by the probe)."""
    return text if text.lower() not in ("cache", "download", "none") else text.lower()


def add_probe_arguments(parser: argparse.ArgumentParser) -> None:
    """Add --probe, --probe-steps, --probe-seconds, --probe-weights, --data, --probe-plot and --trust-model-code."""
    group = parser.add_argument_group("training probe (MC5xx; imports Keras)")
    group.add_argument("--probe", action="store_true", help="train each model briefly on a tiny fixed batch and report MC5xx findings")
    group.add_argument("--probe-steps", type=_positive_int, default=None, metavar="N", help="training steps per probe run (default 100)")
    group.add_argument("--probe-seconds", type=_positive_float, default=None, metavar="S", help="time cap per probe run in seconds (default 30)")
    group.add_argument(
        "--probe-weights", type=_weights_mode, default="cache", metavar="cache|download|none|PATH",
        help="ImageNet weights for a backbone a script or config loads with weights='imagenet': 'cache' (default: the "
        "file in Keras's cache, $KERAS_HOME/models or ~/.keras/models, if present; never downloads), 'download' (Keras "
        "fetches it), 'none' (random weights) or a weights file or folder",
    )
    group.add_argument("--data", default=None, metavar="DIR", help="folder of class sub-folders with images for the probe batch (default: the pipeline's directory, else synthetic)")
    group.add_argument("--probe-plot", default=None, metavar="FILE.png", help="write the probe's loss curves to this PNG (needs matplotlib)")
    group.add_argument("--trust-model-code", action="store_true", help="let the probe load model files that carry code (Lambda bytecode, custom objects): runs that code")


def plot_path(base: str, index: int, total: int) -> str:
    """FILE.png for one report, FILE-2.png … when several models are probed."""
    if total <= 1 or index == 0:
        return base
    path = Path(base)
    return str(path.with_name(f"{path.stem}-{index + 1}{path.suffix or '.png'}"))


def run_probe(args: argparse.Namespace, result: Any) -> tuple[list[Finding], list[ProbeReport]]:
    """Probe every setup with a model in the runner's ``Result``.

    Static findings of the same file pick the A/B fixes (MC101, MC102, MC201).
    Returns the probe findings (sorted) and one report per probed setup.
    """
    if not getattr(args, "probe", False):
        return [], []
    from modelcheck.probe import probe_setup

    reports: list[ProbeReport] = []
    for setup in result.setups:
        if setup.model is None:
            continue
        static = [f for f in result.findings if f.location.path == setup.path]
        reports.append(
            probe_setup(
                setup,
                static,
                data=getattr(args, "data", None),
                steps=getattr(args, "probe_steps", None),
                seconds=getattr(args, "probe_seconds", None),
                trust_model_code=bool(getattr(args, "trust_model_code", False)),
                weights=getattr(args, "probe_weights", "cache") or "cache",
            )
        )
    plot = getattr(args, "probe_plot", None)
    if plot:
        for index, item in enumerate(reports):
            problem = item.plot(plot_path(plot, index, len(reports)))
            if problem:
                item.notes.append(problem)
    findings = sorted(f for item in reports for f in item.findings)
    return findings, reports
