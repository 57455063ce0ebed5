"""Jupyter notebooks (.ipynb) as inputs: positions as (code cell, line in cell) in every format,
magics skipped, suppressions inside cells, --fix editing only the changed source strings,
directory scans, the Python API and hostile notebooks."""

from __future__ import annotations

import difflib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT, run_cli, run_json
from notebook_factory import COMPILE, SMALL_CNN, code, dumps, markdown, notebook, write

IMPORTS = """\
%matplotlib inline
!pip install -q tensorflow
import numpy as np
from tensorflow.keras.applications import VGG16
from tensorflow.keras.preprocessing.image import ImageDataGenerator
from tensorflow.keras import layers, models"""
BACKBONE = "base = VGG16(weights='imagenet', include_top=False, input_shape=(224, 224, 3))\nbase.trainable = False"
HEAD = """\
model = models.Sequential([
    base,
    layers.GlobalAveragePooling2D(),
    layers.Dense(256, activation='softmax'),
    layers.Dense(5, activation='softmax'),
])
model.compile(optimizer='adam', loss='categorical_crossentropy', metrics=['accuracy'])"""
DATA = """\
%%time
train_gen = ImageDataGenerator(rescale=1./255)
train = train_gen.flow_from_directory('data/train', target_size=(224, 224), class_mode='categorical')
model.fit(train, epochs=5)"""
OUTPUT = {"name": "stdout", "output_type": "stream", "text": ["Epoch 1/5\n", "10/10 - 3s - loss: 1.61 - accuracy: 0.20\n"]}
IMAGE = {"data": {"image/png": "iVBORw0KGgo" + "A" * 2000, "text/plain": ["<Figure size 640x480 with 1 Axes>"]},
         "metadata": {}, "output_type": "display_data"}


def _cells() -> list[dict]:
    """Magics in the 1st code cell, the hidden softmax in the 3rd, rescale=1/255 into VGG16 in the 4th."""
    return [
        markdown("# Flowers\nTransfer learning with VGG16."),
        code(IMPORTS, count=1),
        markdown("## Backbone"),
        code(BACKBONE, count=2),
        code(HEAD, count=3),
        markdown("## Training"),
        code(DATA, outputs=[OUTPUT, IMAGE], count=4),
    ]


@pytest.fixture
def nb(tmp_path) -> Path:
    return write(tmp_path / "train.ipynb", _cells())


def _json_line(path: Path, text: str) -> int:
    """The 1-based line of the notebook file whose JSON string holds ``text``."""
    lines = path.read_text(encoding="utf-8").splitlines()
    matches = [number for number, line in enumerate(lines, start=1) if text in line]
    assert len(matches) == 1, matches
    return matches[0]


# -- the done-when notebook, in every format --------------------------------------------------


def test_console_names_cell_and_line_in_cell(nb):
    result = run_cli(str(nb), "--no-color", cwd=nb.parent)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "train.ipynb:cell 3:4:5: MC101 error" in result.stdout, result.stdout
    assert "     4 |     layers.Dense(256, activation='softmax')," in result.stdout
    assert "train.ipynb:cell 4:2:32: MC201 error" in result.stdout, result.stdout
    assert "     2 | train_gen = ImageDataGenerator(rescale=1./255)" in result.stdout
    # The magics read as nothing: no MC001 for `%matplotlib`, `!pip` or `%%time`.
    assert "MC001" not in result.stdout and "Traceback" not in result.stderr


def test_json_carries_cell_and_line_within_it(nb):
    code_, document = run_json(str(nb), cwd=nb.parent)
    assert code_ == 1
    found = {f["code"]: f for f in document["findings"]}
    assert (found["MC101"]["path"], found["MC101"]["cell"], found["MC101"]["line"], found["MC101"]["column"]) == ("train.ipynb", 3, 4, 5)
    assert (found["MC201"]["cell"], found["MC201"]["line"], found["MC201"]["column"]) == (4, 2, 32)


