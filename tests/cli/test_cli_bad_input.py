"""Bad input at the command line, as a user meets it (issue 6, "Bad input").

Every case must: exit with code 2, print exactly one line on stderr that starts with
``sgd-anim: error:`` and names the problem, print no traceback, create no output file, and
leave an earlier output of the same name byte-for-byte intact.

The bulk runs ``render.main([...])`` in-process (it returns the exit code); a handful run as
real subprocesses to prove the exit code is real and no traceback reaches stderr. Every case
fails before rendering, so ``--record-only`` keeps the suite fast.
"""
from __future__ import annotations

import json
import pickle
import shutil
from pathlib import Path

import pytest

from tests.helpers import ROOT, run_main, run_render_py

OLD_MP4 = b"\x00\x00\x00\x18ftypmp42 an earlier, good video"
OLD_TRACE = b'{"an": "earlier, good trace"}\n'


# ------------------------------------------------------------------ helpers
# (the trace cache is the test process's own: see tests/conftest.py)
def _snapshot(folder: Path) -> dict[str, bytes] | None:
    if not folder.exists():
        return None
    return {str(p.relative_to(folder)): (p.read_bytes() if p.is_file() else b"<dir>")
            for p in sorted(folder.rglob("*"))}


@pytest.fixture
def old_out(tmp_path) -> Path:
    """An output folder holding an earlier good sgd.mp4 and trace.json."""
    out = tmp_path / "out"
    out.mkdir()
    (out / "sgd.mp4").write_bytes(OLD_MP4)
    (out / "trace.json").write_bytes(OLD_TRACE)
    return out


def assert_one_error_line(code: int, err: str, *names: str) -> str:
    assert code == 2, f"exit code {code}, stderr: {err!r}"
    assert "Traceback" not in err, err
    lines = err.splitlines()
    assert len(lines) == 1, f"expected one line on stderr, got {len(lines)}: {err!r}"
    line = lines[0]
    assert line.startswith("sgd-anim: error:"), line
    assert len(line) > len("sgd-anim: error: ") + 10, line
    for name in names:
        assert name.lower() in line.lower(), f"{name!r} not named in {line!r}"
    return line


def check_refused(capsys, out: Path, argv: list[str], *names: str) -> str:
    """Run with --out ``out`` (pre-filled or absent): refused cleanly, ``out`` untouched."""
    before = _snapshot(out)
    code, stdout, err = run_main(capsys, "--record-only", "--out", out, *argv)
    line = assert_one_error_line(code, err, *names)
    assert stdout == "", f"nothing may be reported as written: {stdout!r}"
    assert _snapshot(out) == before, "the output folder changed after a refused run"
    return line


# ------------------------------------------------------------------ a real trace to damage
# good_trace_text (tests/conftest.py): a small real trace, recorded once through the CLI.


# ================================================================== 1. malformed data files
CSV_CASES = {
    # id: (file bytes, words the message must contain)
    "letter-in-y": (b"x,y\n1,a\n2,3\n", ["not two numbers"]),
    "letter-in-x": (b"x,y\n0.5,1\nabc,1\n2,3\n", ["not two numbers"]),
    "comma-decimal": (b"x;y\n0,5;1,2\n1,5;2,5\n", ["columns"]),
    "nan": (b"x,y\n1,nan\n2,3\n", ["finite"]),
    "NaN-x": (b"x,y\nNaN,1\n2,3\n3,4\n", ["finite"]),
    "inf": (b"x,y\n1,inf\n2,3\n", ["finite"]),
    "-infinity": (b"x,y\n-Infinity,1\n2,3\n", ["finite"]),
    "overflow-to-inf": (b"x,y\n1e999,1\n2,3\n", ["finite"]),
    "beyond-float32": (b"x,y\n1,2\n2,3e39\n3,4\n", ["finite"]),
    "empty": (b"", ["empty"]),
    "blank-lines": (b"\n  \n\n", ["empty"]),
    "header-only": (b"x,y\n", ["0 data point", "at least 2"]),
    "one-point": (b"x,y\n1,2\n", ["1 data point", "at least 2"]),
    "same-x": (b"1,2\n1,3\n1,4\n", ["x values are equal"]),
    "ragged-short": (b"1,2\n3\n4,5\n", ["expected 2 columns", "found 1"]),
    "ragged-long": (b"1,2\n3,4,5\n4,5\n", ["expected 2 columns", "found 3"]),
    "three-columns": (b"x,y,z\n1,2,3\n4,5,6\n", ["expected 2 columns"]),
    "binary-nul": (b"\x00\x01\x02\x03garbage", ["binary"]),
    "png-bytes": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", ["binary"]),
    "latin-1": (b"x,y\n1,2\n\xe9\xe8,3\n", ["UTF-8"]),
    "huge-field": (b"x,y\n1," + b"9" * 200_000 + b"\n2,3\n", ["data file"]),
    "pickle": (pickle.dumps({"x": [1, 2], "y": [3, 4]}), ["data file"]),
}


@pytest.mark.parametrize("case", sorted(CSV_CASES))
def test_malformed_csv(case, tmp_path, old_out, capsys):
    content, names = CSV_CASES[case]
    path = tmp_path / "points.csv"
    path.write_bytes(content)
    check_refused(capsys, old_out, ["--data", str(path)], "points.csv", *names)


