"""From command-line paths to TrainingSetups: file discovery and reader dispatch.

Unreadable inputs become MC001 findings and inputs without a training setup
MC002 findings (only when named explicitly); nothing here raises for bad input.
Every reader call runs under a per-file time limit (``$MODELCHECK_READ_TIMEOUT``,
60 s by default, a safety net), enforced with SIGALRM when modelcheck runs in the main thread.
"""

from __future__ import annotations

import os
import re
import signal
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

from modelcheck.engine import report
from modelcheck.errors import InputError, NoSetup
from modelcheck.findings import Finding
from modelcheck.ir import Location, TrainingSetup
from modelcheck.limits import MAX_MESSAGE_CHARS, MAX_SCRIPT_TOKENS, MAX_TEXT_BYTES, script_tokens
from modelcheck.settings import READ_TIMEOUT_ENV, read_timeout

MODEL_SUFFIXES = {".keras", ".h5", ".hdf5"}
SCRIPT_SUFFIXES = {".py"}
NOTEBOOK_SUFFIXES = {".ipynb"}
CONFIG_SUFFIXES = {".yaml", ".yml", ".toml", ".json"}
KNOWN_SUFFIXES = MODEL_SUFFIXES | SCRIPT_SUFFIXES | NOTEBOOK_SUFFIXES | CONFIG_SUFFIXES
SKIP_DIRS = {".git", ".hg", ".svn", ".venv", "venv", "env", "node_modules", "__pycache__", ".tox", ".mypy_cache", ".pytest_cache", "site-packages", "build", "dist"}
@dataclass
class Loaded:
    """What reading the inputs produced: setups to check and findings about the inputs."""

    setups: list[TrainingSetup] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    companions: list[TrainingSetup] = field(default_factory=list)
    """Training scripts read only because a prediction script beside them was checked alone:
    their rules run, and only findings in the checked files are kept."""


def discover(paths: list[str], exclude: tuple[str, ...] = ()) -> tuple[list[tuple[str, bool]], list[Finding]]:
    """Expand paths into (file, named_explicitly) pairs, sorted, each once."""
    found: dict[str, bool] = {}
    problems: list[Finding] = []
    for raw in paths:
        path = Path(raw)
        try:
            if not path.exists() and not path.is_symlink():
                problems.append(report("MC001", "no such file or directory", Location(raw)))
                continue
            is_dir = path.is_dir()
            linked_dir = is_dir and path.is_symlink()
        except (OSError, ValueError) as error:
            problems.append(report("MC001", _os_problem(error), Location(raw)))
            continue
        if linked_dir:
            # Not followed, as inside directories: a link to / would walk the whole disk.
            problems.append(report("MC001", "is a symbolic link to a directory: not followed (name the directory itself)", Location(raw)))
            continue
        if is_dir:
            for root, dirs, files in os.walk(path, followlinks=False):
                dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS and not d.startswith("."))
                for name in sorted(files):
                    full = os.path.join(root, name)
                    if Path(name).suffix.lower() in KNOWN_SUFFIXES and not os.path.islink(full):
                        if not is_excluded(full, exclude):
                            found.setdefault(_display(full), False)
        else:
            found[_display(raw)] = True
    return sorted(found.items()), problems


def is_excluded(path: str, exclude: tuple[str, ...]) -> bool:
    """True when an ``exclude`` glob matches the path as given, its file name, or its absolute path
    (patterns from a pyproject.toml are also given rooted at its folder)."""
    if not exclude:
        return False
    import fnmatch

    name = os.path.basename(path)
    absolute = Path(os.path.abspath(path)).as_posix()
    return any(
        fnmatch.fnmatch(path, pattern) or fnmatch.fnmatch(name, pattern) or fnmatch.fnmatch(absolute, pattern)
        for pattern in exclude
    )


def _display(path: str) -> str:
    """A path as users will want to see it: relative to the CWD when inside it."""
    try:
        relative = os.path.relpath(path)
    except ValueError:
        return path
    return path if relative.startswith("..") else relative


def load(
    paths: list[str], exclude: tuple[str, ...] = (), assume_pretrained: bool | None = None, time_limit: float | None = None
) -> Loaded:
    """Read every input; never raises for bad input.

    ``time_limit``: seconds per file (default: ``$MODELCHECK_READ_TIMEOUT`` or 60; 0: none).
    """
    files, problems = discover(paths, exclude)
    return read_files(files, problems, time_limit)


