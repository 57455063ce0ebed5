"""Write a corpus of corrupt and hostile inputs for modelcheck (used by test_hostile_corpus.py).

    build_corpus(root, keras3_dir, keras2_dir, canary) -> [Entry, ...]

About a hundred files: real fixture models truncated and bit-flipped, random
bytes under model suffixes, archives and HDF5 files with wrong-shaped configs,
zip bombs, pickles, Lambda bytecode hidden in wrappers and nested models,
HDF5 files that crash or hang the HDF5 library, hostile YAML/TOML/JSON,
scripts that would loop, exhaust memory or run shell commands, and paths that
are not regular files. Every payload that could run writes ``canary`` (the
Lambda fixtures) or ``<root>/PAYLOAD_RAN`` (pickles, YAML tags, scripts) if
anything ever executes it. Mutations are seeded: the same fixtures give the
same corpus.
"""

from __future__ import annotations

import copy
import io
import json
import os
import pickle
import random
import socket
import struct
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

UNREADABLE = "unreadable"  # must be reported by name with MC001 or MC002
CODE = "code"  # must be reported by name with MC601
ANY = "any"  # any outcome but a crash, a hang, an internal error or code running


@dataclass
class Entry:
    """One corpus file and what modelcheck must say about it."""

    path: str
    """As passed on the command line (relative to the corpus root, or absolute)."""
    expect: str
    why: str
    layer: str | None = None
    """For CODE: the layer path the MC601 finding must name."""
    says: tuple[str, ...] = ()
    """Substrings the finding's message must contain."""
    extra: dict[str, Any] = field(default_factory=dict)


class _Payload:
    """Pickles to ``os.system(command)``; pickling it calls nothing."""

    def __init__(self, command: str):
        self.command = command

    def __reduce__(self) -> tuple[Any, tuple[str]]:
        return (os.system, (self.command,))


def payload_canary(root: Path) -> Path:
    return root / "PAYLOAD_RAN"


def build_corpus(root: Path, keras3: Path | None, keras2: Path | None, canary: Path) -> list[Entry]:
    """Write the corpus under ``root`` and describe it."""
    root.mkdir(parents=True, exist_ok=True)
    builder = _Builder(root, payload_canary(root), canary)
    for folder, tag, suffixes in ((keras3, "k3", (".keras", ".h5")), (keras2, "k2", (".h5",))):
        for suffix in suffixes if folder is not None else ():
            builder.add(f"code/{tag}_lambda_canary{suffix}", (folder / f"lambda_canary{suffix}").read_bytes(), CODE,
                        "the fixture Lambda that writes the canary", layer="canary", says=("open", "LAMBDA_RAN"))
    if keras3 is not None:
        builder.mutated_models(keras3, "k3", (".keras", ".h5"))
        builder.keras_archives(keras3 / "lambda_canary.keras")
    if keras2 is not None:
        builder.mutated_models(keras2, "k2", (".h5",))
        builder.hdf5_files(keras2 / "lambda_canary.h5", keras2 / "hidden_softmax.h5")
    builder.random_files()
    builder.model_json()
    builder.configs()
    builder.scripts()
    builder.special_paths()
    builder.hardening_ii()
    return builder.entries


