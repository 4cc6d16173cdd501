"""The trace's I/O split into modules of one job each, and the small facts given one home each:
the old import paths still work, the new modules follow the readers' rules (no pickle, eval
or torch), and the shared helpers behave as the copies they replace did."""
from __future__ import annotations

import ast
import io
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import tests.cli.test_security as security  # noqa: E402  (its checks, applied to the new modules)
from scenes.colour import hex_rgb  # noqa: E402
from training import linear_model, numbers, trace, tracebin, tracedump, tracejson, traceschema  # noqa: E402
from training.batches import batches_per_epoch  # noqa: E402

# Modules that read (or check what was read from) a user's file, beside those test_security lists.
SPLIT_READERS = ["training/traceschema.py", "training/tracecolumns.py", "training/tracevalidate.py",
                 "training/tracedump.py", "training/numbers.py", "training/linear_model.py", "training/batches.py",
                 "training/module_views.py", "training/models/module.py"]


@pytest.mark.parametrize("rel", SPLIT_READERS)
def test_the_split_modules_follow_the_readers_rules(rel):
    security.test_readers_use_no_pickle_eval_exec_or_torch_load(rel)
    security.test_grep_readers_for_dangerous_words(rel)
    tree = ast.parse((ROOT / rel).read_text(encoding="utf-8"))
    imported = {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    imported |= {(n.module or "").split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert "torch" not in imported, f"{rel} imports torch: loading a trace must not need it"


def test_the_old_import_paths_still_work():
    for module in (trace, tracejson, tracebin):
        for name in module.__all__:
            assert hasattr(module, name), f"{module.__name__}.{name}"
    assert trace.TraceStatus is traceschema.TraceStatus
    assert (trace.mse_at, trace.full_gradient_at) == (linear_model.mse_at, linear_model.full_gradient_at)
    assert tracejson.column_parts is tracedump.column_parts
    assert tracejson.FLOAT32_MAX == numbers.FLOAT32_MAX == 3.4028234663852886e38
    assert tracejson._refuse_constant is numbers.refuse_json_constant
    from scenes.story import geometry, notes, race
    from scenes.story import numbers as story_numbers
    assert (geometry.mse, geometry.full_gradient) == (linear_model.mse_at, linear_model.full_gradient_at)
    assert (geometry.least_squares, geometry.sample_shares) == (linear_model.least_squares, linear_model.sample_shares)
    assert notes.num is story_numbers.fmt_note and race.fmt_loss is story_numbers.fmt_loss


def test_write_binary_keeps_its_old_name(tmp_path):
    """scenes/compare/engine.py called the private name; both write the same bytes."""
    from training.data import ARTICLE_X, ARTICLE_Y
    floats = {c: np.array([0.5]) for c in traceschema.STEP_FLOAT_COLUMNS}
    tr = trace.Trace(config={"lr": 0.1, "batch_size": 2, "data": {"kind": "article"}, "optimizer": "sgd"},
                     versions={}, x=np.array(ARTICLE_X), y=np.array(ARTICLE_Y),
                     steps={"epoch": np.array([0]), "batch": np.array([0]), **floats,
                            "indices": [[0, 1]], "pred": [[1.2, 1.4]], "residual": [[1.02, 1.08]]},
                     final_a=0.99, final_b=0.98)
    new, old = io.BytesIO(), io.BytesIO()
    tr.write_binary(new)
    tr._write_binary(old)
    assert new.getvalue() == old.getvalue() and new.getvalue().startswith(tracebin.MAGIC)
    (tmp_path / "t.sgdtrace").write_bytes(new.getvalue())
    assert trace.Trace.from_file(tmp_path / "t.sgdtrace") == tr


def test_the_number_checks():
    f32 = numbers.FLOAT32_MAX
    assert numbers.finite_float32(1) and numbers.finite_float32(-f32) and numbers.finite_float32(0.5)
    assert not any(numbers.finite_float32(v) for v in (True, None, "1", float("nan"), float("inf"), 1e39, 10**400))
    assert numbers.within_float32(np.zeros(0)) and numbers.within_float32(np.array([f32, -f32]))
    assert not numbers.within_float32(np.array([0.0, np.nan])) and not numbers.within_float32(np.array([np.inf]))
    with pytest.raises(ValueError, match="non-finite number NaN is not allowed"):
        numbers.refuse_json_constant("NaN")


def test_batches_per_epoch():
    assert batches_per_epoch(6, 2, True) == 3 and batches_per_epoch(7, 2, True) == 3
    assert batches_per_epoch(7, 2, False) == 4 and batches_per_epoch(1, 2, True) == 0


def test_hex_rgb_reads_every_form_a_theme_accepts():
    assert hex_rgb("#0072B2") == hex_rgb("0072b2") == (0, 114, 178)
    assert hex_rgb("#fff") == hex_rgb("#FFFA") == (255, 255, 255)
    assert hex_rgb("#11223380") == (17, 34, 51)
    for bad in ("", "#12", "#12345", "#1234567", "red"):
        with pytest.raises(ValueError):
            hex_rgb(bad)
