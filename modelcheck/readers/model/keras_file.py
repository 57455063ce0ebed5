"""Read a Keras model file as data: `.keras` (zip), `.h5`/`.hdf5`, or model JSON.

Never imports TensorFlow or Keras, never unpickles, never unmarshals bytecode:
only ``zipfile``, ``json``, ``pickletools`` (a disassembler) and ``h5py``
attribute reads. The weights are never loaded, so the cost does not grow with
the file (only one or two BatchNormalization statistics are read, see
:mod:`modelcheck.readers.model.weight_stats`).

The HDF5 C library can crash or loop forever on a corrupt file (measured: a
few bit flips in a real `.h5` are enough), so HDF5 files are read in a forked
child process with a deadline: a crash or a hang there becomes an MC001
finding about that file instead of taking the whole run down.
"""

from __future__ import annotations

import io
import json
import os
import pickletools
import re
import select
import signal
import stat
import struct
import sys
import time
import zipfile
import zlib
from itertools import accumulate
from pathlib import Path
from typing import IO, Any, Callable

from modelcheck.errors import InputError, NoSetup
from modelcheck.ir import CodeObject, Location, TrainingSetup
from modelcheck.readers.model.model_config import printable, setup_from_configs
from modelcheck.readers.model.weight_stats import with_weight_facts

MODEL_SUFFIXES = (".keras", ".h5", ".hdf5")
# Bounds for untrusted files: a config.json larger than this is not a real model config.
MAX_CONFIG_BYTES = 16 * 1024 * 1024  # NASNetLarge, the largest keras.applications config, is 1.6 MB
MAX_METADATA_BYTES = 1_000_000
# zipfile parses the whole central directory up front (3 s and 200 MB for 300 000 entries);
# a .keras archive has a handful of members.
MAX_CENTRAL_DIRECTORY_BYTES = 4 * 1024 * 1024
MAX_JSON_DEPTH = 200
# Archive members and HDF5 objects looked at for pickles, and how much of each is read.
MAX_MEMBERS_SCANNED = 10_000
MAX_H5_OBJECTS = 50_000
MAX_PICKLE_SCAN_BYTES = 1024 * 1024
MAX_PICKLE_OPS = 200_000
H5_SCAN_SECONDS = 2.0
_GAVE_UP = "gave up after {timeout:g} s reading the HDF5 file (the HDF5 library did not finish: a corrupt file?)"
_PICKLE_SUFFIXES = (".pkl", ".pickle", ".joblib", ".dill")
_PICKLE_HEADER = re.compile(rb"\x80[\x02-\x05]")
_HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"
# Everything zipfile and the decompressors it drives raise on a damaged archive.
_ZIP_ERRORS: tuple[type[BaseException], ...] = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    OSError,
    EOFError,
    NotImplementedError,
    RuntimeError,
    ValueError,
    struct.error,
    zlib.error,
    UnicodeDecodeError,
    OverflowError,
)
try:
    import lzma

    _ZIP_ERRORS += (lzma.LZMAError,)
except ImportError:  # Python built without lzma: zipfile cannot decompress it either
    pass


def read_model_file(path: str) -> TrainingSetup:
    """Read a `.keras`, `.h5`/`.hdf5` or model-JSON file into a TrainingSetup."""
    with open_regular_file(path) as handle:
        head = handle.read(64)
        if head.startswith(b"PK"):
            handle.seek(0)
            return with_weight_facts(path, _read_keras_zip(path, handle), zipped=True)
        if head.startswith(_HDF5_SIGNATURE):
            return with_weight_facts(path, _read_h5(path), zipped=False)
        if head.removeprefix(b"\xef\xbb\xbf").lstrip()[:1] in (b"{", b"["):
            handle.seek(0)
            data = handle.read(MAX_CONFIG_BYTES + 1)
            return read_model_json(path, data)
    suffix = Path(path).suffix.lower()
    if suffix == ".keras":
        raise InputError("not a .keras archive (expected a zip file holding config.json)")
    if suffix in (".h5", ".hdf5"):
        raise InputError("not an HDF5 file (bad signature)")
    raise InputError("not a Keras model file (expected .keras zip, HDF5 or model JSON)")


