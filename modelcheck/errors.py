"""Reader outcomes that are not training setups."""


class InputError(Exception):
    """The input cannot be read or parsed (reported as MC001). The message says why."""

    def __init__(self, message: str, line: int | None = None, column: int | None = None, key: str | None = None):
        super().__init__(message)
        self.line = line
        self.column = column
        self.key = key


class NoSetup(Exception):
    """The input was read but holds no model or training setup (MC002)."""
