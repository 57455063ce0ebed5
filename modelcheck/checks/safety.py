"""MC6xx: executable content in model files."""

from __future__ import annotations

from typing import Iterator

from modelcheck.engine import report, rule
from modelcheck.findings import Finding
from modelcheck.ir import Location, TrainingSetup
from modelcheck.settings import Settings

_CONSEQUENCE = {
    "lambda-bytecode": "keras.models.load_model(..., safe_mode=False) would run this code on your machine",
    "custom-module": "loading the file imports and runs that module's code",
    "pickle": "unpickling runs arbitrary code",
}


@rule("MC601")
def code_in_model_file(setup: TrainingSetup, settings: Settings) -> Iterator[Finding]:
    for code in setup.code_objects:
        yield report(
            "MC601",
            f"{code.detail}: {_CONSEQUENCE.get(code.kind, 'loading it runs code')}. modelcheck read it as data and ran nothing",
            code.location or Location(setup.path),
            "Load files from untrusted sources only with safe_mode=True; replace Lambda layers with registered custom layers or keras.ops-based layers.",
        )
