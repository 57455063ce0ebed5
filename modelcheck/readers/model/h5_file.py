"""Read a Keras `.h5`/`.hdf5` file as data, in a child process.

Only ``h5py`` attribute reads: weights are never loaded, nothing is unpickled.
The HDF5 C library can crash or loop forever on a corrupt file (measured: a
few bit flips in a real `.h5` are enough), so HDF5 files are read in a forked
child process with a deadline, or in a fresh isolated interpreter where fork
is unsafe: a crash or a hang there becomes an MC001 finding about that file
instead of taking the whole run down.
"""

from __future__ import annotations

import json
import os
import select
import signal
import struct
import sys
import time
from pathlib import Path
from typing import Any, Callable

from modelcheck.errors import InputError, NoSetup
from modelcheck.ir import CodeObject, Location, TrainingSetup
from modelcheck.readers.model.code_scan import h5_pickles
from modelcheck.readers.model.config_code import incomplete
from modelcheck.readers.model.json_text import MAX_CONFIG_BYTES, load_json, one_line
from modelcheck.readers.model.model_config import setup_from_configs


_GAVE_UP = "gave up after {timeout:g} s reading the HDF5 file (the HDF5 library did not finish: a corrupt file?)"


def read_h5(path: str) -> TrainingSetup:
    facts = _h5_facts(path)
    if facts.get("input_error"):
        raise InputError(str(facts["input_error"]))
    model_config = facts.get("model_config")
    training_config = facts.get("training_config")
    version = facts.get("keras_version")
    pickles = tuple(CodeObject("pickle", str(detail), Location(path)) for detail in facts.get("pickles") or ())
    if facts.get("scan_cut"):
        pickles += (incomplete(path, str(facts["scan_cut"])),)
    if model_config is None:
        if pickles:  # nothing to check but the code: still report it
            return TrainingSetup(path=path, kind="model", code_objects=pickles)
        if facts.get("weight_groups"):
            raise NoSetup("weights-only HDF5 file (saved with save_weights): no model architecture to check")
        raise NoSetup("HDF5 file without a Keras model_config attribute")
    config = load_json(model_config, "model_config")
    if not isinstance(config, dict):
        raise InputError("model_config does not hold a model config object")
    training: Any = None
    if training_config:
        try:  # a damaged training_config loses the compile facts, not the model
            training = load_json(training_config, "training_config")
        except InputError:
            training = None
    return setup_from_configs(
        path,
        config,
        training if isinstance(training, dict) else None,
        keras_version=version if isinstance(version, str) else None,
        extra_code=pickles,
    )


def _h5_facts(path: str) -> dict[str, Any]:
    """The attributes modelcheck needs from an HDF5 file, read in a child process when possible."""
    import h5py  # noqa: F401 - imported here so that a forked child does not pay for it

    from modelcheck.settings import read_timeout

    timeout = read_timeout()  # 0 or less: the user asked for no limit
    if hasattr(os, "fork") and _fork_is_safe():
        return _in_forked_child(_h5_extract, path, timeout)
    if sys.executable:
        return _in_subprocess(path, timeout)
    return _h5_extract(path)


def _fork_is_safe() -> bool:
    """Whether a forked child can use h5py without deadlocking on a lock another thread held.

    NumPy's BLAS pool threads are fork-aware and idle; Python threads and the
    thread pools of TensorFlow, PyTorch or JAX (the probe imports one) may hold
    locks, so with those a fresh interpreter is used instead.
    """
    import threading

    if threading.active_count() > 1 or sys.platform == "darwin":
        return False
    return not any(name in sys.modules for name in ("tensorflow", "torch", "jax"))


def _in_forked_child(extract: Callable[[str], dict[str, Any]], path: str, timeout: float) -> dict[str, Any]:
    read_end, write_end = os.pipe()
    # SIGALRM (the per-file time limit) stays blocked until the child is known to the
    # `finally` below; an alarm in between would leave a child running unattended.
    blocked = _block_alarm()
    try:
        pid = os.fork()
    except OSError:
        _unblock_alarm(blocked)
        os.close(read_end)
        os.close(write_end)
        return extract(path)
    if pid == 0:
        _child(extract, path, read_end, write_end)
    try:
        os.close(write_end)
        _unblock_alarm(blocked)
        data = _collect(read_end, timeout)
        _, status = os.waitpid(pid, 0)
        pid = 0
    finally:
        _unblock_alarm(blocked)
        os.close(read_end)
        if pid:
            _kill(pid)
    if os.WIFSIGNALED(status):
        return _decode_child(data, os.WTERMSIG(status), None)
    return _decode_child(data, None, os.WEXITSTATUS(status))