def read_files(files: list[tuple[str, bool]], problems: list[Finding] | None = None, time_limit: float | None = None) -> Loaded:
    """Read discovered ``(file, named_explicitly)`` pairs (see ``load``); never raises for bad input."""
    limit = read_timeout() if time_limit is None else time_limit
    loaded = Loaded(findings=list(problems or ()), files=[name for name, _ in files])
    scripts: list[tuple[str, bool]] = []
    with _Alarm() as alarm:
        for name, explicit in files:
            special = _not_a_regular_file(name)
            if special:
                loaded.findings.append(report("MC001", special, Location(name)))
                continue
            kind = _kind(name)
            if kind == "script":
                if _read_one(loaded, name, explicit, lambda n=name: alarm.run(lambda: _screen_script(n), limit), limit):
                    scripts.append((name, explicit))
                continue
            _read_one(loaded, name, explicit, lambda n=name, k=kind: alarm.run(lambda: _read_file(n, k), limit), limit)
        if scripts:
            _read_scripts(loaded, scripts, alarm, limit)
    return loaded


def _not_a_regular_file(name: str) -> str | None:
    """Why ``name`` cannot be read as a file (a FIFO would block forever, /dev/zero never ends); None if it can."""
    from modelcheck.filetypes import describe_special_file

    try:
        described = describe_special_file(os.stat(name).st_mode)
    except (OSError, ValueError) as error:
        return _os_problem(error)
    return f"is {described}, not a regular file: modelcheck reads only regular files" if described else None


def _os_problem(error: BaseException) -> str:
    if isinstance(error, PermissionError):
        return "permission denied"
    if isinstance(error, OSError):
        return f"cannot read: {error.strerror or error}"
    return f"cannot read: {error}"


def _kind(name: str) -> str:
    suffix = Path(name).suffix.lower()
    if suffix in MODEL_SUFFIXES:
        return "model"
    if suffix in SCRIPT_SUFFIXES:
        return "script"
    if suffix in NOTEBOOK_SUFFIXES:
        return "notebook"
    if suffix in CONFIG_SUFFIXES:
        return "config"
    return "unknown"


def _read_file(name: str, kind: str) -> TrainingSetup:
    if kind == "config":
        return _read_structured(name)
    if kind == "notebook":
        from modelcheck.readers.notebook import read_notebook

        return read_notebook(name)
    from modelcheck.readers.model.keras_file import read_model_file

    # A model file, or an unknown suffix named explicitly: sniffed by content.
    return read_model_file(name)


def _read_structured(name: str) -> TrainingSetup:
    """A .json/.yaml/.toml file: a Keras model JSON or a training config."""
    data = _read_bytes(name)
    if name.lower().endswith(".json"):
        from modelcheck.readers.model.json_text import load_json, looks_like_model_config, looks_like_utf16, read_model_json

        head = data.removeprefix(b"\xef\xbb\xbf").lstrip()[:1]
        if head in (b"{", b"[") or looks_like_utf16(data):
            parsed = load_json(data, "JSON file")
            if looks_like_model_config(parsed):
                return read_model_json(name, data)
    from modelcheck.readers.config.training_config import read_training_config

    return read_training_config(name, data)


def _read_bytes(name: str) -> bytes:
    from modelcheck.filetypes import open_regular_file

    with open_regular_file(name) as handle:
        data = handle.read(MAX_TEXT_BYTES + 1)
    if len(data) > MAX_TEXT_BYTES:
        raise InputError(f"file is over the {MAX_TEXT_BYTES}-byte bound for text inputs")
    return data


def _screen_script(name: str) -> None:
    """Refuse a script whose parse alone would take gigabytes (raises InputError)."""
    if os.path.getsize(name) <= MAX_SCRIPT_TOKENS:
        return  # fewer bytes than the token bound: nothing to count
    if script_tokens(_read_bytes(name), MAX_SCRIPT_TOKENS) > MAX_SCRIPT_TOKENS:
        raise InputError(
            f"more than {MAX_SCRIPT_TOKENS} Python tokens, over the bound for scripts (parsing it would take gigabytes)"
        )


