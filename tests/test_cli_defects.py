"""Regression tests for the interface defects of issue 15: each one failed on the main of that day.

Text from inputs is printed literally; unknown codes are usage errors; exclude and
per-file-ignores mean the same from pre-commit and from any folder; colour follows
NO_COLOR / FORCE_COLOR / --color; --probe without Keras says so; `rules` / `rule` behave.
"""

from __future__ import annotations

import json
import os
import pty
import re
import subprocess
import sys
from pathlib import Path

from conftest import ROOT, run_cli

HIDDEN_SOFTMAX = """\
from keras import layers, models
model = models.Sequential([
    layers.Input(shape=(64, 64, 3)),
    layers.Flatten(),
    layers.Dense(64, activation="softmax", name="[bold]x[/]"),{comment}
    layers.Dense(5, activation="softmax"),
])
model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
"""


def _script(path: Path, filler: int = 0, comment: str = "") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(f"# line {n}\n" for n in range(1, filler + 1)) + HIDDEN_SOFTMAX.format(comment=comment))
    return path


# --- text from inputs is never markup ---------------------------------------------------------

def test_line_100_layer_names_and_bracketed_paths_print_literally(tmp_path):
    _script(tmp_path / "runs[1]" / "train.py", filler=95)  # the hidden Dense lands on line 100
    for color in ("never", "always"):
        result = run_cli("--color", color, "--show-layers", "runs[1]", cwd=tmp_path)
        plain = re.sub(r"\x1b\[[0-9;]*m", "", result.stdout)
        assert "runs[1]/train.py:100:5: MC101 error" in plain, plain
        assert "💯" not in result.stdout
        assert re.search(r"^1\s+\[bold\]x\[/\]\s+Dense\b", plain, re.M), plain  # the layer table row, name as written
        assert '     layers.Dense(64, activation="softmax", name="[bold]x[/]"),' in plain


# --- codes -------------------------------------------------------------------------------------

def test_unknown_codes_and_prefixes_are_usage_errors_with_a_suggestion(tmp_path):
    _script(tmp_path / "train.py")
    for flag, value, suggestion in (("--select", "MC999", "MC"), ("--ignore", "MC9", "MC"), ("--select", "hiden-softmax", "hidden-softmax")):
        result = run_cli(flag, value, ".", cwd=tmp_path)
        assert result.returncode == 2, (flag, value, result.stdout)
        assert f"no rule code or prefix '{value}'" in result.stderr and f"did you mean '{suggestion}" in result.stderr, result.stderr
        assert result.stdout == ""


def test_rule_names_are_accepted_and_repeated_flags_add_up(tmp_path):
    script = _script(tmp_path / "train.py")
    script.write_text(script.read_text().replace("optimizer=\"adam\"", "optimizer=Adam(lr=0.001)"))
    result = run_cli("--output-format", "concise", "--select", "hidden-softmax", ".", cwd=tmp_path)
    assert [line.split()[1] for line in result.stdout.splitlines() if ": MC" in line] == ["MC101"]
    both = run_cli("--output-format", "concise", "--select", "MC101", "--select", "removed-api", ".", cwd=tmp_path)
    assert [line.split()[1] for line in both.stdout.splitlines() if ": MC" in line] == ["MC101", "MC402"]
    none = run_cli("--output-format", "concise", "--ignore", "MC101", "--ignore", "MC4", ".", cwd=tmp_path)
    assert ": MC" not in none.stdout and none.returncode == 0


def test_unknown_code_in_an_inline_suppression_is_a_usage_error(tmp_path):
    for comment in ("  # modelcheck: ignore[MC1O1]", "  # noqa: MC1O1"):
        _script(tmp_path / "train.py", comment=comment)
        result = run_cli(".", cwd=tmp_path)
        assert result.returncode == 2, result.stdout
        assert "train.py:5:" in result.stderr and "no rule code or prefix 'MC1O1'" in result.stderr and "did you mean 'MC101'" in result.stderr


def test_unknown_code_in_pyproject_names_the_file(tmp_path):
    _script(tmp_path / "train.py")
    (tmp_path / "pyproject.toml").write_text('[tool.modelcheck]\nignore = ["hidden-sofmax"]\n')
    result = run_cli(".", cwd=tmp_path)
    assert result.returncode == 2 and "pyproject.toml" in result.stderr and "did you mean 'hidden-softmax'" in result.stderr


# --- exclude and per-file-ignores --------------------------------------------------------------

def _project(root: Path) -> Path:
    _script(root / "train.py")
    _script(root / "legacy" / "old_train.py")
    _script(root / "experiments" / "exp_train.py")
    (root / "pyproject.toml").write_text('[tool.modelcheck]\nexclude = ["legacy/*"]\n\n[tool.modelcheck.per-file-ignores]\n"experiments/*" = ["MC101"]\n')
    return root


def _located(stdout: str) -> list[str]:
    return [line.split(": ")[0] + " " + line.split()[1] for line in stdout.splitlines() if re.match(r"\S+:\d+:\d+: MC\d{3}", line)]


