"""--compare specs and the [compare] table: typed values, labels, folder names, the grid,
and each run validated as a single run (issue 11, "Comparisons")."""
from __future__ import annotations

import pytest

from scenes.compare.spec import (MAX_RUNS, Axis, axes_from_table, folder_names, make_label, parse_compare_flag,
                                 plan_runs)
from training.config import TrainConfig
from training.data import DataSpec
from training.errors import InputError


def test_values_are_parsed_with_the_single_run_types():
    assert parse_compare_flag("lr=0.03,0.1, 1") == Axis("lr", (0.03, 0.1, 1.0))
    assert parse_compare_flag("batch-size=1,2,6") == Axis("batch_size", (1, 2, 6))
    assert parse_compare_flag("optimizer=SGD,momentum") == Axis("optimizer", ("sgd", "momentum"))
    assert parse_compare_flag("shuffle=true,no") == Axis("shuffle", (True, False))
    axis = parse_compare_flag("data=article,synthetic:n=50,noise=0.2,pts.csv")
    assert axis.values == (DataSpec(), DataSpec(kind="synthetic", n=50, noise=0.2), DataSpec(kind="csv", path="pts.csv"))
    assert all(type(v) is float for v in parse_compare_flag("init_a=1,2").values)


@pytest.mark.parametrize("text, names", [
    ("foo=1,2", ["unknown setting 'foo'", "lr"]),
    ("lr=", ["empty"]),
    ("lr", ["KEY=V1,V2"]),
    ("lr=0.1,,0.3", ["no empty one"]),
    ("batch_size=1,2.5", ["whole number", "2.5"]),
    ("nesterov=maybe", ["true or false"]),
    ("lr=0.1,nan", ["finite"]),
    ("lr=0.1,0.10", ["given twice"]),
])
def test_bad_specs_are_one_line(text, names, one_line):
    with pytest.raises(InputError) as e:
        parse_compare_flag(text)
    one_line(e.value, *names)


def test_labels_and_folder_names():
    assert make_label({"lr": 0.3}) == "lr=0.3"
    assert make_label({"lr": 0.3, "batch_size": 2}) == "lr=0.3,batch_size=2"
    assert make_label({"lr": 0.1 + 0.2}) == "lr=0.30000000000000004"  # never two runs with one label
    assert make_label({"nesterov": True}) == "nesterov=true"
    assert make_label({"data": DataSpec(kind="synthetic", n=50)}) == "data=synthetic:n=50"
    names = folder_names(["data=/tmp/a b.csv", "data=../x.csv", "lr=0.1", "LR=0.1"])
    assert names == ["data=_tmp_a_b.csv", "data=.._x.csv", "lr=0.1", "LR=0.1-2"]
    assert all("/" not in n and not n.startswith(".") for n in names)


def test_grid_order_and_validation_names_the_run(one_line):
    runs = plan_runs(TrainConfig(epochs=2), [Axis("lr", (0.1, 0.3)), Axis("batch_size", (1, 2))])
    assert [r.label for r in runs] == ["lr=0.1,batch_size=1", "lr=0.1,batch_size=2",
                                      "lr=0.3,batch_size=1", "lr=0.3,batch_size=2"]
    assert runs[2].config == TrainConfig(epochs=2, lr=0.3, batch_size=1)
    with pytest.raises(InputError) as e:
        plan_runs(TrainConfig(), [Axis("batch_size", (2, 7))])
    one_line(e.value, "run batch_size=7", "larger than the data")


def test_more_than_256_runs_needs_yes(one_line):
    axes = [Axis("seed", tuple(range(17))), Axis("epochs", tuple(range(1, 17)))]
    with pytest.raises(InputError) as e:
        plan_runs(TrainConfig(), axes)
    one_line(e.value, "272 runs", str(MAX_RUNS), "--yes")
    assert len(plan_runs(TrainConfig(), axes, yes=True)) == 272


def test_toml_table_takes_native_values(one_line):
    assert axes_from_table({"lr": [0.1, 1], "nesterov": [True, False]}) == [
        Axis("lr", (0.1, 1.0)), Axis("nesterov", (True, False))]
    for table, names in [({"lr": []}, ["lr", "at least one value"]), ({"lr": 0.1}, ["list"]),
                         ({"batch_size": [1.5]}, ["whole number"]), ({"momentum": [True]}, ["a number"]),
                         ({"beta1": [0.9]}, ["unknown setting 'beta1'"])]:
        with pytest.raises(InputError) as e:
            axes_from_table(table)
        one_line(e.value, *names)


def test_true_and_false_read_as_the_server_reads_them():
    """--compare and --serve share one reading of true/false words (training.config.parse_bool)."""
    from training.config import parse_bool
    assert [parse_bool(t) for t in ("true", " Yes", "ON", "1", "false", "no", "Off", "0", "maybe", "")] == \
        [True, True, True, True, False, False, False, False, None, None]
