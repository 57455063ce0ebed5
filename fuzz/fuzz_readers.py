"""Coverage-guided fuzzing of modelcheck's readers with atheris (libFuzzer for Python).

    pip install atheris            # not a modelcheck dependency
    python fuzz/fuzz_readers.py fuzz/corpus -max_total_time=3600

Each input is written to a file whose suffix the first byte picks (.keras, .h5,
.json, .yaml, .toml, .py) and read through ``modelcheck.inputs.load``, the path
the command line takes. A crash is any exception out of ``load``, an "internal
error" finding, a finding other than MC001/MC002, or the canary file appearing
(something ran). Seed the corpus directory with real model files and configs
(e.g. the files tests/hostile_corpus.py writes, and ``fuzz/hostile_seeds.py``:
shared values, huge literals, compressed members) for faster progress. A rule
that fails on what a reader built counts as a crash too.
"""

from __future__ import annotations

import os
import sys
import tempfile

try:
    import atheris
except ImportError:  # keep this file importable (and lintable) without atheris
    atheris = None

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

SUFFIXES = (".keras", ".h5", ".json", ".yaml", ".toml", ".py")
WORKDIR = tempfile.mkdtemp(prefix="modelcheck-atheris-")
CANARY = os.path.join(WORKDIR, "RAN")


def test_one_input(data: bytes) -> None:
    """One libFuzzer input: suffix choice in the first byte, file content after it."""
    from modelcheck.inputs import load

    if not data:
        return
    path = os.path.join(WORKDIR, "input" + SUFFIXES[data[0] % len(SUFFIXES)])
    with open(path, "wb") as handle:
        handle.write(data[1:])
    from modelcheck.engine import run_rules
    from modelcheck.settings import Settings

    loaded = load([path], time_limit=5)
    for finding in loaded.findings:
        if finding.code not in ("MC001", "MC002") or "internal error" in finding.message:
            raise AssertionError(f"{finding.code}: {finding.message}")
    for setup in loaded.setups:  # a rule that fails is turned into MC003 by the engine's guard: still a bug
        for finding in run_rules(setup, Settings()):
            if finding.code == "MC003" and "could not finish" in finding.message:
                raise AssertionError(finding.message)
    if os.path.exists(CANARY):
        raise AssertionError("an input was executed")


def main() -> None:
    if atheris is None:
        sys.exit("atheris is not installed: pip install atheris (it is not a modelcheck dependency)")
    with atheris.instrument_imports():
        import modelcheck.inputs  # noqa: F401 - instrument the readers it loads
        import modelcheck.readers.model.keras_file  # noqa: F401
        import modelcheck.readers.model.model_config  # noqa: F401
        import modelcheck.readers.script.reader  # noqa: F401
        import modelcheck.readers.config.training_config  # noqa: F401
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
