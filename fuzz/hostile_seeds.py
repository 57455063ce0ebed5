"""Write a seed corpus of hostile structures for ``fuzz_readers.py`` (issue 16).

    python fuzz/hostile_seeds.py fuzz/corpus
    python fuzz/fuzz_readers.py fuzz/corpus -max_total_time=3600

Seeds start with the byte that ``fuzz_readers.test_one_input`` turns into the
file suffix. They cover what random mutation rarely reaches on its own: values
shared into themselves (DAGs) in scripts and YAML aliases, integer literals past
every conversion limit, and `.keras` members compressed with deflate, bzip2 and
lzma whose headers lie about their size.
"""

from __future__ import annotations

import io
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests"))

from zip_members import BZIP2, DEFLATED, LZMA, STORED, compress, compress_zeros, write_zip  # noqa: E402

SUFFIX_BYTE = {".keras": 0, ".h5": 1, ".json": 2, ".yaml": 3, ".toml": 4, ".py": 5}
MODEL = {"class_name": "Sequential", "config": {"name": "s", "layers": [
    {"class_name": "InputLayer", "config": {"name": "in", "batch_shape": [None, 4]}},
    {"class_name": "Dense", "config": {"name": "d", "units": 3, "activation": "softmax"}}]}}


def seeds() -> dict[str, tuple[str, bytes]]:
    """{seed name: (suffix, content)}."""
    found: dict[str, tuple[str, bytes]] = {}
    for index, grow in enumerate(["t = (t, t)", "t = [t, t]", "t = {'a': t, 'b': t}", "t = pair(t, t)", "t = tuple(zip(t, t))"]):
        found[f"dag_script_{index}"] = (".py", (
            "import keras\ndef pair(*a):\n    return a\nt = (0,)\n"
            f"for i in range(90):\n    {grow}\nd = {{t: 1}}\nn = [t].count(t)\n"
            "model = keras.Sequential([keras.layers.Dense(3)])\n").encode())
    huge = hex((1 << 16000) - 1)
    found["huge_literal_script"] = (".py", f"import keras\nm = keras.Sequential([keras.layers.Dense({huge})])\n".encode())
    found["huge_literal_yaml"] = (".yaml", f"model:\n  backbone: ResNet50\n  input_shape: [{huge}, 3, 3]\n".encode())
    found["huge_literal_toml"] = (".toml", f"[model]\nbackbone = \"ResNet50\"\nnum_classes = {huge}\n".encode())
    found["alias_dag_yaml"] = (".yaml", ("a0: &a0 [1, 2]\n" + "".join(f"a{i}: &a{i} [*a{i - 1}, *a{i - 1}]\n" for i in range(1, 40))
                                         + "model:\n  head: *a39\n").encode())
    found["deep_list_json"] = (".json", json.dumps({**MODEL, "x": _nested([0] * 10_000, 150)}).encode())
    config = json.dumps(MODEL).encode()
    for method, name in ((DEFLATED, "deflate"), (BZIP2, "bzip2"), (LZMA, "lzma"), (STORED, "stored")):
        buffer = io.BytesIO()
        write_zip_to(buffer, [("config.json", method, compress(method, config), len(config), _crc(config)),
                              ("assets/blob.bin", method, compress_zeros(method, 1 << 20, b"\x80\x04"), 100, 0)])
        found[f"member_{name}"] = (".keras", buffer.getvalue())
    return found


def _nested(value: object, depth: int) -> object:
    for _ in range(depth):
        value = {"a": value}
    return value


def _crc(data: bytes) -> int:
    import zlib

    return zlib.crc32(data)


def write_zip_to(buffer: io.BytesIO, members: list[tuple[str, int, bytes, int, int]]) -> None:
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as folder:
        buffer.write(write_zip(Path(folder) / "seed.keras", members).read_bytes())


def main() -> None:
    if len(sys.argv) != 2:
        sys.exit("usage: python fuzz/hostile_seeds.py CORPUS_DIR")
    os.makedirs(sys.argv[1], exist_ok=True)
    for name, (suffix, content) in seeds().items():
        with open(os.path.join(sys.argv[1], f"seed_{name}"), "wb") as handle:
            handle.write(bytes([SUFFIX_BYTE[suffix]]) + content)


if __name__ == "__main__":
    main()