def _child(extract: Callable[[str], dict[str, Any]], path: str, read_end: int, write_end: int) -> None:
    """The forked child: read, send one JSON document, leave without running any cleanup handler."""
    status = 0
    try:
        os.close(read_end)
        _quiet_child()
        _limit_child_memory()
        payload = json.dumps(_extract_safely(extract, path)).encode("utf-8")
        view = memoryview(payload)
        while view:
            view = view[os.write(write_end, view) :]
    except BaseException:  # noqa: BLE001 - nothing may escape a forked child
        status = 1
    finally:
        os._exit(status)


def _quiet_child() -> None:
    """Nothing from the child reaches the user's terminal: a crash is reported by the parent, in one line."""
    import faulthandler

    faulthandler.disable()  # pytest and PYTHONFAULTHANDLER enable it; its dump would look like a traceback
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    os.close(devnull)


def _block_alarm() -> Any:
    if not hasattr(signal, "pthread_sigmask"):
        return None
    return signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})


def _unblock_alarm(previous: Any) -> None:
    if previous is not None and signal.SIGALRM not in previous:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGALRM})


def _in_subprocess(path: str, timeout: float) -> dict[str, Any]:
    """The child as a fresh, isolated interpreter, for hosts with threads where fork is unsafe.

    ``-I``: neither the working directory nor ``PYTHON*`` variables reach its
    ``sys.path``, so a ``json.py`` or ``h5py.py`` planted where the user runs
    modelcheck is never imported. modelcheck's and h5py's own folders come
    after the standard library (before site-packages, where another modelcheck
    may be installed), and it runs in the filesystem root.
    """
    import subprocess

    import h5py

    roots = [str(Path(__file__).resolve().parents[3]), str(Path(h5py.__file__).resolve().parents[1])]
    code = (
        "import sys; at = next((i for i, p in enumerate(sys.path) if p.endswith(('site-packages', 'dist-packages'))), len(sys.path)); "
        "sys.path[at:at] = sys.argv[2:]; "
        "from modelcheck.readers.model.h5_file import h5_child_main; h5_child_main(sys.argv[1])"
    )
    try:
        done = subprocess.run(
            [sys.executable, "-I", "-c", code, os.path.abspath(path), *dict.fromkeys(roots)],
            capture_output=True, timeout=timeout if timeout > 0 else None, cwd=os.path.abspath(os.sep),
        )
    except subprocess.TimeoutExpired:
        raise InputError(_GAVE_UP.format(timeout=timeout)) from None
    except OSError:
        return _h5_extract(path)
    if done.returncode < 0:
        return _decode_child(done.stdout, -done.returncode, None)
    return _decode_child(done.stdout, None, done.returncode)


def h5_child_main(path: str) -> None:
    """Entry point of the fresh-interpreter child: one JSON document on stdout."""
    sys.stdout.write(json.dumps(_extract_safely(_h5_extract, path)))
    sys.stdout.flush()


def _extract_safely(extract: Callable[[str], dict[str, Any]], path: str) -> dict[str, Any]:
    try:
        return extract(path)
    except InputError as error:
        return {"input_error": str(error)}
    except (OSError, ValueError, KeyError, RuntimeError, TypeError, IndexError, AttributeError, struct.error) as error:
        # h5py surfaces the C library's complaints about damaged files as these
        return {"input_error": f"corrupt or unreadable HDF5 file: {one_line(str(error)) or type(error).__name__}"}
    except (RecursionError, MemoryError):
        return {"input_error": "corrupt HDF5 file: reading it exhausted the child process's memory or stack"}