def test_sarif_region_is_the_json_line_and_properties_name_the_cell(nb):
    result = run_cli(str(nb), "--format", "sarif", cwd=nb.parent)
    results = {r["ruleId"]: r for r in json.loads(result.stdout)["runs"][0]["results"]}
    softmax = results["MC101"]["locations"][0]
    assert softmax["physicalLocation"]["artifactLocation"]["uri"] == "train.ipynb"
    assert softmax["physicalLocation"]["region"] == {"startLine": _json_line(nb, "layers.Dense(256, activation='softmax')")}
    assert softmax["properties"] == {"cell": 3, "cellLine": 4, "cellColumn": 5}
    assert results["MC101"]["message"]["text"].startswith("[train.ipynb:cell 3:4:5] ")
    rescale = results["MC201"]["locations"][0]
    assert rescale["physicalLocation"]["region"] == {"startLine": _json_line(nb, "ImageDataGenerator(rescale=1./255)")}
    assert rescale["properties"] == {"cell": 4, "cellLine": 2, "cellColumn": 32}


def test_github_annotation_points_at_the_json_line(nb):
    result = run_cli(str(nb), "--format", "github", cwd=nb.parent)
    lines = {line.split(" ", 1)[0] + line.split("title=")[1][:5]: line for line in result.stdout.splitlines()}
    softmax = lines["::errorMC101"]
    assert f"file=train.ipynb,line={_json_line(nb, 'layers.Dense(256, activation=')}," in softmax
    assert "::[train.ipynb%3Acell 3%3A4%3A5]" not in softmax  # the message is data: only % and newlines are escaped
    assert "::[train.ipynb:cell 3:4:5] `Dense(256" in softmax, softmax
    assert f"line={_json_line(nb, 'rescale=1./255')}," in lines["::errorMC201"]


# -- --fix / --diff ------------------------------------------------------------------------------


def test_fix_edits_only_the_changed_source_strings(nb):
    before = nb.read_text(encoding="utf-8")
    diff = run_cli(str(nb), "--diff", cwd=nb.parent)
    assert diff.returncode == 1, diff.stderr
    assert "--- train.ipynb:cell 3\n+++ train.ipynb:cell 3\n" in diff.stdout, diff.stdout
    assert "-    layers.Dense(256, activation='softmax'),\n+    layers.Dense(256, activation='relu'),\n" in diff.stdout
    assert nb.read_text(encoding="utf-8") == before  # --diff writes nothing

    fixed = run_cli(str(nb), "--fix", "--format", "json", cwd=nb.parent)
    assert "fixed train.ipynb:cell 3:4:5: MC101" in fixed.stderr, fixed.stderr
    assert "fixed train.ipynb:cell 4:2:32: MC201" in fixed.stderr, fixed.stderr
    after = nb.read_text(encoding="utf-8")
    old, new = json.loads(before), json.loads(after)
    # Every cell keeps its outputs, metadata, id and execution count; only sources of cells 1, 3, 4 change.
    for a, b in zip(old["cells"], new["cells"]):
        assert {k: v for k, v in a.items() if k != "source"} == {k: v for k, v in b.items() if k != "source"}
    assert old["metadata"] == new["metadata"] and len(old["cells"]) == len(new["cells"])
    sources = ["".join(cell["source"]) for cell in new["cells"]]
    assert sources[1] == IMPORTS + "\nfrom tensorflow.keras.applications.vgg16 import preprocess_input"
    assert sources[4] == HEAD.replace("Dense(256, activation='softmax')", "Dense(256, activation='relu')")
    assert sources[6] == DATA.replace("rescale=1./255", "preprocessing_function=preprocess_input")
    # Byte for byte, the file differs only in the source lines that changed (and one added one).
    changes = [(tag, before.splitlines(True)[a0:a1], after.splitlines(True)[b0:b1])
               for tag, a0, a1, b0, b1 in difflib.SequenceMatcher(None, before.splitlines(True), after.splitlines(True), autojunk=False).get_opcodes()
               if tag != "equal"]
    assert changes == [
        ("replace", ['    "from tensorflow.keras import layers, models"\n'],
         ['    "from tensorflow.keras import layers, models\\n",\n', '    "from tensorflow.keras.applications.vgg16 import preprocess_input"\n']),
        ("replace", ['''    "    layers.Dense(256, activation='softmax'),\\n",\n'''], ['''    "    layers.Dense(256, activation='relu'),\\n",\n''']),
        ("replace", ['    "train_gen = ImageDataGenerator(rescale=1./255)\\n",\n'],
         ['    "train_gen = ImageDataGenerator(preprocessing_function=preprocess_input)\\n",\n']),
    ], changes
    # The re-check after --fix, and a second run, no longer report what was fixed.
    assert {f["code"] for f in json.loads(fixed.stdout)["findings"]} & {"MC101", "MC201"} == set()
    again = run_json(str(nb), cwd=nb.parent)[1]
    assert {f["code"] for f in again["findings"]} & {"MC101", "MC201"} == set(), again