def open_regular_file(path: str) -> IO[bytes]:
    """Open a path for reading only if it is a regular file (never block on a FIFO or a device)."""
    described = describe_special_file(os.stat(path).st_mode)
    if described:
        raise InputError(f"is {described}, not a regular file")
    # O_NONBLOCK: if the path was swapped for a FIFO since the stat, open() still returns at once.
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    try:
        described = describe_special_file(os.fstat(fd).st_mode)
        if described:
            raise InputError(f"is {described}, not a regular file")
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def describe_special_file(mode: int) -> str | None:
    """'a directory', 'a named pipe (FIFO)', ... for anything that is not a regular file."""
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "a special file"


# --- JSON ----------------------------------------------------------------------------

_JSON_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.S)
_BRACKET_CODES = bytes(1 if c in b"[{" else 2 if c in b"]}" else 0 for c in range(256))
_BRACKET_STEPS = (0, 1, -1) + (0,) * 253


def json_depth(data: bytes) -> int:
    """The deepest nesting of arrays and objects in JSON text (brackets inside strings do not count).

    Runs at C speed (a regex, ``bytes.translate``, ``itertools.accumulate``):
    about 0.5 s for 60 MB of brackets.
    """
    if data.count(b"[") + data.count(b"{") == 0:
        return 0
    steps = _JSON_STRING.sub(b'""', data).translate(_BRACKET_CODES)
    return max(0, max(accumulate(map(_BRACKET_STEPS.__getitem__, steps)), default=0))


def load_json(data: bytes | str, what: str) -> Any:
    """json.loads with a nesting bound; every failure is an InputError naming ``what``.

    Deep nesting would otherwise surface as a RecursionError here or in the
    recursive readers downstream.
    """
    if isinstance(data, bytes):
        raw = data[3:] if data.startswith(b"\xef\xbb\xbf") else data  # a BOM from a Windows editor
        data = raw
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            raise InputError(f"{what} is not UTF-8 text") from None
    else:
        text = data
        raw = data.encode("utf-8", "surrogatepass")
    if raw.count(b"[") + raw.count(b"{") > MAX_JSON_DEPTH and json_depth(raw) > MAX_JSON_DEPTH:
        raise InputError(f"{what} is nested deeper than {MAX_JSON_DEPTH} levels")
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as error:
        line, column = getattr(error, "lineno", None), getattr(error, "colno", None)
        raise InputError(f"{what} is not valid JSON: {one_line(str(error))}", line=line, column=column) from None


