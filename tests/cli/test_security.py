"""Loading a trace, a config, a theme or a data file never executes code (issue 6, "Security").

A pickle whose unpickling would create a file, and files full of Python expressions, are
refused like any other bad file or kept as plain text; nothing runs, nothing is created.
The modules that read user files use json/tomllib/csv only: no pickle, eval, exec, torch.load.
"""
from __future__ import annotations

import ast
import json
import pickle
from pathlib import Path

import pytest

from tests.helpers import ROOT, run_main, run_render_py, trace_doc
from training.errors import InputError
from training.trace import SCHEMA_VERSION, Trace


class _CreatesFile:
    """Unpickling this calls open(path, "w"): a visible side effect, without a shell."""

    def __init__(self, path: Path) -> None:
        self.path = str(path)

    def __reduce__(self):
        return (open, (self.path, "w"))


def evil_pickle(sentinel: Path, protocol: int) -> bytes:
    return pickle.dumps({"schema_version": SCHEMA_VERSION, "payload": _CreatesFile(sentinel)}, protocol=protocol)


def expression(sentinel: Path) -> str:
    return f"__import__('os').system('touch {sentinel}')"


def small_trace_doc() -> dict:
    """A valid two-step trace, built by hand (no torch): two batches of two points."""
    return trace_doc(n_points=4, n_steps=2, batch=2)


def run_cli(capsys, argv: list[str]) -> tuple[int, str]:
    code, _, err = run_main(capsys, *argv)
    return code, err


def assert_refused(code: int, err: str) -> None:
    assert code == 2, err
    assert len(err.splitlines()) == 1 and err.startswith("sgd-anim: error:") and "Traceback" not in err, err


# ------------------------------------------------------------------ pickles
@pytest.mark.parametrize("protocol", [0, 2, pickle.HIGHEST_PROTOCOL])
@pytest.mark.parametrize("flag,filename", [("--trace", "trace.json"), ("--config", "run.toml"),
                                           ("--data", "points.csv"), ("--theme", "evil.toml")])
def test_a_pickle_is_refused_and_never_unpickled(flag, filename, protocol, tmp_path, capsys):
    sentinel = tmp_path / "PWNED"
    path = tmp_path / filename
    path.write_bytes(evil_pickle(sentinel, protocol))
    code, err = run_cli(capsys, ["--record-only", "--out", str(tmp_path / "out"), flag, str(path)])
    assert_refused(code, err)
    assert not sentinel.exists(), "the pickle was executed"
    assert not (tmp_path / "out").exists()


def test_the_pickle_payload_is_live(tmp_path):
    """Control: the payload above really does create its file when unpickled."""
    sentinel = tmp_path / "PWNED"
    pickle.loads(evil_pickle(sentinel, 2))
    assert sentinel.exists()


def test_a_pickle_in_the_trace_cache_is_dropped_not_loaded(tmp_path, fresh_cache):
    from training import cache
    sentinel = tmp_path / "PWNED"
    fresh_cache.mkdir()
    key = "0" * 32
    cache.cache_path(key).write_bytes(evil_pickle(sentinel, 0))
    assert cache.load_cached(key) is None
    assert not sentinel.exists()
    assert not cache.cache_path(key).exists(), "a damaged cache entry is dropped"


# ------------------------------------------------------------------ Python expressions
def test_trace_that_is_a_python_expression_is_refused(tmp_path, capsys):
    sentinel = tmp_path / "PWNED"
    doc = small_trace_doc()
    cases = {
        "expr.json": expression(sentinel),
        "repr.json": repr(doc),  # a Python dict literal, not JSON
        "call.json": f"dict(schema_version=1, x={expression(sentinel)})",
        "lambda.json": f"(lambda: {expression(sentinel)})()",
    }
    for name, text in cases.items():
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        with pytest.raises(InputError):
            Trace.from_file(path)
        code, err = run_cli(capsys, ["--record-only", "--out", str(tmp_path / "out"), "--trace", str(path)])
        assert_refused(code, err)
        assert "not valid JSON" in err
    assert not sentinel.exists()


def test_expression_strings_inside_a_trace_stay_plain_text(tmp_path, capsys):
    sentinel = tmp_path / "PWNED"
    evil = expression(sentinel)
    doc = small_trace_doc()
    doc["config"]["data"] = {"kind": "csv", "path": evil}
    doc["config"][evil] = evil
    doc["versions"]["torch"] = evil
    path = tmp_path / "trace.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    out = tmp_path / "out"
    code, err = run_cli(capsys, ["--record-only", "--quiet", "--out", str(out), "--trace", str(path)])
    assert code == 0, err
    assert not sentinel.exists()
    copy = json.loads((out / "trace.json").read_text(encoding="utf-8"))
    assert copy["config"]["data"]["path"] == evil and copy["config"][evil] == evil
    assert copy["versions"]["torch"] == evil