def _read_scripts(loaded: Loaded, scripts: list[tuple[str, bool]], alarm: _Alarm, limit: float) -> None:
    """Read the scripts together (predict.py is linked to train.py), each under the time limit.

    A script that runs out of time, or trips a reader bug, is reported and the
    others are read again without it (read_project's results are all-or-nothing).
    """
    from modelcheck.readers.script.reader import read_project

    explicit = dict(scripts)
    pending = [name for name, _ in scripts]
    while pending:
        paths = _TimedPaths(pending, alarm, limit)
        try:
            outcomes = read_project(paths)
        except _ReadTimeout:
            culprit = paths.current or pending[0]
            _gave_up(loaded, culprit, limit)
        except Exception as error:  # noqa: BLE001 - a reader bug must not hide the other inputs' findings
            alarm.stop()
            if paths.current is None:  # failed after every script was read: read them one by one
                for name in pending:
                    _read_one(loaded, name, explicit[name], lambda n=name: _single_script(n, alarm, limit), limit)
                return
            culprit = paths.current
            _read_one(loaded, culprit, explicit[culprit], lambda e=error: _raise(e), limit)
        else:
            alarm.stop()
            for name, outcome in outcomes.items():
                _read_one(loaded, name, explicit.get(name, True), lambda o=outcome: _raise_or_return(o), limit)
            _read_companions(loaded, outcomes, alarm, limit)
            return
        pending = [name for name in pending if name != culprit]


def _single_script(name: str, alarm: _Alarm, limit: float) -> tuple[TrainingSetup, ...]:
    from modelcheck.readers.script.reader import read_project

    outcome = alarm.run(lambda: read_project([name])[name], limit)
    return _raise_or_return(outcome)


_TRAINING_NAME = re.compile(r"^(train|finetune|fine_tune|fine-tune|fit)[^/]*\.py$", re.I)
_MAX_COMPANIONS = 8


def _read_companions(loaded: Loaded, outcomes: dict, alarm: _Alarm, limit: float) -> None:
    """A prediction script checked without the training script beside it (pre-commit passes only
    changed files): read the sibling training scripts (``train*.py``, ``finetune*.py``) too, so
    predict.py is still compared with what the model was trained on (MC303)."""
    from modelcheck.readers.script.reader import read_project

    read = {name: _as_setups(outcome) for name, outcome in outcomes.items()}
    training_folders = {os.path.dirname(os.path.abspath(n)) for n, found in read.items() if any(s.fits or s.compiles for s in found)}
    for name, found in read.items():
        folder = os.path.dirname(os.path.abspath(name))
        trains = any(s.fits for s in found)
        if not found or trains or all(s.pipeline("predict") is None for s in found) or folder in training_folders:
            continue
        try:
            siblings = sorted(entry for entry in os.listdir(folder) if _TRAINING_NAME.match(entry))[:_MAX_COMPANIONS]
        except OSError:
            continue
        paths = [os.path.join(os.path.dirname(name), entry) for entry in siblings if os.path.isfile(os.path.join(folder, entry))]
        if not paths:
            continue
        timed = _TimedPaths([name, *paths], alarm, limit)
        try:
            companions = read_project(timed)
        except Exception:  # noqa: BLE001 - a companion is extra context: without it, predict.py is checked alone
            alarm.stop()
            continue
        alarm.stop()
        loaded.companions.extend(
            setup for path, outcome in companions.items() if path != name
            for setup in _as_setups(outcome) if setup.fits or setup.compiles
        )
        training_folders.add(folder)


def _as_setups(outcome: object) -> tuple[TrainingSetup, ...]:
    """The setups one script's read produced (none when it raised): read_project gives a tuple or an exception."""
    return outcome if isinstance(outcome, tuple) else ()


class _TimedPaths(list):
    """Script paths that arm the per-file time limit as ``read_project`` reaches each one.

    ``read_project`` reads the paths in iteration order; ``current`` is the one
    being read when the alarm fires.
    """

    def __init__(self, names: list[str], alarm: _Alarm, limit: float):
        super().__init__(names)
        self.alarm = alarm
        self.limit = limit
        self.current: str | None = None

    def __iter__(self) -> Iterator[str]:
        # No try/finally: a generator abandoned by a timeout is closed whenever it is
        # collected, and must not stop the alarm of a later read then.
        for name in list.__iter__(self):
            self.current = name
            self.alarm.start(self.limit)
            yield name
            self.alarm.stop()
        self.current = None


def _raise(error: BaseException) -> TrainingSetup:
    raise error


def _raise_or_return(outcome: tuple[TrainingSetup, ...] | Exception) -> tuple[TrainingSetup, ...]:
    if isinstance(outcome, Exception):
        raise outcome
    return outcome


def _gave_up(loaded: Loaded, name: str, limit: float) -> None:
    message = f"gave up after {limit:g} s reading this file (the per-file time limit; set {READ_TIMEOUT_ENV} to change it)"
    loaded.findings.append(report("MC001", message, Location(name)))