def one_line(text: str, limit: int = 300) -> str:
    """A message fit for a one-line finding: whitespace collapsed, bounded length."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


# --- .keras (zip) ----------------------------------------------------------------------


def _read_keras_zip(path: str, handle: IO[bytes]) -> TrainingSetup:
    directory = _central_directory_size(handle)
    if directory is not None and directory > MAX_CENTRAL_DIRECTORY_BYTES:
        raise InputError(f"the archive's member list is {directory} bytes, over the {MAX_CENTRAL_DIRECTORY_BYTES}-byte bound (a .keras file has a few members)")
    handle.seek(0)
    try:
        archive = zipfile.ZipFile(handle)
    except _ZIP_ERRORS as error:
        raise InputError(f"not a readable .keras archive: {one_line(str(error))}") from None
    with archive:
        try:
            infos = archive.infolist()
            members = {info.filename: info for info in infos}  # the last of duplicate names wins, as in zipfile
        except _ZIP_ERRORS as error:
            raise InputError(f"corrupt .keras archive: {one_line(str(error))}") from None
        info = members.get("config.json")
        if info is None:
            if "config.json/" in members:
                raise InputError("config.json in this .keras archive is a directory entry, not a file")
            raise InputError("not a .keras archive: no config.json inside (expected Keras 3 `model.save('x.keras')` output)")
        raw = _read_member(archive, info, MAX_CONFIG_BYTES)
        metadata: Any = {}
        meta_info = members.get("metadata.json")
        if meta_info is not None and meta_info.file_size <= MAX_METADATA_BYTES:
            try:  # metadata only carries the Keras version: damage there must not hide the model
                metadata = load_json(_read_member(archive, meta_info, MAX_METADATA_BYTES), "metadata.json")
            except InputError:
                metadata = {}
        pickles = _zip_pickles(path, archive, infos)
    config = load_json(raw, "config.json")
    if not isinstance(config, dict):
        raise InputError("config.json does not hold a model config object")
    version = metadata.get("keras_version") if isinstance(metadata, dict) else None
    return setup_from_configs(
        path,
        config,
        config.get("compile_config") if isinstance(config.get("compile_config"), dict) else None,
        keras_version=version if isinstance(version, str) else None,
        extra_code=tuple(pickles),
    )


def _central_directory_size(handle: IO[bytes]) -> int | None:
    """The central directory's size from the end-of-archive record (zip64 too); None if not found."""
    handle.seek(0, os.SEEK_END)
    size = handle.tell()
    tail_size = min(size, 65_536 + 22)  # the record, after a comment of at most 64 KB
    handle.seek(size - tail_size)
    tail = handle.read(tail_size)
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or at + 22 > len(tail):
        return None
    directory = struct.unpack_from("<I", tail, at + 12)[0]
    if directory == 0xFFFFFFFF and at >= 20 and tail[at - 20 : at - 16] == b"PK\x06\x07":
        handle.seek(struct.unpack_from("<Q", tail, at - 20 + 8)[0])
        record = handle.read(56)
        if len(record) == 56 and record[:4] == b"PK\x06\x06":
            directory = struct.unpack_from("<Q", record, 40)[0]
    return directory


def _read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, bound: int) -> bytes:
    """A member's bytes, refusing encrypted members and anything that inflates past ``bound``."""
    name = printable(info.filename)
    if info.flag_bits & 0x1:
        raise InputError(f"{name} in this .keras archive is encrypted")
    if info.file_size > bound:
        raise InputError(f"{name} is {info.file_size} bytes, over the {bound}-byte bound")
    try:
        with archive.open(info) as member:
            # zipfile stops at the declared size and checks the CRC, so a member that
            # inflates past its header's size fails here instead of filling memory.
            raw = member.read(bound + 1)
    except _ZIP_ERRORS as error:
        raise InputError(f"corrupt .keras archive: cannot read {name}: {one_line(str(error))}") from None
    if len(raw) > bound:
        raise InputError(f"{name} inflates beyond {bound} bytes (a zip bomb?)")
    return raw


def _zip_pickles(path: str, archive: zipfile.ZipFile, infos: list[zipfile.ZipInfo]) -> list[CodeObject]:
    """Members that hold pickles: by name (.pkl, .joblib, ...) or by a pickle protocol header."""
    found: list[CodeObject] = []
    for info in infos[:MAX_MEMBERS_SCANNED]:
        if info.is_dir() or info.filename in ("config.json", "metadata.json"):
            continue
        named = info.filename.lower().endswith(_PICKLE_SUFFIXES)
        data = b""
        if not info.flag_bits & 0x1 and info.file_size >= 2:
            try:
                with archive.open(info) as member:
                    data = member.read(2)
                    if _PICKLE_HEADER.match(data):
                        data += member.read(MAX_PICKLE_SCAN_BYTES - 2)
            except _ZIP_ERRORS:
                data = b""
        summary = pickle_summary(data)
        if named or summary is not None:
            detail = f"archive member {printable(info.filename)} holds a pickled Python object"
            found.append(CodeObject("pickle", detail + (f" ({summary})" if summary else ""), Location(path)))
    return found