def test_an_expression_as_the_optimizer_is_refused_not_run(tmp_path, capsys):
    """The typed settings know the optimizers: anything else is refused at load, as text."""
    sentinel = tmp_path / "PWNED"
    doc = small_trace_doc()
    doc["config"]["optimizer"] = expression(sentinel)
    path = tmp_path / "trace.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    code, err = run_cli(capsys, ["--record-only", "--quiet", "--out", str(tmp_path / "out"), "--trace", str(path)])
    assert code == 2 and "unknown optimizer" in err and err.count("\n") == 1
    assert not sentinel.exists() and not (tmp_path / "out").exists()


def test_expression_in_a_diverged_reason_stays_plain_text(tmp_path):
    sentinel = tmp_path / "PWNED"
    doc = small_trace_doc()
    doc["status"] = {"state": "diverged", "step": 2, "reason": expression(sentinel)}
    trace = Trace.from_json(json.dumps(doc))
    assert trace.status.reason == expression(sentinel)
    assert not sentinel.exists()


CONFIG_EXPRESSIONS = [
    # (TOML text with {e} for a quoted expression string; refused (2) or plain data (0))
    ('[training]\nlr = {e}\n', 2),
    ('[training]\noptimizer = {e}\n', 2),
    ('[data]\nsource = {e}\n', 2),            # a CSV path that does not exist
    ('[render]\ntheme = {e}\n', 2),
    ('[render]\npreset = {e}\n', 2),
    ('[render]\nformats = [{e}]\n', 2),
    ('[render]\nsize = {e}\n', 2),
    ('[render]\nstem = {e}\n', 2),            # holds a "/" (the sentinel path): not a plain file name
    ('[render]\nscene = {e}\n', 2),
    ('[data]\nsource = "synthetic"\nn = {e}\n', 2),
    ('[training]\nlr = {raw}\n', 2),          # an unquoted expression is not TOML at all
    ('{raw}\n', 2),
]


@pytest.mark.parametrize("template,expected", CONFIG_EXPRESSIONS)
def test_expressions_in_a_config_never_run(template, expected, tmp_path, capsys):
    sentinel = tmp_path / "PWNED"
    evil = expression(sentinel)
    path = tmp_path / "run.toml"
    path.write_text(template.format(e=json.dumps(evil), raw=evil), encoding="utf-8")
    code, err = run_cli(capsys, ["--record-only", "--out", str(tmp_path / "out"), "--config", str(path)])
    assert code == expected, err
    if expected == 2:
        assert_refused(code, err)
    assert not sentinel.exists()


def test_expressions_in_flags_and_data_never_run(tmp_path, capsys):
    sentinel = tmp_path / "PWNED"
    evil = expression(sentinel)
    csv = tmp_path / "points.csv"
    csv.write_text(f"x,y\n1,2\n{evil},3\n=cmd|' /C calc'!A0,4\n", encoding="utf-8")
    for argv in (["--data", str(csv)], ["--lr", evil], ["--epochs", evil], ["--optimizer", evil],
                 ["--data", f"synthetic:n={evil}"], ["--format", evil], ["--size", evil], ["--theme", evil],
                 ["--name", evil], ["--preset", evil]):
        code, err = run_cli(capsys, ["--record-only", "--out", str(tmp_path / "out"), *argv])
        assert_refused(code, err)
    assert not sentinel.exists()


def test_theme_values_are_plain_text(tmp_path):
    from scenes.resources import asset_text
    from scenes.story.theme import load_theme
    sentinel = tmp_path / "PWNED"
    text = asset_text("themes", "dark.toml")
    evil = expression(sentinel)
    lines = [f"name = {json.dumps(evil)}"] + [line for line in text.splitlines() if not line.startswith("name =")]
    path = tmp_path / "evil.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    theme = load_theme(path)
    assert theme.name == evil
    assert not sentinel.exists()


