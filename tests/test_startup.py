"""Start-up: what a one-script run imports, and the image header reader that spares it Pillow."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from conftest import ROOT
from test_parallel import TRAIN, _corpus


IMPORTS = """
import sys, json
from modelcheck.cli import main
import io, contextlib
with contextlib.redirect_stdout(io.StringIO()):
    main(sys.argv[1:])
print(json.dumps(sorted(sys.modules)))
"""


def _imported(*args: str) -> set[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "NO_COLOR": "1"}
    result = subprocess.run([sys.executable, "-c", IMPORTS, *args], capture_output=True, text=True, env=env, cwd=ROOT, timeout=120)
    return set(json.loads(result.stdout.strip().splitlines()[-1]))


# What a one-script run has no use for: the pool (its lock waits in select), the model-file reader
# (zip, HDF5), the probe, OpenSSL (baselines hash lines). Each is imported where it is used;
# the pool needs neither multiprocessing nor concurrent.futures at all.
NOT_FOR_ONE_SCRIPT = {
    "select", "multiprocessing", "concurrent.futures", "zipfile", "hashlib", "h5py",
    "modelcheck.readers.model.keras_file", "modelcheck.probe.run", "modelcheck.probe.report", "modelcheck.fix.apply",
}


def test_one_script_imports_only_what_it_uses(tmp_path):
    script = tmp_path / "train.py"
    script.write_text(TRAIN.format(size=224, classes=3))
    imported = _imported(str(script), "--jobs", "2")
    assert "modelcheck.readers.script.reader" in imported
    assert imported & NOT_FOR_ONE_SCRIPT == set()


def test_a_folder_of_folders_does_start_the_pool_without_multiprocessing(tmp_path):
    _corpus(tmp_path / "repo", folders=2)
    imported = _imported(str(tmp_path / "repo"), "--jobs", "2", "--format", "json")
    assert "select" in imported and imported & {"multiprocessing", "concurrent.futures"} == set()


def test_one_script_beside_its_png_data_folder_does_not_import_pillow(tmp_path):
    from PIL import Image

    for label in ("cats", "dogs"):
        (tmp_path / "data" / label).mkdir(parents=True)
        Image.new("RGB", (8, 8)).save(tmp_path / "data" / label / "0.png")
    script = tmp_path / "train.py"
    script.write_text(TRAIN.format(size=224, classes=3))
    assert "PIL" not in _imported(str(script))


# (mode, format, save options): what Pillow opens each in decides the expected channel count.
IMAGES = [
    ("1", "PNG", {}), ("L", "PNG", {}), ("P", "PNG", {}), ("LA", "PNG", {}), ("RGB", "PNG", {}), ("RGBA", "PNG", {}),
    ("I;16", "PNG", {}), ("L", "JPEG", {}), ("RGB", "JPEG", {}), ("RGB", "JPEG", {"progressive": True}),
    ("CMYK", "JPEG", {}), ("RGB", "GIF", {}), ("RGB", "BMP", {}),
]


@pytest.mark.parametrize("mode, fmt, options", IMAGES)
def test_image_channels_from_the_header_are_what_pillow_says(tmp_path, mode, fmt, options):
    from PIL import Image

    from modelcheck.readers.data_dir import _CHANNELS, _channels

    path = tmp_path / f"image.{fmt.lower()}"
    Image.new(mode, (16, 9)).save(path, format=fmt, **options)
    with Image.open(path) as image:
        expected = _CHANNELS.get(image.mode)
    assert _channels(str(path)) == expected


def test_a_png_cut_after_its_header_still_has_its_channels_and_garbage_has_none(tmp_path):
    from PIL import Image

    from modelcheck.readers.data_dir import _channels

    Image.new("RGBA", (16, 9)).save(tmp_path / "whole.png")
    (tmp_path / "cut.png").write_bytes((tmp_path / "whole.png").read_bytes()[:40])
    (tmp_path / "garbage.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 30)
    (tmp_path / "garbage.jpg").write_bytes(b"\xff\xd8\xff\xe0\x00")
    assert _channels(str(tmp_path / "cut.png")) == 4
    assert _channels(str(tmp_path / "garbage.png")) is None
    assert _channels(str(tmp_path / "garbage.jpg")) is None
