"""split_message jumps between quotes, brackets and stops: it splits exactly where a
character-by-character reading does."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from modelcheck.report import _ABBREVIATIONS, split_message


def _reference(message: str) -> tuple[str, str]:
    """The character-by-character reading the report used before."""
    depth = 0
    quote = ""
    for index, char in enumerate(message):
        if quote:
            if char == quote:
                quote = ""
            continue
        if char == "`" or (char == "'" and (index == 0 or not message[index - 1].isalnum())):
            quote = char
        elif char in "([{":
            depth += 1
        elif char in ")]}":
            depth = max(0, depth - 1)
        elif char in ":;." and depth == 0 and message[index + 1:index + 2] == " ":
            if char == "." and message[:index].lower().endswith(_ABBREVIATIONS):
                continue
            return message[:index].rstrip(), message[index + 2:].lstrip()
    return message.rstrip(". "), ""


CASES = [
    ("`Dense(64, activation='softmax')` is a hidden layer: softmax squeezes", ("`Dense(64, activation='softmax')` is a hidden layer", "softmax squeezes")),
    ("the model's head (a Dense: 5 units) is new; train it first", ("the model's head (a Dense: 5 units) is new", "train it first")),
    ("use e.g. rescale=1/255. Then train", ("use e.g. rescale=1/255", "Then train")),
    ("an unclosed `quote: never split", ("an unclosed `quote: never split", "")),
    ("'quoted: at the start' then: rest", ("'quoted: at the start' then", "rest")),
    ("no stop at all.", ("no stop at all", "")),
]


def test_known_messages_split_where_a_reader_expects():
    for message, expected in CASES:
        assert split_message(message) == expected == _reference(message)


@settings(max_examples=3000, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab1 `'()[]{}:;.eigtcvsapprox")), max_size=60))
def test_any_message_splits_as_the_character_reading_does(message):
    assert split_message(message) == _reference(message)
