"""``ModelCheck``: a Keras callback that checks the training setup before the first batch.

    from modelcheck.keras import ModelCheck

    model.fit(train_gen, validation_data=val_gen, epochs=10,
              callbacks=[ModelCheck(train_data=train_gen, validation_data=val_gen,
                                    callbacks=[checkpoint, early_stop]), checkpoint, early_stop])

At ``on_train_begin`` it reads the live model (layers, effective ``trainable``
flags, compiled loss, optimizer, learning rate and metrics), the data it was
given and the other callbacks' ``monitor`` into the same IR the static readers
produce, runs the rules, prints the findings and then raises
:class:`ModelCheckError` when one is at or above ``fail_on`` — before any
batch has run — or warns (:class:`ModelCheckWarning`) about the rest.

What a callback can see. Keras 3 hands a callback the model (``self.model``)
and ``self.params`` (``epochs``, ``steps``, ``verbose``); it does not hand it
the training data nor the other callbacks. So they are given explicitly:
``train_data=`` / ``validation_data=`` (a ``DirectoryIterator`` from
``flow_from_directory``, a ``tf.data.Dataset``, an ``(x, y)`` pair of arrays or
a directory of class folders) and ``callbacks=`` (the list passed to ``fit``).
``self.params`` is read for what it holds (``epochs``, ``steps``; in Keras 2
also ``batch_size``, ``samples``, ``do_validation``, and ``callbacks`` if some
version ever puts them there). Nothing is taken from the calling frame.

Validation data not handed over is *unknown*, not absent: the rules that
depend on it (``val_`` monitors, MC401) then assume it may be there.
"""

from __future__ import annotations

import warnings
from dataclasses import replace
from typing import Any, Iterable

try:
    import keras  # absolute import: the real Keras, never the modelcheck.keras package
except ImportError as error:  # pragma: no cover - depends on the environment
    raise ImportError("modelcheck.keras needs Keras 3 (pip install 'modelcheck[tf]' or tensorflow>=2.16)") from error

from modelcheck.api import Report, check_live
from modelcheck.findings import Finding, Severity

__all__ = ["ModelCheck", "ModelCheckError", "ModelCheckWarning"]


class ModelCheckError(RuntimeError):
    """Raised by :class:`ModelCheck` before training when a finding reaches ``fail_on``."""

    def __init__(self, report: Report, fail_on: Severity):
        self.report = report
        self.fail_on = fail_on
        self.findings: tuple[Finding, ...] = tuple(f for f in report.findings if f.severity >= fail_on)
        lines = [f"modelcheck stopped training before the first batch: {report.summary()} (fail_on={fail_on})"]
        lines += [f"  {f.location.describe()}: {f.code} {f.severity} {f.message}" for f in self.findings]
        super().__init__("\n".join(lines))


class ModelCheckWarning(UserWarning):
    """Findings below ``fail_on`` (training goes on)."""


class ModelCheck(keras.callbacks.Callback):
    """Check the live model, its compile settings, data and callbacks at ``on_train_begin``.

    ``fail_on``: ``"error"`` (default), ``"warning"``, ``"info"``, or None to
    only warn. ``probe``: also run the training probe on a clone of the model
    (MC5xx; seconds of extra work) — True, or a dict of
    :func:`modelcheck.probe.probe` options such as ``{"steps": 30}``.
    ``config``: a ``Settings`` or a pyproject path, as for :func:`modelcheck.check`
    (rule selection; ``fail_on`` here decides what stops training).
    ``verbose``: print the findings (rich) when there are any.
    After the check, ``self.report`` holds the :class:`~modelcheck.api.Report`.
    """

    def __init__(
        self,
        fail_on: str | None = "error",
        probe: bool | dict[str, Any] = False,
        *,
        train_data: Any = None,
        validation_data: Any = None,
        callbacks: Iterable[Any] | None = None,
        config: Any = None,
        verbose: bool = True,
    ):
        super().__init__()
        self.fail_on = Severity.parse(fail_on) if fail_on is not None else None
        self.probe = probe
        self.train_data = train_data
        self.validation_data = validation_data
        self.callbacks = list(callbacks) if callbacks is not None else None
        self.config = config
        self.verbose = verbose
        self.report: Report | None = None

    # Keras calls this before the first batch of every fit().
    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        report = self.check()
        self.report = report
        if self.verbose and report.findings:
            _print(report)
        if self.fail_on is not None and any(f.severity >= self.fail_on for f in report.findings):
            raise ModelCheckError(report, self.fail_on)
        if report.findings:
            warnings.warn(f"modelcheck: {report.summary()}: " + "; ".join(f"{f.code} at {f.location.describe()}" for f in report.findings),
                          ModelCheckWarning, stacklevel=2)

    def check(self) -> Report:
        """Run the checks now on ``self.model`` (what ``on_train_begin`` does, without raising)."""
        params = dict(self.params or {}) if isinstance(getattr(self, "params", None), dict) else {}
        callbacks = self.callbacks if self.callbacks is not None else list(params.get("callbacks") or [])
        report = check_live(
            self.model,
            config=self.config,
            train_data=self.train_data,
            validation_data=self.validation_data,
            callbacks=[cb for cb in callbacks if cb is not self],
            fit_params=params,
            training=True,
        )
        if self.fail_on is not None:
            report = replace(report, fail_on=self.fail_on)
        if self.probe:
            report = self._with_probe(report)
        return report

    def _with_probe(self, report: Report) -> Report:
        from modelcheck.probe import probe

        options = dict(self.probe) if isinstance(self.probe, dict) else {}
        options.setdefault("data", _probe_data(self.train_data))
        result = probe(self.model, **options)
        findings = set(report.findings) | set(result.findings)
        return replace(report, findings=tuple(sorted(findings)))


def _probe_data(data: Any) -> Any:
    """What the probe can draw a batch from: a directory or an (x, y) pair; None for synthetic."""
    import os

    if isinstance(data, (str, os.PathLike)):
        return os.fspath(data)
    directory = getattr(data, "directory", None)
    if isinstance(directory, str) and os.path.isdir(directory):
        return directory
    if isinstance(data, tuple) and len(data) == 2 and all(hasattr(part, "shape") for part in data):
        return data
    return None


def _print(report: Report) -> None:
    from rich.console import Console

    Console(highlight=False, soft_wrap=False).print(report)
