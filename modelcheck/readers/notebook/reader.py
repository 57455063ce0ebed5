"""``read_notebook``: a ``.ipynb`` file read as the training script its code cells make."""

from __future__ import annotations

import dataclasses

from modelcheck.errors import InputError, NoSetup
from modelcheck.ir import TrainingSetup
from modelcheck.limits import MAX_SCRIPT_TOKENS, script_tokens
from modelcheck.readers.notebook.document import read_document
from modelcheck.readers.notebook.program import Program, map_locations

def read_program(path: str) -> Program:
    """The notebook's code cells as one program (raises InputError, NoSetup, OSError)."""
    program = Program(path, read_document(path))
    if not program.cells:
        raise NoSetup("a notebook without code cells")
    if len(program.text) > MAX_SCRIPT_TOKENS:
        tokens = script_tokens(program.text.encode("utf-8", "replace"))
        if tokens > MAX_SCRIPT_TOKENS:
            raise InputError(f"about {tokens} Python tokens in its code cells, over the {MAX_SCRIPT_TOKENS}-token bound for scripts")
    return program


def read_notebook(path: str) -> TrainingSetup:
    """Read a notebook into a TrainingSetup whose locations name (code cell, line in the cell).

    Raises InputError (not a notebook, bounds, a syntax error in a cell: the
    error's ``cell`` and ``line`` say where) and NoSetup (no Keras code).
    """
    from modelcheck.readers.script.reader import read_script

    program = read_program(path)
    try:
        setup = read_script(path, program.text)
    except InputError as error:
        raise _in_cell(error, program) from None
    setup = map_locations(setup, program.to_cell)
    return dataclasses.replace(setup, source_lines=program.source_lines, cells=program.spans())


def _in_cell(error: InputError, program: Program) -> InputError:
    """The script reader's error with its line counted in its cell."""
    if error.line is None:
        return error
    cell = program.cell_at_line(error.line)
    if cell is None:
        return error
    mapped = InputError(str(error), line=error.line - cell.first_line + 1, column=error.column, key=error.key)
    mapped.cell = cell.number  # type: ignore[attr-defined]
    mapped.file_line = cell.file_line(mapped.line)  # type: ignore[attr-defined]
    return mapped