def test_csv_error_names_the_line_of_the_file(tmp_path, old_out, capsys):
    """Blank lines are skipped, but the message points at the line the user sees."""
    path = tmp_path / "points.csv"
    path.write_text("x,y\n\n1,2\n\n2,3\n\n3,oops\n", encoding="utf-8")
    line = check_refused(capsys, old_out, ["--data", str(path)], "points.csv")
    assert "7" in line, line


def test_csv_is_a_directory(tmp_path, old_out, capsys):
    folder = tmp_path / "points.csv"
    folder.mkdir()
    check_refused(capsys, old_out, ["--data", str(folder)], "points.csv", "directory")


def test_csv_is_missing(tmp_path, old_out, capsys):
    check_refused(capsys, old_out, ["--data", str(tmp_path / "nope.csv")], "nope.csv", "does not exist")


def test_csv_with_too_few_points_for_the_batch(tmp_path, old_out, capsys):
    path = tmp_path / "three.csv"
    path.write_text("x,y\n1,2\n2,3\n3,5\n", encoding="utf-8")
    check_refused(capsys, old_out, ["--data", str(path), "--batch-size", "5"], "batch size 5", "3 points")


@pytest.mark.parametrize("spec,names", [
    ("synthetic:n=1", ["n must be between"]),
    ("synthetic:n=abc", ["n must be"]),
    ("synthetic:n=1e3", ["n must be"]),
    ("synthetic:wobble=3", ["bad setting", "accepted"]),
    ("synthetic:noise=-1", ["noise must be >= 0"]),
    ("synthetic:noise=nan", ["finite"]),
    ("synthetic:x_min=1,x_max=0", ["x_max must be greater"]),
    ("synthetic:outliers=500,n=10", ["outliers"]),
    ("synthetic:seed=-1", ["seed"]),
    ("synthetic:x_min=-1e308,x_max=1e308", ["synthetic data"]),
    ("synthetic:slope=1e308,x_max=10", ["synthetic data"]),
])
def test_bad_synthetic_data(spec, names, old_out, capsys):
    check_refused(capsys, old_out, ["--data", spec], *names)


# ================================================================== 2. training settings out of range
TRAIN_CASES = [
    (["--lr", "0"], ["learning rate", "> 0"]),
    (["--lr", "-0.1"], ["learning rate", "> 0"]),
    (["--lr", "fast"], ["--lr", "invalid float"]),
    (["--lr", ""], ["--lr"]),
    (["--lr", "nan"], ["lr", "finite"]),
    (["--lr", "inf"], ["lr", "finite"]),
    (["--lr=-inf"], ["lr", "finite"]),
    (["--lr", "-inf"], ["--lr", "expected one argument"]),  # argparse reads -inf as an option
    (["--lr", "1e400"], ["lr", "finite"]),
    (["--lr", "1e300"], ["lr"]),
    (["--batch-size", "0"], ["batch size", ">= 1"]),
    (["--batch-size", "-3"], ["batch size", ">= 1"]),
    (["--batch-size", "7"], ["batch size 7", "6 points"]),
    (["--batch-size", "99999999999999999999"], ["batch size", "larger than the data"]),
    (["--batch-size", "2.5"], ["--batch-size", "invalid int"]),
    (["--epochs", "0"], ["epochs", ">= 1"]),
    (["--epochs", "-5"], ["epochs", ">= 1"]),
    (["--epochs", "100000000"], ["steps", "at most"]),
    (["--epochs", str(10 ** 30)], ["steps", "at most"]),
    (["--epochs", "1.5"], ["--epochs", "invalid int"]),
    (["--optimizer", "lbfgs"], ["unknown optimizer", "accepted", "sgd"]),
    (["--optimizer", ""], ["optimizer", "accepted"]),
    (["--momentum", "1"], ["momentum", "[0, 1)"]),
    (["--momentum", "1.5"], ["momentum", "[0, 1)"]),
    (["--momentum", "-0.1"], ["momentum", "[0, 1)"]),
    (["--momentum", "nan"], ["momentum", "finite"]),
    (["--optimizer", "adam", "--momentum", "0.5"], ["momentum", "adam"]),
    (["--nesterov"], ["nesterov", "momentum"]),
    (["--nesterov", "--optimizer", "adam"], ["nesterov"]),
    (["--nesterov", "--optimizer", "momentum", "--momentum", "0"], ["nesterov"]),
    (["--beta1", "1"], ["beta1", "[0, 1)"]),
    (["--beta2", "-0.5"], ["beta2", "[0, 1)"]),
    (["--alpha", "2"], ["alpha", "[0, 1)"]),
    (["--eps", "0"], ["eps", "> 0"]),
    (["--eps", "1e300", "--optimizer", "adam"], ["eps"]),
    (["--weight-decay", "-1"], ["weight decay", ">= 0"]),
    (["--weight-decay", "1e300"], ["weight_decay"]),
    (["--init-a", "nan"], ["init_a", "finite"]),
    (["--init-b", "inf"], ["init_b", "finite"]),
    (["--init-a", "1e300"], ["init_a"]),
    (["--seed", "-1"], ["seed"]),
    (["--seed", "99999999999999999999"], ["seed"]),
]