class _Builder:
    def __init__(self, root: Path, payload: Path, canary: Path):
        self.root = root
        self.payload = payload
        self.canary = canary
        self.entries: list[Entry] = []
        self.rng = random.Random(20261123)

    def add(self, name: str, data: bytes | str, expect: str, why: str, **details: Any) -> Path:
        path = self.root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
        self.entries.append(Entry(name, expect, why, **details))
        return path

    def shell(self) -> str:
        return f"touch {self.payload}"

    # --- real fixture models, damaged ----------------------------------------------------

    def mutated_models(self, folder: Path, tag: str, suffixes: tuple[str, ...]) -> None:
        for suffix in suffixes:
            for name in ("lambda_canary", "healthy_cnn"):
                source = folder / f"{name}{suffix}"
                if not source.exists():
                    continue
                data = source.read_bytes()
                for fraction in (0.1, 0.5, 0.97):
                    self.add(f"damaged/{tag}_{name}_cut{int(fraction * 100)}{suffix}", data[: int(len(data) * fraction)], ANY, "truncated")
                for index in range(4 if name == "lambda_canary" else 2):
                    self.add(f"damaged/{tag}_{name}_flip{index}{suffix}", self._flip(data, suffix), ANY, "bit flips")

    def _flip(self, data: bytes, suffix: str) -> bytes:
        mutated = bytearray(data)
        # Headers, the root group and its attributes (HDF5) or the central directory and
        # config.json (zip) are where a flip changes what a reader sees.
        if suffix == ".keras":
            tail = max(0, len(data) - 4096)
            positions = [self.rng.randrange(tail, len(data)) for _ in range(3)] + [self.rng.randrange(min(len(data), 4096)) for _ in range(3)]
        else:
            positions = [self.rng.randrange(min(len(data), 8192)) for _ in range(6)]
        for position in positions:
            mutated[position] ^= 1 << self.rng.randrange(8)
        return bytes(mutated)

    # --- .keras archives ------------------------------------------------------------------

    def keras_archives(self, lambda_file: Path) -> None:
        with zipfile.ZipFile(lambda_file) as archive:
            config = json.loads(archive.read("config.json"))
            metadata = archive.read("metadata.json")
        lambda_entry = next(layer for layer in config["config"]["layers"] if layer["class_name"] == "Lambda")

        def archive_with(name: str, members: dict[str, bytes], expect: str, why: str, **details: Any) -> Path:
            buffer = io.BytesIO()
            with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as out:
                for member, content in members.items():
                    out.writestr(member, content)
            return self.add(name, buffer.getvalue(), expect, why, **details)

        def model_with(layers: list[dict[str, Any]], **top: Any) -> bytes:
            model = copy.deepcopy(config)
            model["config"]["layers"] = layers
            model.update(top)
            return json.dumps(model).encode()

        inputs = copy.deepcopy(config["config"]["layers"][0])
        dense = copy.deepcopy(config["config"]["layers"][-1])
        # Lambda bytecode where a layers-only walk would miss it.
        time_distributed = {"module": "keras.layers", "class_name": "TimeDistributed", "config": {"name": "td", "layer": copy.deepcopy(lambda_entry)}, "registered_name": None}
        archive_with("code/time_distributed.keras", {"metadata.json": metadata, "config.json": model_with([inputs, time_distributed, dense])},
                     CODE, "Lambda inside TimeDistributed", layer="td/canary", says=("Lambda layer", "open"))
        backward = copy.deepcopy(lambda_entry)
        backward["config"]["name"] = "backward_canary"
        bidirectional = {"module": "keras.layers", "class_name": "Bidirectional",
                         "config": {"name": "bi", "layer": {"module": "keras.layers", "class_name": "LSTM", "config": {"name": "lstm", "units": 4}},
                                    "backward_layer": backward}}
        archive_with("code/bidirectional.keras", {"metadata.json": metadata, "config.json": model_with([inputs, bidirectional, dense])},
                     CODE, "Lambda as a Bidirectional backward layer", layer="bi/backward_canary", says=("Lambda layer",))
        inner = copy.deepcopy(config)
        inner["config"]["name"] = "inner_model"
        outer = {"module": "keras.layers", "class_name": "Sequential", "config": {"name": "outer_model", "layers": [inner]}}
        archive_with("code/nested_model.keras", {"metadata.json": metadata, "config.json": model_with([inputs, outer, dense])},
                     CODE, "Lambda two models deep", layer="outer_model/inner_model/canary", says=("open",))
        output_shape = copy.deepcopy(lambda_entry)
        output_shape["config"]["output_shape"] = copy.deepcopy(lambda_entry["config"]["function"])
        output_shape["config"]["function"] = {"module": "keras.activations", "class_name": "function", "config": "relu", "registered_name": None}
        archive_with("code/lambda_output_shape.keras", {"metadata.json": metadata, "config.json": model_with([inputs, output_shape, dense])},
                     CODE, "lambda as a Lambda's output_shape", layer="canary", says=("output_shape",))
        custom = {"module": "evil.layers", "class_name": "Backdoor", "config": {"name": "backdoor"}, "registered_name": "evil>Backdoor"}
        archive_with("code/custom_module_layer.keras", {"metadata.json": metadata, "config.json": model_with([inputs, custom, dense])},
                     CODE, "layer class from a non-Keras module", layer="backdoor", says=("evil.layers",))
        named_function = copy.deepcopy(lambda_entry)
        named_function["config"]["function"] = {"module": "__main__", "class_name": "function", "config": "preprocess", "registered_name": "preprocess"}
        archive_with("code/lambda_named_function.keras", {"metadata.json": metadata, "config.json": model_with([inputs, named_function, dense])},
                     CODE, "Lambda calling a function from __main__", layer="canary", says=("preprocess", "__main__"))
        compiled = json.loads(model_with([inputs, dense]))
        compiled["compile_config"] = {"loss": {"module": "evil_losses", "class_name": "function", "config": "focal", "registered_name": "focal"},
                                      "optimizer": {"module": "evil.optim", "class_name": "Sneaky", "config": {}}, "metrics": ["accuracy"]}
        archive_with("code/compile_custom_objects.keras", {"metadata.json": metadata, "config.json": json.dumps(compiled).encode()},
                     CODE, "custom loss and optimizer in the compile config", says=("evil_losses",))
        compiled_lambda = json.loads(model_with([inputs, dense]))
        compiled_lambda["compile_config"] = {"loss": copy.deepcopy(lambda_entry["config"]["function"]), "optimizer": "adam"}
        archive_with("code/compile_lambda_loss.keras", {"metadata.json": metadata, "config.json": json.dumps(compiled_lambda).encode()},
                     CODE, "a lambda as the loss", says=("lambda",))
        hostile_name = copy.deepcopy(dense)
        hostile_name["config"]["name"] = "x\x1b[2J\n::error file=a.py::injected\r"
        hostile_name["config"]["activation"] = "softmax\n"
        archive_with("shapes/control_characters_in_names.keras", {"metadata.json": metadata, "config.json": model_with([inputs, hostile_name, dense])},
                     ANY, "escape sequences and newlines in a layer name")
        top_module = json.loads(model_with([inputs, dense]))
        top_module["module"] = "evil.models"
        archive_with("code/model_class_module.keras", {"metadata.json": metadata, "config.json": json.dumps(top_module).encode()},
                     CODE, "model class from a non-Keras module", says=("evil.models",))
        # Pickles: by name, by content, under a traversal name; never unpickled.
        plain = model_with([inputs, dense])
        archive_with("code/pickle_member.keras", {"metadata.json": metadata, "config.json": plain, "assets/preprocess.pkl": pickle.dumps(_Payload(self.shell()), protocol=2)},
                     CODE, "a .pkl member", says=("preprocess.pkl", "system"))
        archive_with("code/pickle_sniffed.keras", {"metadata.json": metadata, "config.json": plain, "assets/weights.bin": pickle.dumps(_Payload(self.shell()), protocol=4)},
                     CODE, "a pickle without a pickle suffix", says=("weights.bin", "system"))
        damaged = pickle.dumps(_Payload(self.shell()), protocol=2)[:-2] + b"\xff\xfe"  # runs os.system, then fails
        archive_with("code/pickle_damaged.keras", {"metadata.json": metadata, "config.json": plain, "assets/state.bin": damaged},
                     CODE, "a pickle that breaks off after its REDUCE", says=("state.bin", "system"))
        archive_with("code/pickle_odd_name.keras", {"metadata.json": metadata, "config.json": plain, "../../evil\nname.pickle": pickle.dumps(_Payload(self.shell()), protocol=5)},
                     CODE, "a pickle member named with ../ and a newline", says=("evil\\nname",))
        # Wrong shapes inside a valid archive.
        for name, content in {
            "list": b"[]",
            "string": b'"model"',
            "null": b"null",
            "config_is_list": json.dumps({"class_name": "Sequential", "config": [1, 2]}).encode(),
            "layers_not_dicts": json.dumps({"class_name": "Sequential", "config": {"layers": [1, "dense", None, [], {"class_name": 5}]}}).encode(),
            "numbers_for_strings": json.dumps({"class_name": 7, "module": 8, "config": {"name": 9, "layers": [
                {"class_name": 1.5, "name": [], "config": {"name": {"x": 1}, "activation": 3, "units": "many", "trainable": "no",
                                                              "batch_shape": "big", "function": 12, "function_type": "lambda", "module": []},
                 "inbound_nodes": "dense"}]}}).encode(),
            "odd_inbound_nodes": json.dumps({"class_name": "Functional", "config": {"name": "f", "output_layers": [[1, 2], "x", {}], "layers": [
                {"class_name": "Dense", "name": "a", "config": {"name": "a"}, "inbound_nodes": [[["x"]], [[1, 2, 3, "k"]], {"args": 5}, {"args": [[{"class_name": "__keras_tensor__", "config": {"keras_history": [7], "shape": "s"}}]], "kwargs": []}, 5, None]},
                {"class_name": "Dense", "name": "b", "config": {"name": "b"}, "inbound_nodes": {"args": []}}]}}).encode(),
            "huge_numbers": b'{"class_name": "Sequential", "config": {"layers": [{"class_name": "Dense", "config": {"units": 1e999, "filters": -1e999}}]}, "compile_config": {"optimizer": {"class_name": "Adam", "config": {"learning_rate": ' + b"9" * 400 + b"}}}}",
            "giant_int": b'{"class_name": "Sequential", "config": {"layers": [{"class_name": "Dense", "config": {"units": ' + b"9" * 5000 + b"}}]}}",
            "not_utf8": b'{"class_name": "Sequential\xff\xfe", "config": {"layers": []}}',
            "deep": b"[" * 100_000 + b"]" * 100_000,
            "deep_in_strings": b'{"class_name": "Sequential", "config": {"name": "' + b"[\\\"" * 5000 + b'", "layers": []}}',
            "compile_wrong_types": json.dumps({"class_name": "Sequential", "config": {"layers": []}, "compile_config": {"loss": [[{"x": 1}]], "optimizer": [], "metrics": {"a": {"b": [{"class_name": 3}]}}}}).encode(),
        }.items():
            expect = UNREADABLE if name in ("list", "string", "null", "config_is_list", "not_utf8", "deep", "giant_int") else ANY
            archive_with(f"shapes/{name}.keras", {"metadata.json": metadata, "config.json": content}, expect, f"config.json: {name}")
        archive_with("zip/no_config.keras", {"metadata.json": metadata, "model.weights.h5": b"\x89HDF\r\n\x1a\n"}, UNREADABLE, "no config.json")
        archive_with("zip/config_is_directory.keras", {"metadata.json": metadata, "config.json/": b""}, UNREADABLE, "config.json is a directory entry", says=("directory",))
        archive_with("zip/bad_metadata.keras", {"metadata.json": b"[[[", "config.json": plain}, ANY, "metadata.json is not JSON")
        nested = io.BytesIO()
        with zipfile.ZipFile(nested, "w") as out:
            out.writestr("config.json", plain)
        archive_with("zip/nested_zip.keras", {"metadata.json": metadata, "config.json": nested.getvalue()}, UNREADABLE, "config.json is itself a zip")
        archive_with("zip/nested_archives.keras", {"inner.keras": nested.getvalue(), "deeper.zip": nested.getvalue()}, UNREADABLE, "only nested archives")
        many = io.BytesIO()
        with zipfile.ZipFile(many, "w") as out:
            out.writestr("config.json", plain)
            for index in range(100_000):  # about 6 MB of member list
                out.writestr(zipfile.ZipInfo(f"assets/{index:07d}"), b"")
        self.add("zip/many_members.keras", many.getvalue(), UNREADABLE, "100 000 members", says=("member list",))
        self._encrypted(plain)
        self._zip_bombs(plain)
        self._lying_sizes(plain)

    def _encrypted(self, plain: bytes) -> None:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as out:
            out.writestr("config.json", plain)
        data = bytearray(buffer.getvalue())
        # Set the "encrypted" flag in the local header and the central directory entry.
        for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
            at = data.find(signature)
            flags = struct.unpack_from("<H", data, at + offset)[0]
            struct.pack_into("<H", data, at + offset, flags | 0x1)
        self.add("zip/encrypted.keras", bytes(data), UNREADABLE, "encrypted config.json", says=("encrypted",))

    def _zip_bombs(self, plain: bytes) -> None:
        # 150 MB of spaces deflate to about 150 KB: written in chunks, never held in memory.
        path = self.root / "zip" / "bomb.keras"
        path.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
            out.writestr("metadata.json", b"{}")
            with out.open("config.json", "w", force_zip64=True) as member:
                member.write(b'{"class_name": "Sequential", "config": {"layers": []}, "pad": "')
                chunk = b" " * (1 << 20)
                for _ in range(150):
                    member.write(chunk)
                member.write(b'"}')
        self.entries.append(Entry("zip/bomb.keras", UNREADABLE, "config.json inflates to 150 MB", says=("bound",)))

    def _lying_sizes(self, plain: bytes) -> None:
        big = b'{"class_name": "Sequential", "config": {"layers": []}, "pad": "' + b" " * 2_000_000 + b'"}'
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as out:
            out.writestr("config.json", big)
        data = bytearray(buffer.getvalue())
        central = data.find(b"PK\x01\x02")
        local = data.find(b"PK\x03\x04")
        small = bytearray(data)
        struct.pack_into("<I", small, central + 24, 1000)  # uncompressed size: claims 1000 bytes
        struct.pack_into("<I", small, local + 22, 1000)
        self.add("zip/lying_small_size.keras", bytes(small), UNREADABLE, "declares 1000 bytes, inflates to 2 MB")
        huge = bytearray(data)
        struct.pack_into("<I", huge, central + 24, 0xFFFFFFF0)  # claims 4 GB
        self.add("zip/lying_huge_size.keras", bytes(huge), UNREADABLE, "declares 4 GB", says=("bound",))
        bad_name = bytearray(data)
        name_at = data.find(b"config.json", central)
        bad_name[name_at : name_at + 2] = b"\xff\xfe"
        struct.pack_into("<H", bad_name, central + 8, struct.unpack_from("<H", data, central + 8)[0] | 0x800)  # "UTF-8 names"
        self.add("zip/invalid_utf8_name.keras", bytes(bad_name), UNREADABLE, "member name flagged UTF-8 but is not")

    # --- HDF5 -----------------------------------------------------------------------------

    def hdf5_files(self, lambda_file: Path, plain_file: Path) -> None:
        import h5py
        import numpy as np

        with h5py.File(plain_file, "r") as source:
            model_config = source.attrs["model_config"]
            model_config = model_config.decode() if isinstance(model_config, bytes) else str(model_config)
        with h5py.File(lambda_file, "r") as source:
            lambda_config = json.loads(source.attrs["model_config"])
        lambda_entry = next(layer for layer in lambda_config["config"]["layers"] if layer["class_name"] == "Lambda")

        def h5(name: str, expect: str, why: str, fill: Any, **details: Any) -> None:
            path = self.root / name
            path.parent.mkdir(parents=True, exist_ok=True)
            with h5py.File(path, "w") as handle:
                fill(handle)
            self.entries.append(Entry(name, expect, why, **details))

        def attrs(**values: Any) -> Any:
            def fill(handle: Any) -> None:
                for key, value in values.items():
                    handle.attrs[key] = value
            return fill

        shell = pickle.dumps(_Payload(self.shell()), protocol=2)
        h5("hdf5/pickle_attribute.h5", CODE, "a pickled attribute (opaque bytes)",
           attrs(model_config=model_config, payload=np.void(shell)), says=("payload", "system"))
        h5("hdf5/pickle_dataset.h5", CODE, "a pickled uint8 dataset",
           lambda handle: (handle.attrs.__setitem__("model_config", model_config),
                           handle.create_dataset("extras/blob", data=np.frombuffer(pickle.dumps(_Payload(self.shell()), protocol=4), dtype=np.uint8))),
           says=("extras/blob", "system"))
        h5("hdf5/pickle_only.h5", CODE, "only a pickle, no model",
           lambda handle: handle.create_dataset("state", data=np.void(pickle.dumps(_Payload(self.shell()), protocol=5))), says=("state",))
        wrapped = copy.deepcopy(lambda_config)
        wrapped["config"]["layers"][1] = {"class_name": "TimeDistributed", "config": {"name": "td", "layer": copy.deepcopy(lambda_entry)}}
        h5("hdf5/keras2_lambda_in_time_distributed.h5", CODE, "Keras 2 Lambda inside TimeDistributed",
           attrs(model_config=json.dumps(wrapped)), layer="td/canary", says=("Lambda layer", "open"))
        system = copy.deepcopy(lambda_config)
        system["config"]["layers"][1]["config"].update({"function": "system", "function_type": "function", "module": "os"})
        h5("hdf5/keras2_lambda_os_system.h5", CODE, "Keras 2 Lambda naming os.system", attrs(model_config=json.dumps(system)),
           layer="canary", says=("system", "'os'"))
        builtins_exit = copy.deepcopy(lambda_config)
        builtins_exit["config"]["layers"][1]["config"].update({"function": "exit", "function_type": "function", "module": "builtins"})
        h5("hdf5/keras2_lambda_builtins_exit.h5", CODE, "Keras 2 Lambda naming builtins.exit", attrs(model_config=json.dumps(builtins_exit)),
           layer="canary", says=("exit",))
        h5("hdf5/config_as_bytes.h5", ANY, "model_config as fixed-length bytes", attrs(model_config=np.bytes_(model_config.encode())))
        h5("hdf5/config_as_array.h5", ANY, "model_config as a one-element string array",
           attrs(model_config=np.array([model_config.encode()], dtype=h5py.string_dtype("ascii"))))
        h5("hdf5/config_as_two_strings.h5", UNREADABLE, "model_config as a two-element array", attrs(model_config=np.array([b"{}", b"{}"])))
        h5("hdf5/config_not_utf8.h5", UNREADABLE, "model_config bytes are latin-1", attrs(model_config=np.void(b'{"class_name": "Seq\xe9"}')))
        h5("hdf5/config_latin1_bytes.h5", UNREADABLE, "model_config bytes are latin-1", attrs(model_config=np.bytes_(b'{"class_name": "Seq\xe9"}')))
        h5("hdf5/config_as_int.h5", UNREADABLE, "model_config is a number", attrs(model_config=42))
        h5("hdf5/config_as_float_array.h5", UNREADABLE, "model_config is a float array", attrs(model_config=np.arange(5.0)))
        h5("hdf5/config_not_json.h5", UNREADABLE, "model_config is not JSON", attrs(model_config="{{{{"))
        h5("hdf5/config_list.h5", UNREADABLE, "model_config is a JSON list", attrs(model_config="[1, 2]"))
        h5("hdf5/config_deep.h5", UNREADABLE, "model_config nested 50 000 deep", attrs(model_config="[" * 50_000 + "]" * 50_000))
        h5("hdf5/training_config_garbage.h5", ANY, "training_config is not JSON", attrs(model_config=model_config, training_config="\x01\x02{{{"))
        h5("hdf5/training_config_shapes.h5", ANY, "training_config with wrong types",
           attrs(model_config=model_config, training_config=json.dumps({"loss": {"a": 1, "b": 2}, "optimizer_config": {"class_name": 5, "config": {"learning_rate": "fast", "lr": [], "decay": {}}}, "metrics": [[[["acc"]]]]})))
        h5("hdf5/weights_only.h5", UNREADABLE, "save_weights output", attrs(layer_names=np.array([b"dense"])))
        h5("hdf5/empty_group.h5", UNREADABLE, "an HDF5 file with nothing in it", attrs())

        def links(handle: Any) -> None:
            handle.attrs["model_config"] = model_config
            handle["to_zero"] = h5py.ExternalLink("/dev/zero", "/")
            handle["loop"] = h5py.SoftLink("/loop")
            group = handle.create_group("g")
            group["self"] = group  # a hard-link cycle
            handle.create_dataset("external", shape=(16,), dtype="u1", external=[("/dev/zero", 0, 16)])

        h5("hdf5/links_and_external_storage.h5", ANY, "external link, soft-link loop, hard-link cycle, external raw storage", links)
        self._hdf5_crash_and_hang(model_config)

    def _hdf5_crash_and_hang(self, model_config: str) -> None:
        """Two byte edits that make the HDF5 C library segfault and loop forever (measured with HDF5 1.14)."""
        import h5py

        buffer = io.BytesIO()
        with h5py.File(buffer, "w") as handle:
            handle.attrs["model_config"] = '{"class_name": "Sequential", "config": {"name": "s", "layers": []}}'
        data = buffer.getvalue()
        # The attribute's datatype message: variable-length (class 9, version 1 -> 0x19); its
        # class bits say "string". Other bits there send the library through a bad pointer.
        crash = bytearray(data)
        at = crash.find(b"\x19", crash.find(b"model_config\x00"))
        crash[at + 1] = 0x03
        self.add("hdf5/library_crash.h5", bytes(crash), UNREADABLE, "segfaults the HDF5 library", says=("crashed",))
        # The global heap's free-space object: a size that no longer reaches the end of the
        # collection makes the library walk the heap forever.
        hang = bytearray(data)
        heap = hang.find(b"GCOL")
        position = heap + 16
        while position + 16 <= len(hang):
            index, _, _, size = struct.unpack_from("<HHIQ", hang, position)
            if index == 0:
                struct.pack_into("<Q", hang, position + 8, size - 0x40)
                break
            position += 16 + (size + 7) // 8 * 8
        self.add("hdf5/library_hang.h5", bytes(hang), UNREADABLE, "loops the HDF5 library forever", says=("gave up",))

    # --- random bytes and empty files ------------------------------------------------------

    def random_files(self) -> None:
        noise = bytes(self.rng.randrange(256) for _ in range(4096))
        for name, data in {
            "random/noise.keras": noise,
            "random/noise.h5": noise,
            "random/noise.hdf5": noise,
            "random/zip_signature.keras": b"PK\x03\x04" + noise,
            "random/hdf5_signature.h5": b"\x89HDF\r\n\x1a\n" + noise,
            "random/hdf5_superblock_only.h5": b"\x89HDF\r\n\x1a\n\x00\x00\x00\x00\x00\x08\x08\x00\x04\x00\x10\x00" + b"\xff" * 64,
            "random/json_brace.h5": b"{" + noise,
            "random/empty.keras": b"",
            "random/empty.h5": b"",
            "random/empty.json": b"",
            "random/empty.yaml": b"",
            "random/empty.toml": b"",
            "random/empty.py": b"",
            "random/noise.unknownsuffix": noise,
        }.items():
            self.add(name, data, UNREADABLE, "random bytes or nothing")

    # --- model JSON -------------------------------------------------------------------------

    def model_json(self) -> None:
        layer = {"class_name": "Dense", "config": {"name": "d", "units": 2, "activation": "softmax"}}
        for name, data, expect in (
            ("deep", b"[" * 200_000 + b"]" * 200_000, UNREADABLE),
            ("deep_objects", b'{"a":' * 50_000 + b"1" + b"}" * 50_000, UNREADABLE),
            ("escaped_brackets", json.dumps({"class_name": "Sequential", "config": {"name": "[[[[\\\"{{{{" * 500, "layers": [layer]}}).encode(), ANY),
            ("wrong_types", json.dumps({"class_name": "Sequential", "config": {"layers": [layer, 5, "x", {"class_name": [], "config": [], "inbound_nodes": 7}], "name": 3},
                                        "keras_version": 3}).encode(), ANY),
            ("nan_and_infinity", b'{"class_name": "Sequential", "config": {"layers": [{"class_name": "Dense", "config": {"units": NaN, "activation": Infinity}}]}}', ANY),
            ("giant_int", b'{"class_name": "Sequential", "config": {"layers": [], "n": ' + b"1" * 10_000 + b"}}", UNREADABLE),
            ("bom", b"\xef\xbb\xbf" + json.dumps({"class_name": "Sequential", "config": {"layers": [layer]}}).encode(), ANY),
            ("not_utf8", b'{"class_name": "Sequential", "config": {"layers": [], "x": "\xff"}}', UNREADABLE),
            ("truncated", json.dumps({"class_name": "Sequential", "config": {"layers": [layer]}}).encode()[:-7], UNREADABLE),
        ):
            self.add(f"json/model_{name}.json", data, expect, f"model JSON: {name}")

    # --- training configs -------------------------------------------------------------------

    def configs(self) -> None:
        laughs = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
            f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n"
            for i in range(9)
        ) + "model:\n  backbone: VGG16\n  head: *j\n"
        for name, text in {
            "train_python_tag.yaml": f'model: !!python/object/apply:os.system ["{self.shell()}"]\ncompile:\n  loss: categorical_crossentropy\n',
            "train_python_name.yaml": "model:\n  backbone: !!python/name:os.system\n",
            "train_billion_laughs.yaml": laughs,
            "train_deep.yaml": "model: " + "[" * 20_000 + "]" * 20_000 + "\n",
            "train_deep_block.yaml": "model:\n" + "".join("  " * (i + 1) + f"k{i}:\n" for i in range(3000)),
            "train_not_utf8.yaml": "model:\n  backbone: VGG16\n  note: caf\xe9\n",
            "train_wrong_types.yaml": "model: 5\ncompile: [1, 2]\ndata: {train: 7}\nfit: {epochs: [1]}\ncallbacks: {x: 1}\nexpect: 3\n",
            "train_tabs.yaml": "model:\n\tbackbone: VGG16\n",
            "train_control_key.yaml": 'model:\n  backbone: VGG16\n  "\\x08\\x1b[2J": 1\n',
            "train_deep.toml": "[model]\nhead = " + "[" * 5000 + "]" * 5000 + "\n",
            "train_bad.toml": "[model\nbackbone = ",
            "train_wrong_types.toml": "model = 5\ncompile = [1, 2]\n[fit]\nepochs = 1979-05-27T07:32:00Z\n",
            "train_wrong_types.json": json.dumps({"model": {"backbone": 5, "head": {"Dense": []}}, "compile": {"loss": [1], "optimizer": {"lr": "x"}}, "fit": "all"}),
            "train_deep.json": '{"model": ' + "[" * 100_000 + "]" * 100_000 + "}",
            "train_hugeint.json": '{"fit": {"epochs": ' + "9" * 5000 + "}}",
        }.items():
            data = text.encode("latin-1") if name == "train_not_utf8.yaml" else text.encode()
            self.add(f"configs/{name}", data, ANY, f"hostile config {name}")

    # --- scripts ----------------------------------------------------------------------------

    def scripts(self) -> None:
        keras = "import keras\nmodel = keras.Sequential([keras.layers.Dense(2, activation='softmax')])\n"
        for name, data, expect in (
            ("infinite_loop.py", keras + "while True:\n    pass\n", ANY),
            ("huge_range.py", keras + "total = 0\nfor i in range(10**12):\n    total += i\n", ANY),
            ("recursion.py", keras + "def f(n):\n    return f(n + 1)\nf(0)\n", ANY),
            ("huge_values.py", keras + "x = 'a' * 10**12\ny = 10**10**10\nz = [0] * 10**12\nw = 2 ** 10**9\n", ANY),
            ("os_system.py", f"import os\nos.system({self.shell()!r})\nimport keras\nmodel = keras.Sequential()\nmodel.compile(loss='categorical_crossentropy')\n", ANY),
            ("eval_exec.py", f"import keras\nexec({('import os; os.system(' + repr(self.shell()) + ')')!r})\neval('__import__(\"os\").system(\"{self.shell()}\")')\n", ANY),
            ("nested_parens.py", "x = " + "(" * 50_000 + "1" + ")" * 50_000 + "\n", UNREADABLE),
            ("long_chain.py", "x = 1" + "+1" * 300_000 + "\n", UNREADABLE),
            ("big_list_line.py", "x = [" + ",".join(["0"] * 2_000_000) + "]\n" + keras, UNREADABLE),
            ("fstring_bomb.py", "x = f'{[" + ",".join(["0"] * 600_000) + "]}'\n", UNREADABLE),
            ("null_bytes.py", keras + "x = 1\x00\n", UNREADABLE),
            ("syntax_error.py", keras + "def (:\n", UNREADABLE),
            ("deep_functions.py", "".join("    " * i + f"def f{i}():\n" for i in range(100)) + "    " * 100 + "pass\n", UNREADABLE),
        ):
            self.add(f"scripts/{name}", data, expect, f"hostile script {name}")
        self.add("scripts/latin1.py", b"import keras\nname = 'caf\xe9'\n", UNREADABLE, "latin-1 bytes without a coding line")
        self.add("scripts/bad_coding.py", b"# -*- coding: rot13-nonexistent -*-\nimport keras\n", UNREADABLE, "unknown coding cookie")
        self.add("scripts/oversized.py", b"# " + b"x" * (10 * 1024 * 1024) + b"\nimport keras\n", UNREADABLE, "over the 10 MB bound")
        # A sibling module that is a FIFO: importing it must not block.
        os.mkfifo(self.root / "scripts" / "fifo_module.py")
        self.add("scripts/imports_fifo.py", "from fifo_module import build\nimport keras\nmodel = build()\n", ANY, "imports a FIFO sibling")

    # --- paths that are not regular files ----------------------------------------------------

    def special_paths(self) -> None:
        folder = self.root / "paths"
        folder.mkdir(parents=True, exist_ok=True)
        directory = folder / "directory.keras"
        directory.mkdir()
        (directory / "inside.keras").write_bytes(b"not a zip")
        self.entries.append(Entry("paths/directory.keras/inside.keras", UNREADABLE, "a file inside a directory named like a model"))
        (folder / "directory.h5").mkdir()
        os.symlink("loop_b.keras", folder / "loop_a.keras")
        os.symlink("loop_a.keras", folder / "loop_b.keras")
        self.entries.append(Entry("paths/loop_a.keras", UNREADABLE, "a symlink loop", says=("symbolic links",)))
        os.symlink("missing_target.h5", folder / "dangling.h5")
        self.entries.append(Entry("paths/dangling.h5", UNREADABLE, "a dangling symlink"))
        os.mkfifo(folder / "pipe.keras")
        self.entries.append(Entry("paths/pipe.keras", UNREADABLE, "a FIFO", says=("FIFO",)))
        os.mkfifo(folder / "pipe.yaml")
        self.entries.append(Entry("paths/pipe.yaml", UNREADABLE, "a FIFO", says=("FIFO",)))
        os.mkfifo(folder / "pipe.py")
        self.entries.append(Entry("paths/pipe.py", UNREADABLE, "a FIFO", says=("FIFO",)))
        os.symlink("/dev/zero", folder / "zero.h5")
        self.entries.append(Entry("paths/zero.h5", UNREADABLE, "a symlink to /dev/zero", says=("character device",)))
        os.symlink("/dev/zero", folder / "zero.py")
        self.entries.append(Entry("paths/zero.py", UNREADABLE, "a symlink to /dev/zero", says=("character device",)))
        self.entries.append(Entry("/dev/zero", UNREADABLE, "a device named on the command line", says=("character device",)))
        self.entries.append(Entry("paths/missing.keras", UNREADABLE, "does not exist", says=("no such file",)))
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.bind(str(folder / "socket.json"))
            self.entries.append(Entry("paths/socket.json", UNREADABLE, "a Unix socket", says=("socket",)))
        except OSError:  # socket paths are limited to ~100 characters
            pass
        finally:
            sock.close()


    # --- issue 16: shared values, huge literals, bombs, configs Keras refuses ------------------

    def hardening_ii(self) -> None:
        from zip_members import BZIP2, DEFLATED, compress, compress_zeros, write_zip

        keras = "import keras\nmodel = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2, activation='softmax')])\n"
        for name, data in (
            ("shared_tuple_key.py", keras + "t = (0,)\nfor i in range(90):\n    t = (t, t)\nd = {t: 1}\n"),
            ("shared_list_count.py", keras + "t = [0]\nfor i in range(90):\n    t = [t, t]\nn = [t].count(t)\n"),
            ("huge_hex_dense.py", "import keras\nm = keras.Sequential([keras.Input((4,)), keras.layers.Dense(0x" + "f" * 4000 + ")])\n"),
            ("long_escaped_literal.py", keras + "BLOB = '" + "ab\\\\" * 700_000 + "'\n"),
        ):
            self.add(f"issue16/{name}", data, ANY, f"hostile script {name}")
        self.add("issue16/huge_int.yaml", "model:\n  backbone: ResNet50\n  input_shape: [0x" + "f" * 4000 + ", 3, 3]\n",
                 UNREADABLE, "a 16000-bit integer in a config", says=("16000 bits",))
        model = {"class_name": "Sequential", "config": {"name": "s", "layers": [
            {"class_name": "InputLayer", "config": {"name": "in", "batch_shape": [None, 4]}},
            {"class_name": "Dense", "config": {"name": "d", "units": 3, "activation": "softmax"}}]}}
        self.add("issue16/model_utf16.json", json.dumps(model).encode("utf-16"), UNREADABLE, "UTF-16 model JSON", says=("UTF-16",))
        folder = self.root / "issue16"
        bomb = compress_zeros(BZIP2, 24 << 20, b'{"pad": "')
        write_zip(folder / "bzip2_bomb.keras", [("config.json", BZIP2, bomb, 100, 0)])
        self.entries.append(Entry("issue16/bzip2_bomb.keras", UNREADABLE, "bzip2 member declared as 100 bytes", says=("inflates beyond",)))
        nested: Any = [0] * 8_000_000
        for _ in range(190):
            nested = {"a": nested}
        text = json.dumps({**model, "x": nested}, separators=(",", ":")).encode()
        write_zip(folder / "deep_list.keras", [("config.json", DEFLATED, compress(DEFLATED, text), len(text), zlib.crc32(text))])
        self.entries.append(Entry("issue16/deep_list.keras", ANY, "8 million zeros inside 190 nested objects"))
        for name, edit, says in (
            ("units_five.keras", lambda layers: layers[1]["config"].update(units="five"), "units 'five'"),
            ("no_class_name.keras", lambda layers: layers[1].pop("class_name"), "no class_name"),
            ("dangling_inbound.keras", lambda layers: layers[1].update(inbound_nodes=[[["ghost", 0, 0, {}]]]), "'ghost'"),
        ):
            broken = copy.deepcopy(model)
            edit(broken["config"]["layers"])
            data = json.dumps(broken).encode()
            write_zip(folder / name, [("config.json", DEFLATED, compress(DEFLATED, data), len(data), zlib.crc32(data))])
            self.entries.append(Entry(f"issue16/{name}", UNREADABLE, "a config Keras refuses", says=(says,)))
        os.symlink("/", folder / "root_link")
        self.entries.append(Entry("issue16/root_link", UNREADABLE, "a symlink to / named on the command line", says=("not followed",)))


def command_line_paths(entries: list[Entry]) -> list[str]:
    """Every corpus path as the command line names it: directories for files inside them."""
    names: list[str] = []
    for entry in entries:
        name = entry.path
        if "/directory.keras/" in name:
            name = name.split("/directory.keras/")[0] + "/directory.keras"
        if name not in names:
            names.append(name)
    names.append("paths/directory.h5")
    return names
