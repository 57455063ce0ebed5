"""Notebooks for tests, written the way Jupyter writes them (nbformat 4, indent=1, sorted keys)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


# A small CNN with a hidden softmax on line 8 (MC101 at 8:5), quick for the probe.
SMALL_CNN = """\
from keras import layers, models

model = models.Sequential([
    layers.Input(shape=(32, 32, 3)),
    layers.Conv2D(8, 3, activation="relu"),
    layers.MaxPooling2D(4),
    layers.Flatten(),
    layers.Dense(64, activation="softmax"),
    layers.Dense(5, activation="softmax"),
])"""
COMPILE = 'model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])'


def code(source: str, outputs: list[dict[str, Any]] | None = None, count: int | None = None) -> dict[str, Any]:
    return {"cell_type": "code", "execution_count": count, "id": f"c{abs(hash(source)) % 10**8:08d}", "metadata": {},
            "outputs": outputs or [], "source": source.splitlines(keepends=True)}


def markdown(source: str) -> dict[str, Any]:
    return {"cell_type": "markdown", "id": f"m{abs(hash(source)) % 10**8:08d}", "metadata": {}, "source": source.splitlines(keepends=True)}


def notebook(cells: list[dict[str, Any]], language: str = "python") -> dict[str, Any]:
    return {
        "cells": cells,
        "metadata": {
            "kernelspec": {"display_name": "Python 3", "language": language, "name": "python3"},
            "language_info": {"name": language, "version": "3.11.0"},
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def dumps(document: dict[str, Any]) -> str:
    """What Jupyter (nbformat.write) writes."""
    return json.dumps(document, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def write(path: Path, cells: list[dict[str, Any]], **kwargs: Any) -> Path:
    path.write_text(dumps(notebook(cells, **kwargs)), encoding="utf-8")
    return path
