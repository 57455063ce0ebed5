"""Every ```python probe block in rules/MC5xx.md: its Example triggers the rule when probed,
its "Use instead" does not.

A block builds and compiles a small Keras model named `model` (and may define `x`, `y`
arrays for the batch). All blocks run once, in one child process, which saves each model to
a .keras file (and x/y to .npy); each case then probes its file in this process.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from modelcheck.ruledocs import all_docs

STEPS = 60
PROBE_DOCS = {code: doc for code, doc in all_docs().items() if code.startswith("MC5")}

BUILDER = textwrap.dedent(
    """
    import json, os, sys
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import numpy as np
    import keras
    cases = json.load(open(sys.argv[1]))
    for case in cases:
        keras.utils.set_random_seed(0)
        namespace = {}
        exec(compile(case["code"], case["id"], "exec"), namespace)
        folder = os.path.join(sys.argv[2], case["id"])
        os.makedirs(folder, exist_ok=True)
        namespace["model"].save(os.path.join(folder, "model.keras"))
        for name in ("x", "y"):
            if name in namespace:
                np.save(os.path.join(folder, name + ".npy"), np.asarray(namespace[name]))
    """
)


def _cases() -> list[tuple[str, str, int, bool, str]]:
    found = []
    for code in sorted(PROBE_DOCS):
        for section, expected in (("Example", True), ("Use instead", False)):
            for number, (info, snippet) in enumerate(PROBE_DOCS[code].code_blocks(section)):
                assert info.split() == ["python", "probe"], f"{code} {section}: info string {info!r}"
                found.append((code, section, number, expected, snippet))
    return found


CASES = _cases()


def _case_id(code: str, section: str, number: int) -> str:
    return f"{code}-{section.split()[0]}-{number}"


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("probe_docs")
    spec = out / "cases.json"
    spec.write_text(json.dumps([{"id": _case_id(c, s, n), "code": snippet} for c, s, n, _, snippet in CASES]))
    subprocess.run(
        [sys.executable, "-c", BUILDER, str(spec), str(out)],
        check=True, capture_output=True, timeout=600, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
    )
    return out


def test_every_probe_rule_has_examples():
    assert sorted(PROBE_DOCS) == [f"MC5{i:02d}" for i in range(1, 12)]
    for code, doc in PROBE_DOCS.items():
        assert doc.code_blocks("Example") and doc.code_blocks("Use instead"), code


@pytest.mark.tf
@pytest.mark.slow  # each case trains its model for STEPS steps
@pytest.mark.parametrize(
    "code,section,number,expected",
    [pytest.param(c, s, n, e, id=_case_id(c, s, n)) for c, s, n, e, _ in CASES],
)
def test_probe_doc_example(code, section, number, expected, built):
    from modelcheck.probe import probe

    folder = built / _case_id(code, section, number)
    data = None
    if (folder / "x.npy").exists():
        data = (np.load(folder / "x.npy"), np.load(folder / "y.npy"))
    result = probe(folder / "model.keras", data=data, steps=STEPS, seconds=30)
    codes = [f.code for f in result.findings]
    detail = f"{codes}; " + " | ".join(result.console_lines()) + " | " + " | ".join(f.message for f in result.findings)
    if expected:
        assert code in codes, f"{code} {section} did not trigger: {detail}"
    else:
        assert code not in codes, f"{code} {section} triggered: {detail}"