@pytest.mark.slow  # four interpreters
@pytest.mark.subprocess
def test_in_a_real_process_nothing_runs(tmp_path):
    """One end-to-end run per kind of file, as a separate process (exit code and stderr for real)."""
    sentinel = tmp_path / "PWNED"
    evil = expression(sentinel)
    (tmp_path / "t.json").write_bytes(evil_pickle(sentinel, 0))
    (tmp_path / "c.toml").write_text(f"[training]\noptimizer = {json.dumps(evil)}\n", encoding="utf-8")
    (tmp_path / "e.json").write_text(evil, encoding="utf-8")
    env = {"SGD_ANIM_CACHE": str(tmp_path / "cache")}
    for argv in (["--trace", "t.json"], ["--config", "c.toml"], ["--trace", "e.json"], ["--data", "t.json"]):
        proc = run_render_py("--record-only", "--out", "out", *argv, cwd=tmp_path, env=env, timeout=120)
        assert_refused(proc.returncode, proc.stderr)
    assert not sentinel.exists()
    assert not (tmp_path / "out").exists()


# ------------------------------------------------------------------ the source itself
READERS = ["training/trace.py", "scenes/job.py", "training/data.py", "training/config.py",
           "training/cache.py", "scenes/story/theme.py", "render.py", "training/tracejson.py",
           "training/tracebin.py", "training/files.py", "training/ragged.py"]
FORBIDDEN_MODULES = {"pickle", "cPickle", "_pickle", "dill", "cloudpickle", "joblib", "marshal", "shelve",
                     "yaml", "jsonpickle", "code", "codeop"}
FORBIDDEN_CALLS = {"eval", "exec", "compile", "__import__", "execfile", "runpy"}


def _source(rel: str) -> str:
    return (ROOT / rel).read_text(encoding="utf-8")


@pytest.mark.parametrize("rel", READERS)
def test_readers_use_no_pickle_eval_exec_or_torch_load(rel):
    tree = ast.parse(_source(rel), filename=rel)
    problems = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            problems += [f"import {a.name}" for a in node.names if a.name.split(".")[0] in FORBIDDEN_MODULES]
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in FORBIDDEN_MODULES:
            problems.append(f"from {node.module} import ...")
        elif isinstance(node, ast.Call):
            f = node.func
            if isinstance(f, ast.Name) and f.id in FORBIDDEN_CALLS:
                problems.append(f"{f.id}(...) at line {node.lineno}")
            if isinstance(f, ast.Attribute) and f.attr in ("load", "loads", "unsafe_load", "full_load") \
                    and isinstance(f.value, ast.Name) and f.value.id in {"torch", "pickle", "marshal", "yaml",
                                                                         "dill", "joblib", "np", "numpy"}:
                problems.append(f"{f.value.id}.{f.attr}(...) at line {node.lineno}")
        elif isinstance(node, ast.Attribute) and node.attr in ("literal_eval",):
            problems.append(f"{node.attr} at line {node.lineno}")
    assert not problems, f"{rel}: {problems}"


@pytest.mark.parametrize("rel", ["training/trace.py", "scenes/job.py", "training/data.py", "training/tracejson.py",
                                 "training/tracebin.py", "training/files.py"])
def test_grep_readers_for_dangerous_words(rel):
    """Belt and braces: the plain text, comments and docstrings aside."""
    code_lines = [line.split("#")[0] for line in _source(rel).splitlines()]
    tree = ast.parse(_source(rel))
    docstrings = {n.body[0].value.value for n in ast.walk(tree)
                  if isinstance(n, (ast.Module, ast.FunctionDef, ast.ClassDef)) and n.body
                  and isinstance(n.body[0], ast.Expr) and isinstance(n.body[0].value, ast.Constant)}
    text = "\n".join(code_lines)
    for doc in docstrings:
        text = text.replace(doc, "")
    for word in ("torch.load", "pickle.", "import pickle", "eval(", "exec(", "__import__", "marshal.",
                 "yaml.load", "shelve"):
        assert word not in text, f"{rel} contains {word!r}"


def test_readers_parse_with_data_only_libraries():
    assert "json.loads(" in _source("training/tracejson.py")  # the trace's streaming JSON parser
    assert "tomllib.loads(" in _source("scenes/job.py")
    assert "csv.reader(" in _source("training/data.py")
    for rel in ("training/trace.py", "training/data.py", "scenes/job.py", "training/cache.py",
                "training/tracejson.py", "training/tracebin.py", "training/files.py", "training/ragged.py"):
        tree = ast.parse(_source(rel))
        imported = {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        imported |= {(n.module or "").split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
        assert "torch" not in imported, f"{rel} imports torch: loading a trace must not need it"
