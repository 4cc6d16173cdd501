"""Bad saved traces and config files at the command line (issue 6, "Bad input"): each refused
as tests/cli/refusals.py says (exit 2, one line, nothing written); odd but valid ones render.
The data, settings and output cases: tests/cli/test_cli_bad_input.py."""
from __future__ import annotations

import json
import pickle

import pytest

from tests.cli.refusals import check_refused
from tests.helpers import ROOT, run_main, run_render_py


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