def test_force_exclude_applies_exclude_to_named_files(tmp_path):
    root = _project(tmp_path)
    named = ["--output-format", "concise", "train.py", "legacy/old_train.py"]
    assert _located(run_cli(*named, cwd=root).stdout) == ["legacy/old_train.py:5:5 MC101", "train.py:5:5 MC101"]
    assert _located(run_cli("--force-exclude", *named, cwd=root).stdout) == ["train.py:5:5 MC101"]
    hook = (ROOT / ".pre-commit-hooks.yaml").read_text()
    assert re.search(r"^\s*entry: modelcheck .*--force-exclude", hook, re.M)


def test_per_file_ignores_do_not_depend_on_the_working_directory(tmp_path):
    root = _project(tmp_path)
    from_root = run_cli("--output-format", "concise", ".", cwd=root)
    assert _located(from_root.stdout) == ["train.py:5:5 MC101"]
    for cwd, args in ((root / "experiments", ["."]), (root / "experiments", ["exp_train.py"]), (tmp_path.parent, [str(root / "experiments")])):
        result = run_cli("--output-format", "concise", *args, cwd=cwd)
        assert _located(result.stdout) == [], (cwd, args, result.stdout)
        assert result.returncode == 0


# --- colour ----------------------------------------------------------------------------------

def _in_terminal(args: list[str], env: dict[str, str], cwd: Path) -> str:
    """Run the CLI with stdout on a pseudo-terminal, as in an interactive shell."""
    leader, follower = pty.openpty()
    full_env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    full_env.update({"PYTHONPATH": str(ROOT), "TERM": "xterm", **env})
    process = subprocess.Popen([sys.executable, "-m", "modelcheck", *args], stdout=follower, stderr=subprocess.PIPE, cwd=cwd, env=full_env)
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    process.wait(timeout=120)
    os.close(leader)
    return b"".join(chunks).decode("utf-8", "replace")


def test_colour_follows_no_color_force_color_and_the_flag(tmp_path):
    _script(tmp_path / "train.py")
    assert "\x1b[" in _in_terminal(["."], {}, tmp_path)
    assert "\x1b[" not in _in_terminal(["."], {"NO_COLOR": "1"}, tmp_path)
    assert "\x1b[" not in _in_terminal(["--color", "never", "."], {}, tmp_path)
    assert "\x1b[" in _in_terminal(["--color", "always", "."], {"NO_COLOR": "1"}, tmp_path)
    piped = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    forced = subprocess.run([sys.executable, "-m", "modelcheck", "."], cwd=tmp_path, capture_output=True, text=True,
                            env={**piped, "PYTHONPATH": str(ROOT), "FORCE_COLOR": "1"}, timeout=120)
    assert "\x1b[1;31mMC101" in forced.stdout
    assert "\x1b[" not in run_cli(".", cwd=tmp_path).stdout  # a pipe, NO_COLOR set by run_cli


# --- the probe without Keras --------------------------------------------------------------------

def test_probe_without_keras_is_one_line_and_exit_2(tmp_path):
    script = _script(tmp_path / "train.py")
    # Keras made unimportable the way Python itself marks a missing module: sys.modules[name] = None.
    code = ("import sys; sys.modules['keras'] = None; from modelcheck.cli import main; "
            f"sys.exit(main(['--probe', {str(script)!r}]))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path,
                            env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=120)
    assert result.returncode == 2
    assert result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1 and 'pip install "modelcheck[tf]"' in result.stderr, result.stderr


def test_selecting_probe_rules_without_probe_says_so(tmp_path):
    _script(tmp_path / "train.py")
    result = run_cli("--select", "MC5", ".", cwd=tmp_path)
    assert "run only under --probe" in result.stderr and "MC5" in result.stderr
    assert "--probe" not in run_cli("--select", "MC1", ".", cwd=tmp_path).stderr


# --- rules / rule -----------------------------------------------------------------------------

def test_rules_listing_filters_and_formats(tmp_path):
    listing = json.loads(run_cli("rules", "--output-format", "json", cwd=tmp_path).stdout)
    assert {entry["code"] for entry in listing} >= {"MC101", "MC402", "MC601"}
    assert {entry["code"]: entry["fixable"] for entry in listing}["MC101"] is True
    assert {entry["code"]: entry["fixable"] for entry in listing}["MC103"] is False
    text = run_cli("rules", "MC2", cwd=tmp_path).stdout
    codes = re.findall(r"^(MC\d{3})\s", text, re.M)
    assert codes and all(code.startswith("MC2") for code in codes)
    assert re.search(r"^MC201\s+\S+\s+error\s+\[\*\]", text, re.M)  # fixable rules carry the mark


def test_rule_help_and_names(tmp_path):
    helped = run_cli("rule", "--help", cwd=tmp_path)
    assert helped.returncode == 0 and "usage: modelcheck rule" in helped.stdout and "no rule" not in helped.stderr
    by_name = run_cli("rule", "hidden-softmax", cwd=tmp_path)
    assert by_name.returncode == 0 and by_name.stdout.startswith("# MC101 hidden-softmax")
    assert "rules/MC101.md" in by_name.stdout  # the rule page


def test_a_folder_named_rules_is_checked_not_shadowed(tmp_path):
    _script(tmp_path / "rules" / "train.py")
    result = run_cli("--output-format", "concise", "rules", cwd=tmp_path)
    assert _located(result.stdout) == ["rules/train.py:5:5 MC101"]
    listing = run_cli("rule", "--all", cwd=tmp_path)
    assert re.search(r"^MC101\s+hidden-softmax", listing.stdout, re.M)
