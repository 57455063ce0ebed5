"""The JSON report is written finding by finding, byte for byte as json.dumps(indent=2)
writes the whole document."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from modelcheck.findings import Finding, FixSpec, Severity
from modelcheck.ir import Location
from modelcheck.report import summary
from modelcheck.report.json_format import SCHEMA_VERSION, finding_dict, render
from modelcheck.runner import check_paths
from conftest import ROOT


def _reference(findings: list[Finding], files: int, extra: dict | None = None) -> str:
    document = {"version": SCHEMA_VERSION, "findings": [finding_dict(f) for f in findings], "summary": summary(findings, files)}
    document.update(extra or {})
    return json.dumps(document, indent=2, sort_keys=False)


def test_the_examples_render_as_the_whole_document_dump_does():
    findings = check_paths([str(ROOT / "examples")]).findings
    assert len(findings) > 40
    extra = {"statistics": [{"code": "MC101", "count": 3}], "baseline": {"file": "b.json", "hidden": 2}}
    for chosen in (findings, findings[:1], []):
        assert render(chosen, 7) == _reference(chosen, 7)
        assert render(chosen, 7, extra) == _reference(chosen, 7, extra)


TEXT = st.text(alphabet=st.sampled_from(['a', 'é', '"', '\\', '\n', '\x1b', '\u202e', '😀', ' ', '{', '}', ':', ',']), max_size=20)


@settings(max_examples=300, deadline=None)
@given(message=TEXT, path=TEXT, hint=st.none() | TEXT, fix=st.none() | TEXT, cell=st.none() | st.integers(1, 99),
       line=st.none() | st.integers(1, 10**6), layer=st.none() | TEXT)
def test_any_finding_renders_as_the_whole_document_dump_does(message, path, hint, fix, cell, line, layer):
    finding = Finding("MC101", "softmax-hidden", Severity.ERROR, message, Location(path or "x.py", line=line, cell=cell, layer=layer),
                      hint, FixSpec(fix, (("kind", "replace"),)) if fix is not None else None)
    assert render([finding, finding], 1) == _reference([finding, finding], 1)
