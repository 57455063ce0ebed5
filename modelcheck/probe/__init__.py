"""The training probe: confirm in seconds that a setup can learn (MC5xx).

The one part of modelcheck that imports Keras — lazily, inside functions, so
``import modelcheck.probe`` stays as cheap as the static path. Works on any
Keras 3 backend (``KERAS_BACKEND``: tensorflow, jax, torch).

    >>> from modelcheck.probe import probe
    >>> result = probe("model.keras", data="data/train")
    >>> [f.code for f in result.findings], result.trajectories[0].summary()
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from modelcheck.probe.report import Checkpoint, ProbeReport, Trajectory

# TensorFlow's C++ start-up chatter (CPU features, CUDA probing) would bury the report;
# the probe reports its own failures. A user's explicit setting wins.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

__all__ = ["probe", "probe_setup", "ProbeReport", "Trajectory", "Checkpoint", "DEFAULT_STEPS", "DEFAULT_SECONDS"]


def __getattr__(name: str) -> Any:
    # The report classes load on first use: the command line imports this package for its
    # flags on every run, and most runs never probe.
    if name in ("Checkpoint", "ProbeReport", "Trajectory"):
        from modelcheck.probe import report

        return getattr(report, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


DEFAULT_STEPS = 100
DEFAULT_SECONDS = 30.0


def probe(
    model_or_path: Any,
    *,
    data: Any = None,
    steps: int | None = None,
    seconds: float | None = None,
    trust_model_code: bool = False,
    seed: int = 0,
    batch_size: int | None = None,
    use_cache: bool = True,
    weights: str = "cache",
) -> ProbeReport:
    """Train a model briefly on a tiny fixed batch and judge the trajectory.

    ``model_or_path``: a `.keras`/`.h5` file, a training script or config (read
    statically, its model rebuilt; see ``weights``), a live
    ``keras.Model`` (probed on a clone; the original is never changed) or a
    ``TrainingSetup`` from a reader.
    ``data``: a directory of class folders, an ``(x, y)`` pair of arrays, or
    None for synthetic inputs. ``steps`` / ``seconds`` cap each training run
    (defaults 100 steps, 30 s). Files with executable code are refused unless
    ``trust_model_code=True``. Same ``seed``, same batch, same verdict.
    ``use_cache=False`` trains frozen prefixes every step too (for timing comparisons).
    ``weights`` (``--probe-weights``) is where a rebuilt backbone that the script loads with
    ``weights='imagenet'`` gets them: 'cache' (Keras's weights cache if the file is there; never
    downloads), 'download' (Keras fetches them), 'none' (random) or a weights file or folder.
    """
    from modelcheck.ir import TrainingSetup
    from modelcheck.probe.report import ProbeReport

    if isinstance(model_or_path, TrainingSetup):
        return probe_setup(model_or_path, [], data=data, steps=steps, seconds=seconds, trust_model_code=trust_model_code,
                           seed=seed, batch_size=batch_size, use_cache=use_cache, weights=weights)
    if isinstance(model_or_path, (str,)) or hasattr(model_or_path, "__fspath__"):
        path = str(model_or_path)
        if not path.lower().endswith((".keras", ".h5", ".hdf5")):
            return _probe_source(path, data=data, steps=steps, seconds=seconds, trust_model_code=trust_model_code,
                                 seed=seed, batch_size=batch_size, use_cache=use_cache, weights=weights)
        setup, static, problem = _read_model_file(path)
        if problem is not None:
            result = ProbeReport(path)
            result.findings.append(problem)
            return result
        return probe_setup(setup, static, data=data, steps=steps, seconds=seconds,
                           trust_model_code=trust_model_code, seed=seed, batch_size=batch_size, use_cache=use_cache)
    return _probe_live(model_or_path, data=data, steps=steps, seconds=seconds, seed=seed, batch_size=batch_size,
                       use_cache=use_cache)


def probe_setup(
    setup: Any,
    static_findings: list[Any],
    *,
    data: Any = None,
    steps: int | None = None,
    seconds: float | None = None,
    trust_model_code: bool = False,
    seed: int = 0,
    batch_size: int | None = None,
    use_cache: bool = True,
    weights: str = "cache",
) -> ProbeReport:
    """Probe a TrainingSetup (model file or rebuilt script/config); static findings drive the A/B runs.

    A model the probe cannot load or rebuild gives MC511 (never MC001), with why and what to do.
    """
    from modelcheck.probe import build, outcomes
    from modelcheck.probe.report import ProbeReport

    options = _options(data, steps, seconds, seed, batch_size, use_cache)
    where = _model_location(setup)
    hint = outcomes.REBUILD_HINT if setup.kind != "model" else outcomes.BACKEND_HINT
    try:
        if setup.kind == "model":
            prepared = build.load_file(setup.path, setup, trust_model_code)
        else:
            from modelcheck.probe.rebuild import from_setup

            prepared = from_setup(setup, trust_model_code, weights)
    except build.ProbeRefused as refused:
        result = ProbeReport(setup.path)
        result.findings.append(refused.finding)
        return result
    except build.ProbeUnsupported as error:
        result = ProbeReport(setup.path)
        result.findings.append(outcomes.failed(str(error), where, hint))
        return result
    except Exception as error:  # Keras refusing a rebuilt layer graph must not take the linter down
        result = ProbeReport(setup.path)
        what = "rebuilt" if setup.kind != "model" else "loaded"
        result.findings.append(outcomes.failed(f"the model could not be {what} ({outcomes.error_text(error)})", where, hint))
        return result
    from modelcheck.probe.session import probe_prepared

    return probe_prepared(prepared, options, static_findings)


def _model_location(setup: Any) -> Any:
    """Where a probe outcome about this setup points: the model's definition, else the file."""
    from modelcheck.ir import Location

    graph = getattr(setup, "model", None)
    location = getattr(graph, "location", None)
    if location is not None and location.path == setup.path:
        return location
    return Location(setup.path)