def _one_line(text: str) -> str:
    """A reader's message as one printable line: it may quote a key or name from the file (``\x08`` stays visible)."""
    text = " ".join(text.split())
    if not text.isprintable():
        text = "".join(char if char.isprintable() else repr(char)[1:-1] for char in text)
    return text if len(text) <= MAX_MESSAGE_CHARS else text[: MAX_MESSAGE_CHARS - 3] + "..."


def _read_one(
    loaded: Loaded, name: str, explicit: bool, read: Callable[[], TrainingSetup | tuple[TrainingSetup, ...] | None], limit: float
) -> bool:
    """Run one reader call; its setups (if any) or the finding about the file goes into ``loaded``.

    Returns whether the read succeeded.
    """
    try:
        setup = read()
    except _ReadTimeout:
        _gave_up(loaded, name, limit)
    except NoSetup as why:
        if explicit:
            loaded.findings.append(report("MC002", _one_line(str(why)) or "no Keras model or training setup found", Location(name)))
    except InputError as error:
        key = _one_line(error.key) if isinstance(error.key, str) else None
        # A notebook's error counts its line in a code cell (readers/notebook).
        cell, file_line = getattr(error, "cell", None), getattr(error, "file_line", None)
        location = Location(name, line=error.line, column=error.column, key=key, cell=cell, file_line=file_line)
        loaded.findings.append(report("MC001", _one_line(str(error)) or "cannot read this file", location))
    except OSError as error:
        loaded.findings.append(report("MC001", _one_line(_os_problem(error)), Location(name)))
    except RecursionError:
        loaded.findings.append(report("MC001", "input is nested too deeply to read", Location(name)))
    except MemoryError:
        loaded.findings.append(report("MC001", "input too large to read", Location(name)))
    except Exception as error:  # noqa: BLE001 - a reader bug must not hide the other inputs' findings
        _internal(loaded, name, error)
    else:
        found = setup if isinstance(setup, tuple) else (setup,) if setup is not None else ()
        loaded.setups.extend(found)
        for gap in dict.fromkeys(gap for one in found for gap in one.gaps):
            # What the reader did not follow is said, never hidden behind "All checks passed".
            where = gap.location if gap.location is not None else Location(name)
            loaded.findings.append(report("MC003", _one_line(f"not fully analysed: {gap.what}"), where))
        return True
    return False


def _internal(loaded: Loaded, name: str, error: BaseException) -> None:
    message = _one_line(f"internal error while reading ({type(error).__name__}: {error}); please report it")
    loaded.findings.append(report("MC001", message, Location(name)))


# --- the per-file time limit -------------------------------------------------------------


class _ReadTimeout(BaseException):
    """Raised from SIGALRM inside a reader.

    A BaseException, so that the script interpreter's ``except Exception``
    (which degrades a failing statement to "unknown") cannot swallow it.
    """


class _Alarm:
    """A SIGALRM time limit, usable only in the main thread; elsewhere reads simply run unbounded.

    An ITIMER_REAL already running when modelcheck starts (someone else's
    alarm) is left alone, and no limit is enforced then.
    """

    def __init__(self) -> None:
        self.active = False
        self.armed = False
        self.shots = 0
        self.previous: Any = None

    def __enter__(self) -> _Alarm:
        if not hasattr(signal, "setitimer") or threading.current_thread() is not threading.main_thread():
            return self
        try:
            if signal.getitimer(signal.ITIMER_REAL)[0] > 0:
                return self
            self.previous = signal.signal(signal.SIGALRM, self._fire)
        except (ValueError, OSError):  # not the main interpreter, or no SIGALRM here
            return self
        self.active = True
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            self.stop()
        finally:
            if self.active:
                self.active = False
                signal.signal(signal.SIGALRM, self.previous)

    def _fire(self, signum: int, frame: object) -> None:
        if not self.armed:
            return
        self.shots += 1
        if self.shots < 5:
            # Python swallows an exception raised while a finalizer (__del__, a weakref
            # callback) runs; fire again in a second unless stop() ran by then.
            signal.setitimer(signal.ITIMER_REAL, 1.0)
        raise _ReadTimeout()

    def start(self, seconds: float) -> None:
        if self.active and seconds > 0:
            self.armed = True
            self.shots = 0
            signal.setitimer(signal.ITIMER_REAL, seconds)

    def stop(self) -> None:
        self.armed = False  # first: an alarm arriving from here on is ignored
        if self.active:
            signal.setitimer(signal.ITIMER_REAL, 0)

    def run(self, read: Callable[[], Any], seconds: float) -> Any:
        """``read()`` under the limit; raises _ReadTimeout when it runs out."""
        self.start(seconds)
        try:
            return read()
        finally:
            self.stop()