def test_fix_keeps_a_single_string_source_and_other_formatting(tmp_path):
    cells = [code(IMPORTS), code(BACKBONE), code(HEAD)]
    cells[2]["source"] = HEAD  # nbformat allows one string
    path = tmp_path / "compact.ipynb"
    text = json.dumps(notebook(cells), separators=(",", ":"))  # no indentation at all, no trailing newline
    path.write_text(text, encoding="utf-8")
    run_cli(str(path), "--fix", cwd=tmp_path)
    after = path.read_text(encoding="utf-8")
    expected = text.replace(json.dumps(HEAD), json.dumps(HEAD.replace("'softmax'),\n    layers.Dense(5", "'relu'),\n    layers.Dense(5")))
    assert after == expected


# -- reading: magics, cells, suppressions -----------------------------------------------------------


def test_magics_become_neutral_lines_and_line_numbers_hold():
    from modelcheck.readers.notebook.magics import mask_magics

    text, masked = mask_magics("%load_ext autoreload\nfor f in files:\n    !cp $f /tmp \\\n        --verbose\nx = (a\n     % b)\nlisting = !ls\nmodel.fit?\n?model\n")
    assert text == "pass\nfor f in files:\n    pass\n\nx = (a\n     % b)\npass\npass\npass\n"
    assert masked == {0, 2, 3, 6, 7, 8}
    assert mask_magics("%%bash\npip install x\nls\n")[0] == "\n\n\n"
    assert mask_magics("%%time\nmodel.fit(x)")[0] == "\nmodel.fit(x)"
    assert mask_magics('s = """\n!not a magic\n"""\n')[1] == frozenset()


def test_suppression_comments_count_within_the_cell(tmp_path):
    head = HEAD.replace("layers.Dense(256, activation='softmax'),", "layers.Dense(256, activation='softmax'),  # modelcheck: ignore[MC101]")
    path = write(tmp_path / "quiet.ipynb", [code(IMPORTS), code(BACKBONE), code(head), code(DATA)])
    codes = [(f["code"], f["cell"], f["line"]) for f in run_json(str(path), cwd=tmp_path)[1]["findings"]]
    assert ("MC201", 4, 2) in codes and not any(c == "MC101" for c, _, _ in codes), codes

    # A comment on the last line of one cell does not reach the first line of the next one.
    data = "# modelcheck: ignore[MC201]\n" + DATA.replace("%%time\n", "")
    path = write(tmp_path / "boundary.ipynb", [code(IMPORTS), code(BACKBONE + "\n# modelcheck: ignore[MC201]"),
                                                 code(HEAD), code(DATA.replace("%%time\n", ""))])
    codes = [(f["code"], f["cell"], f["line"]) for f in run_json(str(path), cwd=tmp_path)[1]["findings"]]
    assert ("MC201", 4, 1) in codes, codes
    path = write(tmp_path / "above.ipynb", [code(IMPORTS), code(BACKBONE), code(HEAD), code(data)])
    codes = [f["code"] for f in run_json(str(path), cwd=tmp_path)[1]["findings"]]
    assert "MC201" not in codes and "MC101" in codes, codes


def test_syntax_error_is_reported_in_its_cell(tmp_path):
    path = write(tmp_path / "broken.ipynb", [code(IMPORTS), code("x = (1,\ny = 2")])
    finding = run_json(str(path), cwd=tmp_path)[1]["findings"][0]
    assert (finding["code"], finding["cell"], finding["line"]) == ("MC001", 2, 1), finding


