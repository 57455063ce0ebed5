"""``--fix`` / ``--diff``: exact, formatting-preserving edits for the findings that have one safe rewrite.

    from modelcheck.fix import fix_files
    result = fix_files(findings, write=False)     # what --diff shows
    print(result.diff); [str(s) for s in result.skipped]

Fixed: MC101 hidden ``activation='softmax'`` → ``'relu'``; MC201 ``rescale=1./255``
→ the backbone's ``preprocess_input`` (import added); MC401 ``monitor='val_acc'``
→ the logged name; MC402 one-to-one renames of removed Keras APIs. Everything
else — and every case where the rewrite would change meaning — is reported as
"not fixed: why". Edits are located by re-parsing the file with ``ast`` at
each finding's line and column; no other byte changes.
"""

from typing import Any

__all__ = ["FIXABLE_CODES", "AppliedFix", "FixResult", "SkippedFix", "fix_files"]


def __getattr__(name: str) -> Any:
    # Lazy: the CLI imports modelcheck.fix.cli_hook on every run, the fixer only for --fix/--diff.
    if name in __all__:
        from modelcheck.fix import apply

        return getattr(apply, name)
    raise AttributeError(name)