@pytest.mark.parametrize("argv,names", TRAIN_CASES, ids=[" ".join(a) or "empty" for a, _ in TRAIN_CASES])
def test_training_setting_out_of_range(argv, names, old_out, capsys):
    check_refused(capsys, old_out, argv, *names)


# ================================================================== 3. output problems
def test_out_is_an_existing_file(tmp_path, capsys):
    target = tmp_path / "sgd.mp4"
    target.write_bytes(OLD_MP4)
    code, _, err = run_main(capsys, "--record-only", "--out", str(target))
    assert_one_error_line(code, err, "sgd.mp4", "existing file")
    assert target.read_bytes() == OLD_MP4


def test_out_cannot_be_created_under_a_file(tmp_path, capsys):
    blocker = tmp_path / "notes.txt"
    blocker.write_text("a regular file", encoding="utf-8")
    code, _, err = run_main(capsys, "--record-only", "--out", str(blocker / "videos" / "run1"))
    assert_one_error_line(code, err, "output folder", "cannot")
    assert blocker.read_text(encoding="utf-8") == "a regular file"


def test_out_is_not_writable(tmp_path, capsys):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    try:
        probe = locked / ".probe"
        try:
            probe.write_text("x")
        except PermissionError:
            pass
        else:
            probe.unlink()
            pytest.skip("running as root: chmod 0o555 does not stop writes "
                        "(test_out_cannot_be_created_under_a_file covers an uncreatable folder)")
        for out in (locked, locked / "sub"):
            code, _, err = run_main(capsys, "--record-only", "--out", str(out))
            assert_one_error_line(code, err, "output folder")
        assert list(locked.iterdir()) == []
    finally:
        locked.chmod(0o755)


@pytest.mark.parametrize("blocked,argv", [
    ("trace.json", ["--record-only"]),
    ("sgd.png", ["--format", "png"]),
    ("clip.gif", ["--format", "png,gif", "--name", "clip"]),
    ("config.toml", ["--format", "png"]),
])
def test_a_folder_where_an_output_file_goes(blocked, argv, tmp_path, capsys):
    """Refused before any work, naming the file the user knows (not a temporary name)."""
    out = tmp_path / "out"
    (out / blocked).mkdir(parents=True)
    before = _snapshot(out)
    code, _, err = run_main(capsys, "--out", str(out), "--epochs", "1", *argv)
    line = assert_one_error_line(code, err, str(out / blocked), "existing folder")
    assert ".part" not in line
    assert _snapshot(out) == before


def test_a_file_where_the_frames_folder_goes(tmp_path, capsys):
    out = tmp_path / "out"
    out.mkdir()
    (out / "sgd_frames").write_bytes(b"not a folder")
    code, _, err = run_main(capsys, "--out", str(out), "--format", "frames")
    assert_one_error_line(code, err, "sgd_frames", "existing file")


def test_failed_run_does_not_create_the_output_folder(tmp_path, capsys):
    """A refused run leaves nothing behind, not even an empty folder."""
    out = tmp_path / "fresh" / "out"
    bad = tmp_path / "bad.csv"
    bad.write_text("x,y\n1,a\n", encoding="utf-8")
    for argv in (["--lr", "0"], ["--data", str(bad)], ["--trace", str(tmp_path / "missing.json")],
                 ["--format", "avi"]):
        code, _, err = run_main(capsys, "--record-only", "--out", str(out), *argv)
        assert_one_error_line(code, err)
        assert not (tmp_path / "fresh").exists(), f"{argv}: the output folder was created"


RENDER_CASES = [
    (["--format", "avi"], ["unknown format 'avi'", "accepted", "mp4"]),
    (["--format", "mp4,mov"], ["unknown format 'mov'", "accepted"]),
    (["--format", ""], ["format"]),
    (["--format", ",,"], ["format"]),
    (["--preset", "youtube"], ["unknown preset 'youtube'", "accepted", "slides"]),
    (["--preset", ""], ["preset"]),
    (["--theme", "neon"], ["unknown theme 'neon'", "accepted", "dark"]),
    (["--theme", "/no/such/theme.toml"], ["theme", "accepted"]),
    (["--views", "fit,histogram"], ["unknown view 'histogram'", "accepted", "loss"]),
    (["--views", ""], ["views"]),
    (["--backend", "plotly"], ["unknown backend 'plotly'", "accepted", "manim"]),
    (["--scene", "intro"], ["unknown scene 'intro'", "accepted", "walkthrough"]),
    (["--quality", "ultra"], ["unknown quality 'ultra'", "accepted", "low"]),
    (["--size", "1281x720"], ["size", "even"]),
    (["--size", "1280x721"], ["size", "even"]),
    (["--size", "big"], ["size", "WIDTHxHEIGHT"]),
    (["--size", "1280x"], ["size", "WIDTHxHEIGHT"]),
    (["--size", "640x480x2"], ["size", "WIDTHxHEIGHT"]),
    (["--size", "-640x480"], ["size"]),
    (["--size", "0x0"], ["size", "between"]),
    (["--size", "10x10"], ["size", "between"]),
    (["--size", "100000x100000"], ["size", "between"]),
    (["--size", ""], ["size"]),
    (["--fps", "0"], ["fps", "between"]),
    (["--fps", "1000"], ["fps", "between"]),
    (["--fps", "29.97"], ["--fps", "invalid int"]),
    (["--duration", "0"], ["duration", "between"]),
    (["--duration", "nan"], ["duration"]),
    (["--duration", "inf"], ["duration"]),
    (["--detail-steps", "-1"], ["detail steps", ">= 0"]),
    (["--name", "../escape"], ["output name", "plain file name"]),
    (["--name", ".hidden"], ["output name"]),
    (["--name", ""], ["output name"]),
    (["--frobnicate"], ["unrecognized arguments", "--help"]),
    (["--lr"], ["--lr", "expected one argument"]),
]