def test_directory_scan_finds_notebooks_but_not_checkpoints(tmp_path):
    write(tmp_path / "train.ipynb", _cells())
    (tmp_path / ".ipynb_checkpoints").mkdir()
    write(tmp_path / ".ipynb_checkpoints" / "train-checkpoint.ipynb", _cells())
    write(tmp_path / "notes.ipynb", [markdown("# just notes"), code("print('hello')")])  # no Keras: skipped in a scan
    document = run_json(str(tmp_path), cwd=tmp_path)[1]
    assert {(f["path"], f["cell"]) for f in document["findings"] if f["code"] in ("MC101", "MC201")} == {("train.ipynb", 3), ("train.ipynb", 4)}
    assert document["summary"]["files"] == 2
    assert not any(f["code"] == "MC002" for f in document["findings"])


def test_python_api_checks_a_notebook(nb):
    import modelcheck

    report = modelcheck.check(str(nb))
    softmax = next(f for f in report.findings if f.code == "MC101")
    assert (softmax.location.cell, softmax.location.line, softmax.location.column) == (3, 4, 5)
    text = str(report)
    assert "train.ipynb:cell 3:4:5: MC101" in text and "   4 |     layers.Dense(256, activation='softmax')," in text


def test_bundled_notebook_matches_its_script():
    """examples/seed000/train_sequential.ipynb is train_sequential.py cut into cells (plus two magics)."""
    script = run_json("examples/seed000/train_sequential.py")[1]["findings"]
    notebook_ = run_json("examples/seed000/train_sequential.ipynb")[1]["findings"]
    source = (ROOT / "examples/seed000/train_sequential.py").read_text().splitlines()
    cells = ["".join(c["source"]).splitlines() for c in json.loads((ROOT / "examples/seed000/train_sequential.ipynb").read_text())["cells"]
             if c["cell_type"] == "code"]
    assert [f["code"] for f in script] == [f["code"] for f in notebook_]
    for a, b in zip(script, notebook_):
        assert source[a["line"] - 1] == cells[b["cell"] - 1][b["line"] - 1] and a["column"] == b["column"], (a, b)


# -- hostile notebooks ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "message", "line"),
    [
        ('{"cells": [\n  {"cell_type": "code", "source": ["x = 1"]\n', "not valid JSON", 3),
        ('{"metadata": {}, "nbformat": 4, "nbformat_minor": 5}', 'no "cells" list', None),
        ('{"cells": [{"cell_type": "code", "source": 42}], "nbformat": 4}', '"source" is neither a string nor a list of strings', 1),
        ('{"cells": [{"cell_type": "code", "source": ["a", 1]}], "nbformat": 4}', '"source" is neither a string nor a list of strings', 1),
        ('{"worksheets": [], "nbformat": 3}', "nbformat 3 notebook", None),
        ("[1, 2, 3]", "not a JSON object", None),
        (b"\xff\xfe{}", "not UTF-8", 1),
    ],
)
def test_malformed_notebooks_give_one_mc001_line(tmp_path, content, message, line):
    path = tmp_path / "bad.ipynb"
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    result = run_cli(str(path), "--format", "json", cwd=tmp_path)
    assert "Traceback" not in result.stderr, result.stderr
    findings = json.loads(result.stdout)["findings"]
    assert [(f["code"], f["line"]) for f in findings] == [("MC001", line)], findings
    assert message in findings[0]["message"], findings[0]["message"]


def test_hundred_thousand_cells_are_refused_within_the_bound(tmp_path):
    path = tmp_path / "many.ipynb"
    path.write_text(dumps(notebook([code("x = 1")] * 100_000)), encoding="utf-8")
    findings = run_json(str(path), cwd=tmp_path)[1]["findings"]
    assert [f["code"] for f in findings] == ["MC001"]
    assert "more than 20000 code cells" in findings[0]["message"]


