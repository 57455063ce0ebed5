"""Rule codes and names as users write them: ``MC101``, ``MC1``, ``hidden-softmax``, ``ALL``.

One resolver for every place a code is accepted (``--select``/``--ignore``, pyproject's
``[tool.modelcheck]``, inline ``# modelcheck: ignore[...]`` and ``# noqa: ...``), so an
unknown code is refused the same way everywhere, with a "did you mean".
"""

from __future__ import annotations

from functools import lru_cache


class UnknownCodeError(ValueError):
    """A code, prefix or rule name that names no rule (a usage error: exit code 2)."""


@lru_cache(maxsize=1)
def known_codes() -> dict[str, str]:
    """Every code (rule docs plus the input codes MC001–MC004) mapped to its name."""
    from modelcheck.engine import INPUT_CODES
    from modelcheck.ruledocs import all_docs

    codes = {code: doc.name for code, doc in all_docs().items()}
    codes.update({code: name for code, (name, _) in INPUT_CODES.items()})
    return dict(sorted(codes.items()))


def probe_codes() -> list[str]:
    """The MC5xx codes: reported only by the training probe (``--probe``)."""
    return [code for code in known_codes() if code.startswith("MC5")]


def resolve(item: str) -> str:
    """The code or prefix ``item`` stands for; raises :class:`UnknownCodeError` with a suggestion.

    ``ALL`` is every rule (``MC``); a rule name (``hidden-softmax``) is its code.
    """
    text = item.strip()
    code = text.upper()
    known = known_codes()
    if code == "ALL":
        return "MC"
    if any(existing.startswith(code) for existing in known) and code.startswith("MC"):
        return code
    by_name = {name: existing for existing, name in known.items()}
    if text.lower() in by_name:
        return by_name[text.lower()]
    from modelcheck.readers.config.schema import suggest

    candidates = list(known) + list(by_name)
    raise UnknownCodeError(f"no rule code or prefix '{text}'{suggest(text, candidates)}")


def resolve_all(items: list[str] | tuple[str, ...], where: str) -> tuple[str, ...]:
    """:func:`resolve` each item; the error names ``where`` (``--select``, a file and key, a line)."""
    codes = []
    for item in items:
        try:
            codes.append(resolve(item))
        except UnknownCodeError as error:
            raise UnknownCodeError(f"{where}: {error}") from None
    return tuple(codes)