def pickle_summary(data: bytes) -> str | None:
    """What a pickle would import when loaded, read with the ``pickletools`` disassembler.

    None when ``data`` does not start like a pickle of protocol 2-5. Opcodes run
    in order when unpickling, so a pickle that breaks off after importing
    something (damaged, or only partly read here) still counts; bytes that merely
    start with the header and fail within a few opcodes do not.
    """
    if not _PICKLE_HEADER.match(data):
        return None
    imports: list[str] = []
    strings: list[str] = []
    ops = 0
    try:
        for opcode, arg, _ in pickletools.genops(io.BytesIO(data)):
            ops += 1
            if opcode.name in ("GLOBAL", "INST") and isinstance(arg, str):
                imports.append(arg.replace(" ", "."))
            elif opcode.name == "STACK_GLOBAL" and len(strings) >= 2:
                imports.append(f"{strings[-2]}.{strings[-1]}")
            elif isinstance(arg, str):
                strings.append(arg)
            if ops > MAX_PICKLE_OPS:
                break
    except (ValueError, TypeError, KeyError, IndexError, OverflowError, struct.error, UnicodeDecodeError, EOFError):
        if not imports and ops < 16:
            return None
    names = ", ".join(dict.fromkeys(printable(name, 60) for name in imports[:12]))
    return f"loading it imports {names}" if names else "loading it reconstructs Python objects"


# --- .h5 / .hdf5 ------------------------------------------------------------------------


def _read_h5(path: str) -> TrainingSetup:
    facts = _h5_facts(path)
    if facts.get("input_error"):
        raise InputError(str(facts["input_error"]))
    model_config = facts.get("model_config")
    training_config = facts.get("training_config")
    version = facts.get("keras_version")
    pickles = tuple(CodeObject("pickle", str(detail), Location(path)) for detail in facts.get("pickles") or ())
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
    """The child as a fresh interpreter, for hosts with threads where fork is unsafe."""
    import subprocess

    code = "import sys; from modelcheck.readers.model.keras_file import _h5_child_main; _h5_child_main(sys.argv[1])"
    package_root = str(Path(__file__).resolve().parents[2])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, (package_root, os.environ.get("PYTHONPATH"))))}
    try:
        done = subprocess.run([sys.executable, "-c", code, path], capture_output=True, timeout=timeout if timeout > 0 else None, env=env)
    except subprocess.TimeoutExpired:
        raise InputError(_GAVE_UP.format(timeout=timeout)) from None
    except OSError:
        return _h5_extract(path)
    if done.returncode < 0:
        return _decode_child(done.stdout, -done.returncode, None)
    return _decode_child(done.stdout, None, done.returncode)


def _h5_child_main(path: str) -> None:
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
        facts["pickles"] = _h5_pickles(handle)
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


def _h5_pickles(handle: Any) -> list[str]:
    """Attributes and byte datasets whose content is a pickle, found by a bounded walk over hard links."""
    import h5py

    found: list[str] = []
    seen: set[Any] = set()
    stack: list[Any] = [handle]
    visited = 0
    deadline = time.monotonic() + H5_SCAN_SECONDS
    while stack and visited < MAX_H5_OBJECTS and time.monotonic() < deadline:
        node = stack.pop()
        visited += 1
        found.extend(_pickled_attributes(node))
        if isinstance(node, h5py.Dataset):
            summary = _pickled_dataset(node)
            if summary is not None:
                found.append(f"HDF5 dataset {printable(node.name or '?')} holds a pickled Python object ({summary})")
            continue
        if not isinstance(node, h5py.Group):
            continue
        try:
            names = list(node)
        except (KeyError, OSError, ValueError, RuntimeError, TypeError):
            continue
        for name in reversed(names[:MAX_H5_OBJECTS]):
            try:
                # Soft and external links are skipped: an external link would open another file.
                if not isinstance(node.get(name, getlink=True), h5py.HardLink):
                    continue
                child = node[name]
                key = child.id
                if key in seen:
                    continue
                seen.add(key)
            except (KeyError, OSError, ValueError, RuntimeError, TypeError):
                continue
            stack.append(child)
    return found