def test_huge_outputs_are_dropped_and_an_oversized_file_refused(tmp_path):
    cells = _cells()
    cells[-1]["outputs"] = [{"data": {"image/png": "A" * 8_000_000}, "metadata": {}, "output_type": "display_data"}] * 3
    path = write(tmp_path / "plots.ipynb", cells)
    assert path.stat().st_size > 24_000_000
    codes = [(f["code"], f["cell"]) for f in run_json(str(path), cwd=tmp_path)[1]["findings"]]
    assert ("MC101", 3) in codes and ("MC201", 4) in codes

    big = tmp_path / "big.ipynb"
    with open(big, "wb") as handle:  # sparse: 65 MB on paper, nothing on disk
        handle.truncate(65 * 1024 * 1024)
    finding = run_json(str(big), cwd=tmp_path)[1]["findings"][0]
    assert finding["code"] == "MC001" and "over the 67108864-byte bound for notebooks" in finding["message"]
    assert "clear" in finding["message"]


def test_other_languages_are_not_python(tmp_path):
    path = write(tmp_path / "r.ipynb", [code("library(keras)")], language="R")
    findings = run_json(str(path), cwd=tmp_path)[1]["findings"]
    assert [(f["code"], f["message"]) for f in findings] == [("MC002", "not a Python notebook (its language is r)")]


# -- the probe ----------------------------------------------------------------------------------------

@pytest.mark.tf
def test_probe_rebuilds_a_notebook_setup(tmp_path):
    from modelcheck.probe import probe

    path = write(tmp_path / "probe.ipynb", [code("%matplotlib inline"), code(SMALL_CNN), code(COMPILE)])
    result = probe(str(path), steps=30, seconds=60)
    stalled = next((f for f in result.findings if f.code == "MC502"), None)
    assert stalled is not None, result.console_lines()
    assert (stalled.location.cell, stalled.location.line) == (3, 1)
    assert "MC101 fix" in stalled.message


def test_baseline_keeps_hiding_findings_when_cells_move(tmp_path):
    path = write(tmp_path / "train.ipynb", _cells())
    assert run_cli(str(path), "--write-baseline", "baseline.json", cwd=tmp_path).returncode == 0
    assert run_cli(str(path), "--baseline", "baseline.json", cwd=tmp_path).returncode == 0
    # A new code cell on top renumbers every cell: the findings stay hidden (fingerprints are the lines' text).
    write(path, [code("import os")] + _cells())
    hidden = run_cli(str(path), "--baseline", "baseline.json", "--format", "json", cwd=tmp_path)
    assert hidden.returncode == 0 and json.loads(hidden.stdout)["findings"] == [], hidden.stdout
    # Editing the softmax line shows its finding again, at its new cell.
    cells = [code("import os")] + _cells()
    cells[5]["source"] = [line.replace("Dense(256,", "Dense(128,") for line in cells[5]["source"]]
    write(path, cells)
    shown = json.loads(run_cli(str(path), "--baseline", "baseline.json", "--format", "json", cwd=tmp_path).stdout)["findings"]
    assert [(f["code"], f["cell"], f["line"]) for f in shown] == [("MC101", 4, 4)], shown


# -- fuzzing: whatever the notebook, a setup or one MC001/MC002, and --fix keeps it valid JSON ---------

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_LINES = st.sampled_from([
    "%matplotlib inline", "!pip install x \\", "  --quiet", "%%time", "%%bash", "model.fit?", "x = (1,", "% 2)",
    "from keras import layers, models", "m = models.Sequential([layers.Dense(4, activation='softmax'), layers.Dense(2, activation='softmax')])",
    "m.compile(loss='categorical_crossentropy')", "  # modelcheck: ignore[MC101]", '"""', "", "\t", "é ü 中", "\\", "\r",
])
_SOURCE = st.one_of(st.lists(_LINES.map(lambda s: s + "\n"), max_size=6), _LINES, st.integers(), st.none(), st.lists(st.integers(), max_size=2))
_CELL = st.fixed_dictionaries({"cell_type": st.sampled_from(["code", "markdown", "raw", 3]), "source": _SOURCE},
                              optional={"outputs": st.lists(st.dictionaries(st.text(max_size=3), st.text(max_size=5), max_size=2), max_size=2)})
