"""Baselines: accept today's findings, fail only on new ones.

``--write-baseline FILE`` records every current finding as (code, path,
fingerprint); ``--baseline FILE`` then hides the findings recorded there. The
fingerprint hashes what the finding is about, never its line number: the
stripped text of its source line (plus the config key) for scripts and
configs, the layer path and message for model files. Moving code up or down a
file keeps a finding hidden; editing its line, or a second identical finding,
shows it. Paths are stored relative to the baseline file's folder, so a
baseline works from any working directory.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from pathlib import Path
from typing import Iterable, Mapping

from modelcheck.findings import Finding

FORMAT = 1
_MAX_SOURCE_BYTES = 10 * 1024 * 1024

Key = tuple[str, str, str]
"""(code, path relative to the baseline's folder, fingerprint)."""


class BaselineError(Exception):
    """A baseline file that cannot be read or written (a usage error: exit code 2)."""


def write_baseline(file: str, findings: Iterable[Finding], sources: Mapping[str, tuple[str, ...]]) -> int:
    """Record ``findings`` in ``file``; returns how many were recorded."""
    root = _root(file)
    lines = _Lines(sources)
    counts: Counter[Key] = Counter()
    messages: dict[Key, str] = {}
    for finding in findings:
        key = finding_key(finding, root, lines)
        counts[key] += 1
        messages.setdefault(key, finding.message)
    entries = [
        {"code": code, "path": path, "fingerprint": fingerprint, "count": count, "message": messages[(code, path, fingerprint)][:200]}
        for (code, path, fingerprint), count in sorted(counts.items())
    ]
    document = {"modelcheck_baseline": FORMAT, "findings": entries}
    try:
        Path(file).parent.mkdir(parents=True, exist_ok=True)
        Path(file).write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    except OSError as error:
        raise BaselineError(f"cannot write baseline {file}: {error.strerror or error}") from None
    return sum(counts.values())


def read_baseline(file: str) -> Counter[Key]:
    """The (code, path, fingerprint) counts recorded in ``file``."""
    try:
        document = json.loads(Path(file).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BaselineError(f"baseline {file} not found (create it with --write-baseline {file})") from None
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise BaselineError(f"baseline {file} is not a modelcheck baseline: {error}") from None
    if not isinstance(document, dict) or document.get("modelcheck_baseline") != FORMAT or not isinstance(document.get("findings"), list):
        raise BaselineError(f"baseline {file} is not a modelcheck baseline (format {FORMAT}); write it again with --write-baseline")
    counts: Counter[Key] = Counter()
    for entry in document["findings"]:
        try:
            counts[(str(entry["code"]), str(entry["path"]), str(entry["fingerprint"]))] += int(entry.get("count", 1))
        except (KeyError, TypeError, ValueError, AttributeError):
            raise BaselineError(f"baseline {file} has a malformed entry: {entry!r}") from None
    return counts


def new_findings(findings: Iterable[Finding], file: str, sources: Mapping[str, tuple[str, ...]]) -> tuple[list[Finding], int]:
    """The findings not recorded in baseline ``file``, and how many were hidden."""
    remaining = read_baseline(file)
    root = _root(file)
    lines = _Lines(sources)
    shown: list[Finding] = []
    hidden = 0
    for finding in findings:
        key = finding_key(finding, root, lines)
        if remaining[key] > 0:
            remaining[key] -= 1
            hidden += 1
        else:
            shown.append(finding)
    return shown, hidden


def finding_key(finding: Finding, root: Path, lines: "_Lines") -> Key:
    """(code, path, fingerprint) of a finding, independent of its line number."""
    where = finding.location
    text = lines.get(where.source_name, where.line)
    if text is not None:
        content = f"line\0{where.key or ''}\0{' '.join(text.split())}"
    elif where.layer:
        content = f"layer\0{where.layer}\0{finding.message}"
    else:
        content = f"file\0{where.key or ''}\0{finding.message}"
    import hashlib  # lazy: OpenSSL's start-up is paid only when a baseline is read or written

    digest = hashlib.sha256(content.encode("utf-8")).hexdigest()[:16]
    return finding.code, _relative(where.path, root), digest


def _root(file: str) -> Path:
    return Path(os.path.abspath(file)).parent


def _relative(path: str, root: Path) -> str:
    absolute = os.path.abspath(path)
    try:
        relative = os.path.relpath(absolute, root)
    except ValueError:  # another drive on Windows
        return Path(absolute).as_posix()
    return Path(relative).as_posix()


class _Lines:
    """Source lines of the checked inputs, read from disk for files the run did not keep."""

    def __init__(self, sources: Mapping[str, tuple[str, ...]]):
        self.sources = dict(sources)

    def get(self, path: str, line: int | None) -> str | None:
        if not line:
            return None
        if path not in self.sources:
            self.sources[path] = _read_lines(path)
        lines = self.sources[path]
        return lines[line - 1] if 1 <= line <= len(lines) else None


def _read_lines(path: str) -> tuple[str, ...]:
    try:
        if os.path.getsize(path) > _MAX_SOURCE_BYTES:
            return ()
        with open(path, encoding="utf-8") as handle:
            return tuple(handle.read().splitlines())
    except (OSError, UnicodeDecodeError):
        return ()