def _probe_source(path: str, **kwargs: Any) -> ProbeReport:
    """A training script or config: read statically, then rebuild and probe its model."""
    from modelcheck.probe.report import ProbeReport
    from modelcheck.runner import check_paths

    checked = check_paths([path])
    for setup in checked.setups:
        if setup.model is not None:
            return probe_setup(setup, checked.findings, **kwargs)
    result = ProbeReport(path)
    result.findings.extend(f for f in checked.findings if f.code in ("MC001", "MC002"))
    result.notes.append("not probed: no model found in this input")
    return result


def _probe_live(model: Any, **kwargs: Any) -> ProbeReport:
    from modelcheck.ir import Location
    from modelcheck.probe import build, outcomes
    from modelcheck.probe.report import ProbeReport
    from modelcheck.probe.session import probe_prepared

    options = _options(kwargs["data"], kwargs["steps"], kwargs["seconds"], kwargs["seed"], kwargs["batch_size"],
                       kwargs["use_cache"])
    try:
        prepared = build.from_live(model)
    except build.ProbeUnsupported as error:
        result = ProbeReport("<live model>")
        result.findings.append(outcomes.failed(str(error), Location("<live model>"), outcomes.BACKEND_HINT))
        return result
    return probe_prepared(prepared, options, _live_findings(model))


def _options(data: Any, steps: int | None, seconds: float | None, seed: int, batch_size: int | None,
             use_cache: bool = True) -> Any:
    from modelcheck.probe.session import Options

    if isinstance(data, list):
        data = tuple(data)
    if data is not None and not isinstance(data, (str, tuple)):
        data = str(data)  # a pathlib.Path
    return Options(
        data=data,
        steps=int(steps) if steps else DEFAULT_STEPS,
        seconds=float(seconds) if seconds else DEFAULT_SECONDS,
        seed=seed,
        batch_size=int(batch_size) if batch_size else Options.batch_size,
        cache=use_cache,
    )


def _read_model_file(path: str) -> tuple[Any, list[Any], Any]:
    """(setup, static findings, MC001 finding or None). The static reader never runs code."""
    from modelcheck.engine import report, run_rules
    from modelcheck.errors import InputError, NoSetup
    from modelcheck.ir import Location
    from modelcheck.readers.model.keras_file import read_model_file
    from modelcheck.settings import Settings

    try:
        setup = read_model_file(path)
    except (InputError, NoSetup) as error:
        return None, [], report("MC001", f"the probe cannot read this file: {error}", Location(path))
    except OSError as error:
        return None, [], report("MC001", f"the probe cannot read this file: {error}", Location(path))
    except Exception:  # a bug in the static reader must not let code-carrying files through unchecked
        return _code_scan(path), [], None
    try:
        static = run_rules(setup, Settings())
    except Exception:  # static rules are only used to pick A/B fixes
        static = []
    return setup, static, None


def _code_scan(path: str) -> Any:
    """A setup holding only the code objects of the file (fallback safety scan)."""
    import json
    import zipfile

    from modelcheck.ir import CodeObject, Location, TrainingSetup
    from modelcheck.readers.model.config_code import _code_objects

    try:
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as archive:
                config = json.loads(archive.read("config.json"))
        else:
            import h5py

            with h5py.File(path, "r") as handle:
                raw = handle.attrs.get("model_config")
                config = json.loads(raw.decode() if isinstance(raw, bytes) else raw)
        codes = tuple(_code_objects(path, config))
    except Exception:
        codes = (CodeObject("unknown", "the file could not be checked for code", Location(path)),)
    return TrainingSetup(path=path, kind="model", code_objects=codes)


def _live_findings(model: Any) -> list[Any]:
    """Static findings of a live model (for the A/B fixes), read from its config without Keras work."""
    try:
        from modelcheck.engine import run_rules
        from modelcheck.readers.model.model_config import setup_from_configs
        from modelcheck.settings import Settings

        import json

        setup = setup_from_configs("<live model>", json.loads(model.to_json()), None)
        return run_rules(setup, Settings())
    except Exception:
        return []