@pytest.mark.parametrize("argv,names", RENDER_CASES, ids=[" ".join(a) or "empty" for a, _ in RENDER_CASES])
def test_unknown_output_or_style_setting(argv, names, old_out, capsys):
    check_refused(capsys, old_out, argv, *names)


def _theme_text(**replace: str) -> str:
    """The shipped dark theme with some lines replaced: key -> the new TOML line."""
    lines = (ROOT / "assets" / "themes" / "dark.toml").read_text(encoding="utf-8").splitlines()
    return "\n".join(replace.get(line.split("=")[0].strip(), line) for line in lines) + "\n"


THEME_CASES = {
    "not-toml": ("[colors\nbackground = ", ["TOML"]),
    "missing-keys": ('[colors]\nbackground = "#000000"\n', ["lacks"]),
    "size-text": (_theme_text(title='title = "big"'), ["sizes.title"]),
    "colors-not-a-table": ("colors = 5\n" + _theme_text().split("[sizes]")[1], ["malformed"]),
    "colour-name-unknown": (_theme_text(background='background = "notacolor"'), ["colors.background", "#RRGGBB"]),
    "colour-number": (_theme_text(line="line = 255"), ["colors.line"]),
    "colormap-unknown": (_theme_text(contour_map='contour_map = "rainbowz"'), ["contour_map", "colormap"]),
    "size-negative": (_theme_text(title="title = -5"), ["sizes.title", "> 0"]),
    "size-nan": (_theme_text(label="label = nan"), ["sizes.label"]),
    "size-huge": (_theme_text(tick="tick = 1e9"), ["sizes.tick"]),
    "pickle": (None, ["theme"]),
}


@pytest.mark.parametrize("case", sorted(THEME_CASES))
def test_bad_theme_file(case, tmp_path, old_out, capsys):
    text, names = THEME_CASES[case]
    path = tmp_path / "mine.toml"
    if text is None:
        path.write_bytes(pickle.dumps({"colors": {}}))
    else:
        path.write_text(text, encoding="utf-8")
    check_refused(capsys, old_out, ["--theme", str(path)], "mine.toml", *names)


def test_good_theme_file_with_every_hex_form(tmp_path, capsys):
    path = tmp_path / "mine.toml"
    path.write_text(_theme_text(background='background = "#abc"', line='line = "#AABBCCDD"'), encoding="utf-8")
    code, _, err = run_main(capsys, "--record-only", "--quiet", "--epochs", "1", "--theme", str(path),
                                       "--out", str(tmp_path / "out"))
    assert code == 0, err


# ================================================================== 4. saved traces
def _edit(change):
    """A builder: the good trace, parsed, changed by ``change(doc)``, dumped again."""
    def build(good: str) -> bytes:
        doc = json.loads(good)
        change(doc)
        return json.dumps(doc).encode()
    return build


def _shorten(col):
    return _edit(lambda d: d["steps"][col].pop())


def _set(section, key, value):
    return _edit(lambda d: d[section].__setitem__(key, value))


def _set_item(section, key, i, value):
    return _edit(lambda d: d[section][key].__setitem__(i, value))