_NOTEBOOK = st.fixed_dictionaries({"cells": st.lists(_CELL, max_size=5)}, optional={"nbformat": st.sampled_from([3, 4, "4"]), "metadata": st.just({})})


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(document=_NOTEBOOK, indent=st.sampled_from([None, 1, 2]), cut=st.integers(min_value=0, max_value=40))
def test_fuzzed_notebooks_never_crash_and_fixes_stay_json(tmp_path, document, indent, cut):
    from modelcheck.fix.apply import fix_files
    from modelcheck.runner import check_paths

    text = json.dumps(document, indent=indent, ensure_ascii=False)
    path = tmp_path / "fuzz.ipynb"
    for data in (text, text[: len(text) - cut]):  # whole, and cut short
        path.write_text(data, encoding="utf-8")
        result = check_paths([str(path)])
        problems = [f for f in result.findings if f.code in ("MC001", "MC002")]
        assert all("internal error" not in f.message for f in problems), problems
        assert len(problems) <= 1 and (not problems or not result.setups)
        if result.setups:
            outcome = fix_files(result.findings, write=True, setups=result.setups)
            fixed = json.loads(path.read_text(encoding="utf-8"))
            if not outcome.written:
                assert path.read_text(encoding="utf-8") == data
            else:
                assert [c.get("outputs") for c in fixed["cells"]] == [c.get("outputs") for c in document["cells"]]


def test_setup_maps_its_source_lines_to_cells(nb):
    """Findings made from the text (suppression comments) find their cell through the setup."""
    from modelcheck.inputs import load

    setup = load([str(nb)]).setups[0]
    assert [(s.cell, s.first_line, s.lines) for s in setup.cells] == [(1, 1, 6), (2, 7, 2), (3, 9, 7), (4, 16, 4)]
    assert setup.source_lines[0] == "%matplotlib inline"  # excerpts show the cell as written
    where = setup.line_location(12, 5)
    assert (where.cell, where.line, where.column) == (3, 4, 5)
    assert setup.lines_of(where)[where.line - 1] == "    layers.Dense(256, activation='softmax'),"
    assert sorted([setup.line_location(16), setup.line_location(1), setup.line_location(9)], key=lambda l: l.sort_key()) == [
        setup.line_location(1), setup.line_location(9), setup.line_location(16)]


def test_fix_on_the_bundled_notebook_names_cells_everywhere(tmp_path):
    path = tmp_path / "train_sequential.ipynb"
    path.write_bytes((ROOT / "examples/seed000/train_sequential.ipynb").read_bytes())
    result = run_cli(str(path), "--fix", cwd=tmp_path)
    assert ("fixed train_sequential.ipynb:cell 5:1:36: MC201 rescale=1.0 / 255 → preprocessing_function=preprocess_input (vgg16), "
            "also at train_sequential.ipynb:cell 5:2") in result.stderr, result.stderr
    assert "fixed train_sequential.ipynb:cell 6:2:21: MC402 fit_generator( → fit(" in result.stderr
    cells = [c for c in json.loads(path.read_text(encoding="utf-8"))["cells"] if c["cell_type"] == "code"]
    assert cells[5]["source"][:2] == ["%%time\n", "history = vgg_model.fit(\n"]  # the cell magic is kept as written
    assert cells[5]["outputs"][0]["text"][0] == "Epoch 1/10\n"


def test_outputs_are_passed_over_not_decoded(tmp_path):
    """Reading a notebook of 30 MB of plots allocates little beyond the file's own bytes."""
    cells = _cells()
    cells[-1]["outputs"] = [{"data": {"image/png": "iVBOR" + "A" * 3_000_000 + "é"}, "metadata": {}, "output_type": "display_data"}] * 10
    path = write(tmp_path / "plots.ipynb", cells)
    size = path.stat().st_size
    script = (
        "import sys, tracemalloc\n"
        "from modelcheck.readers.notebook.document import read_document\n"
        "tracemalloc.start()\n"
        f"document = read_document({str(path)!r})\n"
        "print(tracemalloc.get_traced_memory()[1], len(document.cells))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 0, done.stderr
    peak, cells_read = map(int, done.stdout.split())
    assert cells_read == 4
    assert peak < size * 1.3, (peak, size)  # the bytes once; decoding the outputs to text would double it