def _limit_child_memory() -> None:
    """Cap the child's address space, so that a corrupt size field cannot exhaust the machine."""
    try:
        import resource

        with open("/proc/self/statm", encoding="ascii") as statm:
            current = int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
        limit = current + 2 * 1024**3
        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        if hard == resource.RLIM_INFINITY or limit < hard:
            resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    except (ImportError, OSError, ValueError):
        pass


def _collect(fd: int, timeout: float) -> bytes:
    """Everything the child writes, or an InputError when it takes longer than ``timeout``."""
    chunks: list[bytes] = []
    deadline = time.monotonic() + timeout if timeout > 0 else float("inf")
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise InputError(_GAVE_UP.format(timeout=timeout))
        ready, _, _ = select.select([fd], [], [], min(remaining, 0.5))
        if ready:
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                return b"".join(chunks)
            chunks.append(chunk)


def _kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    except OSError:
        pass


def _decode_child(data: bytes, killed_by: int | None, exit_status: int | None) -> dict[str, Any]:
    if killed_by is not None:
        name = _signal_name(killed_by)
        if name == "SIGKILL":
            raise InputError(f"reading the HDF5 file was killed ({name}): it needed more memory than a model file should")
        raise InputError(f"the HDF5 library crashed reading this file ({name}): a corrupt or hostile HDF5 file")
    try:
        payload = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        payload = None
    if not isinstance(payload, dict):
        raise InputError(f"corrupt or unreadable HDF5 file: the reader stopped without an answer (exit status {exit_status})")
    return payload


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


def _h5_extract(path: str) -> dict[str, Any]:
    """Read the Keras attributes and look for pickles (runs in the child process)."""
    import h5py

    with h5py.File(path, "r") as handle:
        attrs = handle.attrs
        facts: dict[str, Any] = {
            "model_config": _h5_attr_text(attrs, "model_config"),
            "training_config": _h5_attr_text(attrs, "training_config"),
            "keras_version": _h5_attr_text(attrs, "keras_version", required=False),
        }
        try:
            facts["weight_groups"] = "layer_names" in attrs or "model_weights" in handle
        except (KeyError, OSError, ValueError, RuntimeError, TypeError):
            facts["weight_groups"] = False
        facts["pickles"], facts["scan_cut"] = h5_pickles(handle)
    return facts


def _h5_attr_text(attrs: Any, name: str, required: bool = True) -> str | None:
    """A text attribute (str, bytes, numpy scalar or one-element array); None when absent or not text."""
    try:
        if name not in attrs:
            return None
        size = attrs.get_id(name).get_storage_size()
    except (KeyError, OSError, ValueError, RuntimeError, TypeError):
        if required:
            raise
        return None
    if size > MAX_CONFIG_BYTES:
        raise InputError(f"HDF5 attribute {name} is {size} bytes, over the {MAX_CONFIG_BYTES}-byte bound")
    try:
        value = attrs[name]
    except (KeyError, OSError, ValueError, RuntimeError, TypeError):
        if required:
            raise
        return None
    text = attr_text(value, name)
    if text is None and required:
        kind = getattr(getattr(value, "dtype", None), "name", None) or type(value).__name__
        shape = getattr(value, "shape", ())
        raise InputError(f"HDF5 attribute {name} is not text: it holds {kind} data" + (f" of shape {tuple(shape)}" if shape else ""))
    if text is not None and len(text) > MAX_CONFIG_BYTES:
        raise InputError(f"HDF5 attribute {name} is over the {MAX_CONFIG_BYTES}-byte bound")
    return text


def attr_text(value: Any, name: str = "attribute") -> str | None:
    """Text from an HDF5 attribute value as h5py returns it: str, bytes, a numpy scalar or a one-element array."""
    if value is None:
        return None
    if isinstance(value, bytes):
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError:
            raise InputError(f"HDF5 attribute {name} is not UTF-8 text") from None
    if isinstance(value, str):
        return value
    size = getattr(value, "size", None)
    item = getattr(value, "item", None)
    # numpy scalars and one-element arrays of strings appear in files written by old h5py versions
    if callable(item) and size == 1:
        try:
            inner = item()
        except (ValueError, TypeError):
            return None
        return attr_text(inner, name) if isinstance(inner, (bytes, str)) else None
    return None
