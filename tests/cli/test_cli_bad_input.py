"""Bad input at the command line, as a user meets it (issue 6, "Bad input").

Every case must: exit with code 2, print exactly one line on stderr that starts with
``sgd-anim: error:`` and names the problem, print no traceback, create no output file, and
leave an earlier output of the same name byte-for-byte intact.

The bulk runs ``render.main([...])`` in-process (it returns the exit code); a handful run as
real subprocesses to prove the exit code is real and no traceback reaches stderr. Every case
fails before rendering, so ``--record-only`` keeps the suite fast. Saved traces and config
files: tests/cli/test_cli_bad_trace_and_config.py.
"""
from __future__ import annotations

import pickle
import shutil
from pathlib import Path

import pytest

from tests.cli.refusals import OLD_MP4, OLD_TRACE, _snapshot, assert_one_error_line, check_refused
from tests.helpers import ROOT, run_main, run_render_py


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
    (["--size", "1280x"], ["size", "WIDTHxHEIGHT", "got '1280x'"]),  # as typed, not a pair
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