def _pickled_attributes(node: Any) -> list[str]:
    found: list[str] = []
    try:
        attrs = node.attrs
        names = list(attrs)
    except (KeyError, OSError, ValueError, RuntimeError, TypeError):
        return found
    for name in names[:1000]:
        try:
            attr = attrs.get_id(name)
            if attr.get_storage_size() > MAX_PICKLE_SCAN_BYTES or not _may_hold_bytes(attr.dtype):
                continue
            value = attrs[name]
        except (KeyError, OSError, ValueError, RuntimeError, TypeError):
            continue
        summary = pickle_summary(_as_bytes(value))
        if summary is not None:
            where = f"{node.name or ''}@{name}"
            found.append(f"HDF5 attribute {printable(where)} holds a pickled Python object ({summary})")
    return found


def _pickled_dataset(dataset: Any) -> str | None:
    try:
        if dataset.external or dataset.is_virtual or not _may_hold_bytes(dataset.dtype):
            return None  # external and virtual datasets live in other files: never opened
        if dataset.dtype.itemsize == 1:
            flat = dataset.shape is not None and len(dataset.shape) == 1
            value = dataset[: MAX_PICKLE_SCAN_BYTES] if flat else (dataset[()] if dataset.size <= MAX_PICKLE_SCAN_BYTES else None)
            return pickle_summary(_as_bytes(value))
        if dataset.size == 1 and dataset.dtype.itemsize <= MAX_PICKLE_SCAN_BYTES:
            return pickle_summary(_as_bytes(dataset[()]))
    except (KeyError, OSError, ValueError, RuntimeError, TypeError, IndexError):
        return None
    return None


def _may_hold_bytes(dtype: Any) -> bool:
    """Opaque, byte-string and one-byte integer types: where a pickle can be stored."""
    kind = getattr(dtype, "kind", "")
    return kind in ("V", "S", "O") or (kind in ("u", "i") and dtype.itemsize == 1)


def _as_bytes(value: Any) -> bytes:
    if isinstance(value, bytes):
        return value
    if isinstance(value, (bytearray, memoryview)):
        return bytes(value)
    size = getattr(value, "size", None)
    if size == 1 and hasattr(value, "item"):
        try:
            inner = value.item() if getattr(value, "dtype", None) is None or value.dtype.kind != "V" else value.tobytes()
        except (ValueError, TypeError):
            return b""
        if isinstance(inner, (bytes, bytearray)):
            return bytes(inner)
    tobytes = getattr(value, "tobytes", None)
    if callable(tobytes) and getattr(getattr(value, "dtype", None), "kind", "") in ("u", "i", "V", "S"):
        return tobytes()[:MAX_PICKLE_SCAN_BYTES]
    return b""


# --- model JSON ---------------------------------------------------------------------------


def read_model_json(path: str, data: bytes) -> TrainingSetup:
    """A `model.to_json()` file: the model config alone."""
    if len(data) > MAX_CONFIG_BYTES:
        raise InputError(f"JSON file is over the {MAX_CONFIG_BYTES}-byte bound for model configs")
    config = load_json(data, "model JSON")
    if not looks_like_model_config(config):
        raise NoSetup("JSON file is not a Keras model config (no class_name/config with layers)")
    version = config.get("keras_version")
    return setup_from_configs(path, config, None, keras_version=version if isinstance(version, str) else None)


def looks_like_model_config(config: Any) -> bool:
    """A dict with a class name and a ``config.layers`` list: what ``model.to_json()`` writes."""
    return (
        isinstance(config, dict)
        and isinstance(config.get("class_name"), str)
        and isinstance(config.get("config"), dict)
        and isinstance(config["config"].get("layers"), list)
    )