TRACE_CASES = {
    # id: (builder from the good trace's text to bytes, words the message must contain)
    "not-json": (lambda g: b"this is not a trace\n", ["not valid JSON"]),
    "empty-file": (lambda g: b"", ["not valid JSON"]),
    "truncated": (lambda g: g[: len(g) // 2].encode(), ["not valid JSON", "truncated"]),
    "truncated-last-byte": (lambda g: g.rstrip()[:-1].encode(), ["not valid JSON"]),
    "corrupt-byte": (lambda g: g.replace('"steps": {', '"steps": #', 1).encode(), ["not valid JSON"]),
    "binary": (lambda g: bytes(range(256)), ["not JSON"]),
    "pickle": (lambda g: pickle.dumps(json.loads(g)), ["not JSON"]),
    "pickle-protocol-0": (lambda g: pickle.dumps(json.loads(g), protocol=0), ["JSON"]),
    "python-expression": (lambda g: b"__import__('os').system('echo pwned')\n", ["not valid JSON"]),
    "python-dict-literal": (lambda g: repr(json.loads(g)).encode(), ["not valid JSON"]),
    "top-level-list": (lambda g: b"[1, 2, 3]", ["JSON object"]),
    "schema-3": (_edit(lambda d: d.update(schema_version=3)), ["schema_version 3", "versions 1 and 2"]),
    "schema-0": (_edit(lambda d: d.update(schema_version=0)), ["schema_version"]),
    "schema-string": (_edit(lambda d: d.update(schema_version="1")), ["schema_version"]),
    "schema-missing": (_edit(lambda d: d.pop("schema_version")), ["schema_version"]),
    "no-steps": (_edit(lambda d: d.pop("steps")), ["steps"]),
    "no-data": (_edit(lambda d: d.pop("data")), ["data"]),
    "steps-is-list": (_edit(lambda d: d.update(steps=[])), ["steps"]),
    "loss-shorter": (_shorten("loss"), ["different lengths", "loss"]),
    "epoch-shorter": (_shorten("epoch"), ["different lengths", "epoch"]),
    "indices-shorter": (_shorten("indices"), ["different lengths", "indices"]),
    "x-y-lengths": (_edit(lambda d: d["data"]["y"].pop()), ["data.x and data.y"]),
    "a-strings": (_edit(lambda d: d["steps"].update(a=[str(v) for v in d["steps"]["a"]])), ["steps.a"]),
    "a-is-string": (_set("steps", "a", "1,2,3"), ["steps.a"]),
    "a-has-null": (_set_item("steps", "a", 0, None), ["steps.a"]),
    "a-has-bool": (_set_item("steps", "a", 0, True), ["steps.a"]),
    "a-nested": (_set_item("steps", "a", 0, [1.0]), ["steps.a"]),
    "epoch-floats": (_edit(lambda d: d["steps"].update(epoch=[0.5] * len(d["steps"]["epoch"]))), ["steps.epoch"]),
    "epoch-huge": (_set_item("steps", "epoch", 0, 10 ** 30), ["steps.epoch"]),
    "x-is-dict": (_set("data", "x", {"0": 1}), ["data.x"]),
    "x-huge-int": (_set_item("data", "x", 0, 10 ** 400), ["data.x"]),
    "final-string": (_set("final", "a", "0.5"), ["final"]),
    "status-unknown": (_set("status", "state", "exploded"), ["status", "completed, diverged or stopped"]),
    "diverged-wrong-step": (_edit(lambda d: d.update(status={"state": "diverged", "step": 999})), ["diverged"]),
    "index-outside": (_edit(lambda d: d["steps"]["indices"][0].__setitem__(0, 99)), ["outside the data"]),
    "index-negative": (_edit(lambda d: d["steps"]["indices"][0].__setitem__(0, -1)), ["outside the data"]),
    "pred-ragged": (_edit(lambda d: d["steps"]["pred"][0].pop()), ["step 0", "equal length"]),
    "residual-strings": (_edit(lambda d: d["steps"].update(residual=[["r"]] * len(d["steps"]["residual"]))),
                         ["steps.residual"]),
    "nan-literal": (lambda g: g.replace('"a": [1.0', '"a": [NaN', 1).encode(), ["non-finite", "NaN"]),
    "infinity-literal": (lambda g: g.replace('"b": [1.0', '"b": [-Infinity', 1).encode(), ["non-finite"]),
    "x-beyond-float32": (_set("data", "x", [1e300, -1e300, 0.5, 1.0, 1.5, 2.0]), ["data.x", "finite"]),
    "loss-beyond-float32": (_set_item("steps", "loss", 0, 1e300), ["steps.loss", "finite"]),
    "final-beyond-float32": (_set("final", "a", 1e300), ["final"]),
    "config-lr-text": (_set("config", "lr", "fast"), ["config.lr", "number"]),
    "config-epochs-list": (_set("config", "epochs", [3]), ["config.epochs", "whole number"]),
    "config-optimizer-number": (_set("config", "optimizer", 3), ["config.optimizer", "text"]),
    "config-nesterov-text": (_set("config", "nesterov", "yes"), ["config.nesterov"]),
    "no-steps-recorded": (_edit(lambda d: d["steps"].update({k: [] for k in d["steps"]})), ["at least one step"]),
    # json.loads takes it, but writing it back (the copy in --out) would hit the recursion limit
    "deep-config": (lambda g: g.replace('"config": {', '"config": {"n": ' + "[" * 900 + "]" * 900 + ",", 1).encode(),
                    ["config", "nested"]),
    "too-deep-for-json": (lambda g: ("[" * 100_000).encode(), ["nested too deeply"]),
}


@pytest.mark.parametrize("case", sorted(TRACE_CASES))
def test_bad_saved_trace(case, good_trace_text, tmp_path, old_out, capsys):
    build, names = TRACE_CASES[case]
    content = build(good_trace_text)
    path = tmp_path / "saved.json"
    path.write_bytes(content)
    check_refused(capsys, old_out, ["--trace", str(path)], "saved.json", *names)


def test_good_trace_is_accepted(good_trace_text, tmp_path, capsys):
    """The damaged traces above are damaged: the undamaged one loads."""
    path = tmp_path / "saved.json"
    path.write_text(good_trace_text, encoding="utf-8")
    out = tmp_path / "copy"
    code, stdout, err = run_main(capsys, "--record-only", "--quiet", "--trace", str(path), "--out", str(out))
    assert code == 0, err
    assert (out / "trace.json").read_text(encoding="utf-8") == good_trace_text


ODD_BUT_VALID = {
    "no-config": lambda d: d.update(config={}, versions={}),
    "diverged-at-step-0": lambda d: (d["steps"].update({k: [] for k in d["steps"]}), d.pop("graphs", None),
                                     d.update(status={"state": "diverged", "step": 0, "reason": "hand-made"})),
    "huge-but-float32-data": lambda d: d["data"].update(x=[3e38, -3e38] + d["data"]["x"][2:]),
}


@pytest.mark.parametrize("case", sorted(ODD_BUT_VALID))
def test_odd_but_valid_trace_renders(case, good_trace_text, tmp_path, capsys):
    """What the loader accepts, the renderer draws: no 'render failed' for a loaded trace."""
    if not (ROOT / "scenes" / "mpl" / "render.py").exists():
        pytest.skip("the matplotlib renderer is not there yet")
    doc = json.loads(good_trace_text)
    ODD_BUT_VALID[case](doc)
    path = tmp_path / "odd.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    out = tmp_path / "out"
    code, _, err = run_main(capsys, "--quiet", "--trace", str(path), "--out", str(out),
                                       "--format", "png", "--size", "320x180")
    assert code == 0, err
    assert (out / "sgd.png").stat().st_size > 1000


def test_trace_is_a_directory_or_missing(tmp_path, old_out, capsys):
    folder = tmp_path / "trace.json"
    folder.mkdir()
    check_refused(capsys, old_out, ["--trace", str(folder)], "trace.json", "directory")
    check_refused(capsys, old_out, ["--trace", str(tmp_path / "gone.json")], "gone.json", "does not exist")


# ================================================================== 5. config files
CONFIG_CASES = {
    "bad-toml": ("[training\nlr = 0.1\n", ["not valid TOML"]),
    "unclosed-string": ('[training]\noptimizer = "sgd\n', ["not valid TOML"]),
    "duplicate-key": ("[training]\nlr = 0.1\nlr = 0.2\n", ["not valid TOML"]),
    "unknown-section": ("[model]\nlayers = 3\n", ["unknown section", "'model'", "[training]"]),
    "top-level-key": ("lr = 0.1\n", ["unknown section or key", "'lr'"]),
    "unknown-key": ("[training]\nlearning_rate = 0.1\n", ["unknown setting", "learning_rate", "accepted", "lr"]),
    "unknown-render-key": ("[render]\ncolour = 'red'\n", ["unknown setting", "colour"]),
    "unknown-data-key": ('[data]\nsource = "article"\nn = 5\n', ["[data]", "synthetic"]),
    "unknown-synthetic-key": ('[data]\nsource = "synthetic"\nwobble = 5\n', ["wobble", "accepted"]),
    "section-is-value": ("training = 3\n", ["[training]"]),
    "lr-text": ('[training]\nlr = "fast"\n', ["lr", "number", "fast"]),
    "lr-bool": ("[training]\nlr = true\n", ["lr", "number"]),
    "lr-nan": ("[training]\nlr = nan\n", ["lr", "finite"]),
    "lr-inf": ("[training]\nlr = inf\n", ["lr", "finite"]),
    "epochs-float": ("[training]\nepochs = 1.5\n", ["epochs", "whole number"]),
    "epochs-zero": ("[training]\nepochs = 0\n", ["epochs", ">= 1"]),
    "batch-list": ("[training]\nbatch_size = [2]\n", ["batch size", "whole number"]),
    "shuffle-text": ('[training]\nshuffle = "yes"\n', ["shuffle", "true or false"]),
    "optimizer-number": ("[training]\noptimizer = 3\n", ["optimizer", "text"]),
    "seed-negative": ("[training]\nseed = -1\n", ["seed"]),
    "seed-huge": ("[training]\nseed = 99999999999999999999\n", ["seed"]),
    "size-number": ("[render]\nsize = 5\n", ["size", "WIDTHxHEIGHT"]),
    "size-list3": ("[render]\nsize = [1, 2, 3]\n", ["size"]),
    "size-list-text": ('[render]\nsize = ["a", "b"]\n', ["size"]),
    "formats-number": ("[render]\nformats = 5\n", ["formats"]),
    "formats-unknown": ('[render]\nformats = ["mp4", "avi"]\n', ["unknown format 'avi'"]),
    "views-numbers": ("[render]\nviews = [1]\n", ["views"]),
    "theme-number": ("[render]\ntheme = 5\n", ["theme", "text"]),
    "fps-float": ("[render]\nfps = 29.97\n", ["fps", "whole number"]),
    "fps-inf": ("[render]\nfps = inf\n", ["fps"]),
    "duration-bool": ("[render]\nduration = true\n", ["duration", "number"]),
    "duration-nan": ("[render]\nduration = nan\n", ["duration"]),
    "max-gif-nan": ("[render]\nmax_gif_mb = nan\n", ["max gif mb"]),
    "max-gif-inf": ("[render]\nmax_gif_mb = inf\n", ["max gif mb"]),
    "max-gif-zero": ("[render]\nmax_gif_mb = 0\n", ["max gif mb"]),
    "out-number": ("[render]\nout = 5\n", ["out", "text"]),
    "preset-unknown": ('[render]\npreset = "youtube"\n', ["unknown preset", "accepted"]),
    "preset-number": ("[render]\npreset = 5\n", ["preset"]),
    "preset-list": ('[render]\npreset = ["slides"]\n', ["preset"]),
    "preset-table": ('[render]\npreset = {name = "slides"}\n', ["preset"]),
    "stem-empty": ('[render]\nstem = ""\n', ["output name"]),
    "source-number": ("[data]\nsource = 5\n", ["source", "text"]),
    "source-missing-csv": ('[data]\nsource = "nowhere.csv"\n', ["nowhere.csv", "does not exist"]),
    "synthetic-n-text": ('[data]\nsource = "synthetic"\nn = "ten"\n', ["n", "whole number"]),
    "synthetic-seed-negative": ('[data]\nsource = "synthetic"\nseed = -1\n', ["seed"]),
    "synthetic-overflow": ('[data]\nsource = "synthetic"\nx_min = -1e308\nx_max = 1e308\n', ["synthetic data"]),
    "python-expression": ('[training]\nlr = __import__("os").system("echo pwned")\n', ["not valid TOML"]),
    "python-source": ("import os\nos.system('echo pwned')\n", ["not valid TOML"]),
    "json-instead": ('{"training": {"lr": 0.1}}', ["not valid TOML"]),
}


@pytest.mark.parametrize("case", sorted(CONFIG_CASES))
def test_bad_config_file(case, tmp_path, old_out, capsys):
    text, names = CONFIG_CASES[case]
    path = tmp_path / "run.toml"
    path.write_text(text, encoding="utf-8")
    check_refused(capsys, old_out, ["--config", str(path)], *names)


@pytest.mark.parametrize("kind", ["pickle", "binary", "latin-1", "directory", "missing"])
def test_config_file_that_is_not_toml_text(kind, tmp_path, old_out, capsys):
    path = tmp_path / "run.toml"
    if kind == "pickle":
        path.write_bytes(pickle.dumps({"training": {"lr": 0.1}}))
    elif kind == "binary":
        path.write_bytes(bytes(range(256)))
    elif kind == "latin-1":
        path.write_bytes(b'[render]\ntheme = "caf\xe9"\n')
    elif kind == "directory":
        path.mkdir()
    check_refused(capsys, old_out, ["--config", str(path)], "run.toml")


def test_config_with_a_byte_order_mark_is_read(tmp_path, capsys):
    """Windows Notepad saves UTF-8 with a BOM; that is still a good config."""
    path = tmp_path / "run.toml"
    path.write_bytes("\ufeff[training]\nepochs = 1\nlr = 0.05\n".encode("utf-8"))
    code, _, err = run_main(capsys, "--record-only", "--quiet", "--config", str(path),
                                       "--out", str(tmp_path / "out"))
    assert code == 0, err
    assert json.loads((tmp_path / "out" / "trace.json").read_text())["config"]["lr"] == 0.05


def test_config_error_beats_flags(tmp_path, old_out, capsys):
    """Flags override a config, but a broken config is still refused."""
    path = tmp_path / "run.toml"
    path.write_text("[training]\nlr = 0\n", encoding="utf-8")
    check_refused(capsys, old_out, ["--config", str(path), "--epochs", "1"], "learning rate")


# ------------------------------------------------------------------ paths relative to the config file
@pytest.mark.slow  # an interpreter that trains: torch's import takes seconds
@pytest.mark.subprocess
def test_config_data_path_is_relative_to_the_config_file(tmp_path):
    project = tmp_path / "project"
    (project / "data").mkdir(parents=True)
    (project / "data" / "pts.csv").write_text("x,y\n0,1\n1,3\n2,5\n3,7\n", encoding="utf-8")
    theme = (ROOT / "assets" / "themes" / "dark.toml").read_text(encoding="utf-8")
    (project / "my_theme.toml").write_text(theme, encoding="utf-8")
    (project / "run.toml").write_text(
        '[data]\nsource = "data/pts.csv"\n\n[training]\nepochs = 1\nbatch_size = 2\n\n'
        '[render]\nout = "results"\ntheme = "my_theme.toml"\n', encoding="utf-8")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    proc = run_render_py("--record-only", "--quiet", "--config", project / "run.toml", cwd=elsewhere,
                         env={"SGD_ANIM_CACHE": str(tmp_path / "cache")}, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    trace = json.loads((project / "results" / "trace.json").read_text(encoding="utf-8"))
    assert trace["data"]["x"] == [0, 1, 2, 3] or trace["data"]["x"] == [0.0, 1.0, 2.0, 3.0]
    assert trace["data"]["y"] == [1.0, 3.0, 5.0, 7.0]
    assert list(elsewhere.iterdir()) == [], "nothing may be written to the current folder"


@pytest.mark.slow  # an interpreter that trains
@pytest.mark.subprocess
def test_shipped_csv_config_works_from_another_cwd(tmp_path):
    proc = run_render_py("--record-only", "--quiet", "--epochs", "1", "--config",
                         ROOT / "assets" / "configs" / "noisy_csv.toml", "--out", tmp_path / "o",
                         cwd=tmp_path, env={"SGD_ANIM_CACHE": str(tmp_path / "cache")}, timeout=120)
    assert proc.returncode == 0, proc.stderr
    trace = json.loads((tmp_path / "o" / "trace.json").read_text(encoding="utf-8"))
    assert len(trace["data"]["x"]) > 10


def test_missing_relative_data_names_the_resolved_path(tmp_path, old_out, capsys):
    (tmp_path / "cfg").mkdir()
    path = tmp_path / "cfg" / "run.toml"
    path.write_text('[data]\nsource = "pts.csv"\n', encoding="utf-8")
    line = check_refused(capsys, old_out, ["--config", str(path)], "does not exist")
    assert str(tmp_path / "cfg" / "pts.csv") in line


# ================================================================== 6. --help and real subprocesses
@pytest.mark.subprocess
@pytest.mark.parametrize("flag", ["--help", "-h"])
def test_help_exits_zero_and_groups_options(flag):
    """(Also what tests/cli/test_cli.py's test_help_is_grouped_with_defaults_and_examples checked,
    merged here: the defaults are shown.)"""
    proc = run_render_py(flag, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    text = proc.stdout
    for group in ("input:", "data:", "training:", "output:", "style:", "behaviour:", "examples:"):
        assert group in text, f"no {group!r} group in --help"
    order = [text.index(g) for g in ("input:", "training:", "output:", "style:")]
    assert order == sorted(order)
    for flag_name in ("--lr", "--batch-size", "--out", "--format", "--preset", "--theme", "--trace", "--config"):
        assert flag_name in text
    assert "(default: 0.1)" in text


@pytest.mark.subprocess
def test_help_with_other_flags_still_helps():
    proc = run_render_py("--lr", "0", "--help", timeout=120)
    assert proc.returncode == 0 and "training:" in proc.stdout


def _subprocess_cases(tmp_path: Path, good_trace_text: str) -> list[tuple[list[str], list[str]]]:
    bad_csv = tmp_path / "bad.csv"
    bad_csv.write_text("x,y\n1,nan\n2,3\n", encoding="utf-8")
    bad_cfg = tmp_path / "bad.toml"
    bad_cfg.write_text("[training]\nmomentum = 1.0\n", encoding="utf-8")
    truncated = tmp_path / "truncated.json"
    truncated.write_text(good_trace_text[:300], encoding="utf-8")
    pkl = tmp_path / "trace.pkl"
    pkl.write_bytes(pickle.dumps({"schema_version": 1}))
    existing = tmp_path / "existing_file"
    existing.write_bytes(b"keep me")
    return [
        (["--data", str(bad_csv)], ["bad.csv", "finite"]),
        (["--lr", "-1"], ["learning rate"]),
        (["--batch-size", "0"], ["batch size"]),
        (["--config", str(bad_cfg)], ["momentum"]),
        (["--trace", str(truncated)], ["truncated.json", "not valid JSON"]),
        (["--trace", str(pkl)], ["trace.pkl"]),
        (["--format", "avi"], ["unknown format"]),
        (["--seed", "-1"], ["seed"]),
        (["--wat"], ["unrecognized"]),
        (["--out", str(existing)], ["existing file"]),
    ]


@pytest.mark.slow  # ten interpreters
@pytest.mark.subprocess
def test_real_subprocess_exit_codes_and_one_line(tmp_path, good_trace_text):
    out = tmp_path / "out"
    out.mkdir()
    (out / "sgd.mp4").write_bytes(OLD_MP4)
    (out / "trace.json").write_bytes(OLD_TRACE)
    env = {"SGD_ANIM_CACHE": str(tmp_path / "cache")}
    for argv, names in _subprocess_cases(tmp_path, good_trace_text):
        full = ["--record-only", "--out", str(out), *argv] if "--out" not in argv else ["--record-only", *argv]
        before = _snapshot(out)
        proc = run_render_py(*full, env=env, timeout=120)
        assert_one_error_line(proc.returncode, proc.stderr, *names)
        assert proc.stdout == ""
        assert _snapshot(out) == before, argv
    assert (tmp_path / "existing_file").read_bytes() == b"keep me"
    assert not (tmp_path / "cache").exists() or not any((tmp_path / "cache").iterdir())


@pytest.mark.subprocess
def test_debug_shows_the_traceback(tmp_path):
    proc = run_render_py("--record-only", "--out", tmp_path / "o", "--lr", "0", "--debug",
                         env={"SGD_ANIM_CACHE": str(tmp_path / "cache")}, timeout=120)
    assert proc.returncode != 0
    assert "Traceback" in proc.stderr and "InputError" in proc.stderr
    assert "learning rate" in proc.stderr


def test_message_is_one_line_even_for_a_path_with_a_newline(tmp_path, old_out, capsys):
    folder = tmp_path / "odd\nname"
    folder.mkdir()
    path = folder / "pts.csv"
    path.write_text("x,y\n1,a\n", encoding="utf-8")
    check_refused(capsys, old_out, ["--data", str(path)], "not two numbers")


def test_message_stays_short_for_a_huge_bad_cell(tmp_path, old_out, capsys):
    path = tmp_path / "pts.csv"
    path.write_text("x,y\n1,2\n2," + "z" * 100_000 + "\n", encoding="utf-8")
    line = check_refused(capsys, old_out, ["--data", str(path)], "pts.csv")
    assert len(line) < 400, f"a {len(line)}-character error line"


def test_no_partial_files_anywhere(tmp_path, capsys):
    """After a batch of refused runs, no temporary or partial files are left in --out."""
    out = tmp_path / "out"
    out.mkdir()
    (out / "trace.json").write_bytes(OLD_TRACE)
    for argv, _ in TRAIN_CASES[:8] + RENDER_CASES[:8]:
        run_main(capsys, "--record-only", "--out", str(out), *argv)
    assert sorted(p.name for p in out.iterdir()) == ["trace.json"]
    assert (out / "trace.json").read_bytes() == OLD_TRACE
    shutil.rmtree(out)
