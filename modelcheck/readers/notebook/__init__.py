"""Jupyter notebooks (``.ipynb``, nbformat 4) as training scripts.

A notebook's code cells, in file order, make one Python program (``program``):
IPython magics and shell lines become neutral lines so that line numbers hold,
markdown cells and outputs are ignored. The script reader reads that program;
every location it reports is then mapped to (code cell, line in the cell).
``document`` reads the JSON with the position of every source string, which
``--fix`` (``edit``) uses to rewrite cell sources in place.
"""

from modelcheck.readers.notebook.reader import read_notebook

__all__ = ["read_notebook"]
