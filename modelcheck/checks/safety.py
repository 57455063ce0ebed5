"""MC6xx: executable content in model files."""

from __future__ import annotations

from typing import Iterator

from modelcheck.engine import report, rule
from modelcheck.findings import Finding
from modelcheck.ir import Location, TrainingSetup
from modelcheck.settings import Settings

_CONSEQUENCE = {
    "lambda-bytecode": "keras.models.load_model(..., safe_mode=False) would run this code on your machine",
    "custom-module": "loading the file runs that module's code wherever it is importable or registered",
    "pickle": "unpickling runs arbitrary code",
    "incomplete": "code in the part not scanned would go unreported, so a clean result does not vouch for it",
}
_HINT = {
    "lambda-bytecode": "Load files from untrusted sources only with safe_mode=True; replace Lambda layers with registered "
    "custom layers or keras.ops-based layers.",
    "custom-module": "Make sure that module is code you trust before loading the file; load untrusted files with "
    "safe_mode=True and no custom_objects.",
    "pickle": "Never unpickle files from untrusted sources; keep extra state as JSON or plain arrays instead of pickles.",
    "incomplete": "Treat the file as untrusted: load it only with safe_mode=True, or not at all.",
}


@rule("MC601")
def code_in_model_file(setup: TrainingSetup, settings: Settings) -> Iterator[Finding]:
    for code in setup.code_objects:
        yield report(
            "MC601",
            f"{code.detail}: {_CONSEQUENCE.get(code.kind, 'loading it runs code')}"
            + ("" if code.kind == "incomplete" else ". modelcheck read it as data and ran nothing"),
            code.location or Location(setup.path),
            _HINT.get(code.kind, _HINT["lambda-bytecode"]),
        )
