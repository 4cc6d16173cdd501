"""The page of every model (issue 23, item 4): what the document exports for a model other than
the line, checked against the trace and independent float64 computations (the curve against
the model's forward pass, the norms and largest updates against numpy on the recorded
vectors, the shares against the closed-form logistic gradient), and the line's document
unchanged. The browser draws them in tests/web/test_web_models_browser.py."""
from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest

from scenes.story.plan import HOLD, INTRO
from scenes.story.story import Story
from scenes.story.theme import load_theme
from scenes.web.export import decode, export_story
from scenes.web.export_model import CURVE_SAMPLES, curve_rows
from tests.helpers import ROOT

THEME = load_theme("light")


def _record(config: str, **changes):
    from scenes.job import build_job, load_config_file
    from training.recorder import record
    train = build_job([load_config_file(ROOT / "assets" / "configs" / f"{config}.toml")]).train
    return record(replace(train, **changes), base_dir=ROOT)


@pytest.fixture(scope="module")
def traces():
    return {"poly": _record("poly3", epochs=4), "logistic": _record("logistic", epochs=2),
            "mlp": _record("mlp_sine", hidden=4, epochs=2)}


@pytest.fixture(scope="module")
def docs(traces):
    return {k: (Story(tr), export_story(Story(tr), theme=THEME)) for k, tr in traces.items()}


@pytest.mark.parametrize("family", ["poly", "logistic", "mlp"])
def test_the_curve_samples_are_the_models_forward_pass(docs, family):
    story, doc = docs[family]
    tr, c = story.trace, doc["model"]["curve"]
    g = story.geom.fit
    assert doc["model"]["kind"] == tr.model.kind and doc["model"]["param_names"] == list(tr.param_names)
    q = decode(c["y"]).astype(np.float64).reshape(-1, CURVE_SAMPLES)
    assert "rows" not in c and len(q) == story.n + 1  # a short run: every path point
    lo, hi = c["range"]
    got = np.where(q == 65535, np.nan, lo + q / c["quant"] * (hi - lo))
    # independent: the forward pass written out in float64 for each family
    xs = np.linspace(g.x0, g.x1, CURVE_SAMPLES)
    path = np.vstack([tr.params, tr.final_params[None, :]])
    if family == "poly":
        want = sum(path[:, [k]] * xs ** k for k in range(path.shape[1]))
    elif family == "logistic":
        want = 1 / (1 + np.exp(-(path[:, [0]] * xs + path[:, [1]])))
    else:
        h = tr.model.hidden
        w1, b1, w2, b2 = path[:, :h], path[:, h:2 * h], path[:, 2 * h:3 * h], path[:, 3 * h]
        want = np.einsum("th,thx->tx", w2, np.tanh(w1[:, :, None] * xs + b1[:, :, None])) + b2[:, None]
    want = np.clip(want, lo, hi)
    assert np.nanmax(np.abs(got - want)) <= (hi - lo) / c["quant"]


def test_a_long_run_exports_the_curves_its_plan_draws():
    from types import SimpleNamespace
    story = SimpleNamespace(n=5000)
    plan = SimpleNamespace(step=np.array([0, 0, 1, 1, 2, 40, 900, 2500, 4999, 4999]))
    rows = curve_rows(story, plan)
    # each drawn step, the one after (the update's end) and the one before (the ghost), the final
    assert rows.tolist() == [0, 1, 2, 3, 39, 40, 41, 899, 900, 901, 2499, 2500, 2501, 4998, 4999, 5000]
    assert curve_rows(SimpleNamespace(n=30), plan).tolist() == list(range(31))  # short: every point


@pytest.mark.parametrize("family", ["poly", "mlp"])
def test_more_than_two_parameters_export_norms_largest_updates_and_the_surface(docs, family):
    story, doc = docs[family]
    tr, m = story.trace, doc["model"]
    v = m["vector"]
    assert not m["shares"] and m["heads"] == ["x", "y", "ŷ", "ŷ − y"]
    assert m["header"] == ["epoch", "batch", "L =", "|∇L| =", "|Δθ| ="]
    grads, updates = np.asarray(tr.grads, np.float64), np.asarray(tr.updates, np.float64)
    assert np.allclose(decode(v["grad_norm"]), np.sqrt((grads ** 2).sum(1)), rtol=1e-12)
    assert np.allclose(decode(v["update_norm"]), np.sqrt((updates ** 2).sum(1)), rtol=1e-12)
    path = np.vstack([tr.params, tr.final_params[None, :]])
    assert np.allclose(decode(v["theta_norm"]), np.sqrt((path ** 2).sum(1)), rtol=1e-12)
    idx = decode(v["top_index"]).reshape(-1, v["top_count"]).astype(int)
    val = decode(v["top_value"]).reshape(idx.shape)
    for k in range(story.n):  # the largest by size, in order, with their signs
        want = sorted(range(len(tr.param_names)), key=lambda i: -abs(updates[k, i]))[:v["top_count"]]
        assert [abs(updates[k, i]) for i in idx[k]] == [abs(updates[k, i]) for i in want]
        assert np.array_equal(val[k], updates[k, idx[k]])
    # the plane's loss under the path: the model's loss at the projected point (centre: final)
    land = story.plane.land
    proj = tr.final_params + np.column_stack([land.alpha, land.beta])[:-1] @ land.basis.T
    want = np.array([tr.model.loss(p, tr.x, tr.y) for p in proj])
    assert np.allclose(decode(m["surface"]), want, rtol=1e-9)
    plane = m["plane"]
    assert not plane["exact"] and plane["faithfulness"].startswith("PC1") and "off the plane" in plane["off_plane"]
    assert doc["optimum"] is None


def test_logistic_exports_shares_that_sum_to_its_closed_form_gradient(docs):
    story, doc = docs["logistic"]
    tr, b = story.trace, doc["batches"]
    off = decode(b["offsets"])
    sa, sb = decode(b["share_a"]), decode(b["share_b"])
    idx = decode(b["index"])
    for k in range(story.n):
        w, bias = tr.params[k]
        x, y = tr.x[idx[off[k]:off[k + 1]]], tr.y[idx[off[k]:off[k + 1]]]
        r = 1 / (1 + np.exp(-(w * x + bias))) - y  # dBCE/dz, float64
        scale = max(abs(r).max(), 1e-3)
        assert np.allclose([sa[off[k]:off[k + 1]].sum(), sb[off[k]:off[k + 1]].sum()],
                           [np.mean(r * x), np.mean(r)], atol=1e-5 * scale * max(1, abs(x).max()))
    m = doc["model"]
    assert m["heads"][:4] == ["x", "y", "p", "p − y"] and m["shares"] and m["plane"]["exact"]
    assert m["header"][2:4] == ["w =", "b ="] and doc["title"].endswith("fits p = σ(w·x + b)")
    assert doc["run"]["next_text"].startswith("next:  w − lr·∂L/∂w,   b − lr·∂L/∂b")
    assert "vector" not in m and "surface" not in m


@pytest.mark.parametrize("family", ["poly", "logistic", "mlp"])
def test_the_lines_and_notes_are_the_storys(docs, family):
    from scenes.mpl.views.numbers_layout import numbers_lines
    story, doc = docs[family]
    lines = doc["model"]["lines"]
    assert lines["intro"] == list(numbers_lines(story, story.geom, story.state(0, INTRO, 1.0)))
    assert lines["hold"] == list(numbers_lines(story, story.geom, story.state(story.n - 1, HOLD, 1.0)))
    assert doc["model"]["hold_loss"] == pytest.approx(float(story.trace.model.loss(story.trace.final_params,
                                                                                     story.trace.x, story.trace.y)))
    notes = doc["plan"]["notes"]
    assert len(notes) == len(doc["plan"]["segments"]) and all(notes)
    assert any(story.words.formula in line for line in notes[0])
    json.dumps(doc, allow_nan=False)  # a valid JSON document


def test_the_lines_document_has_no_model_entry_and_the_articles_words(traces):
    from training.config import TrainConfig
    from training.recorder import record
    doc = export_story(Story(record(TrainConfig())), theme=THEME)
    assert "model" not in doc and doc["title"].endswith("fits ŷ = a·x + b") and doc["optimum"] is not None
    assert doc["run"]["next_text"] == "next:  a − lr·∂L/∂a,   b − lr·∂L/∂b   (lr = 0.1)"


def test_an_explorer_of_a_projected_model_gives_each_run_its_own_plane(traces):
    from scenes.web.page import explorer_page
    tr = traces["mlp"]
    runs = [({"lr": lr}, _record("mlp_sine", hidden=4, epochs=1, lr=lr)) for lr in (0.03, 0.1)]
    page = explorer_page(runs, [("lr", "learning rate", (0.03, 0.1))])
    doc = json.loads(page[page.index('{"format"'):page.index("</script>", page.index('{"format"'))])
    assert "contours" not in doc and all("contours" in s for s in doc["stories"])
    assert doc["stories"][0]["contours"] != doc["stories"][1]["contours"]
    assert tr.model.plane is None


def test_the_page_its_presenter_mode_explorer_and_race_page_draw_every_model():
    from scenes.story.drawable import LINE_ONLY, check_drawable
    for where in ("html", "slides", "explore", "race html"):
        assert where not in LINE_ONLY
        check_drawable("mlp", where)


def test_a_races_page_draws_each_runs_curve_from_its_recorded_parameters():
    from scenes.story.race import RaceStory
    from scenes.web.race_export import export_race
    runs = [("sgd", _record("mlp_sine", hidden=3, epochs=2)),
            ("adam", _record("mlp_sine", hidden=3, epochs=2, optimizer="adam", lr=0.05))]
    race = RaceStory(runs, ["optimizer"])
    doc = export_race(race, THEME)
    m, plan = doc["model"], race.plan()
    assert m["kind"] == "mlp" and m["params_title"] == "Paths on one loss landscape" and m["loss_name"] == "MSE"
    assert all(r["optimum"] is None for r in doc["runs"]) and not any("optimum" in k for k in doc["key"])
    c = m["curve"]
    q = decode(c["y"]).astype(np.float64).reshape(-1, c["samples"])
    lo, hi = c["range"]
    xs = np.linspace(*c["x"], c["samples"])
    rows = decode(doc["frames"]["curve_row"]).reshape(len(plan), race.n)
    for i in range(0, len(plan), 37):
        for r, (_, tr) in enumerate(runs):
            k = int(plan.index[r, i])
            p = tr.final_params if k >= tr.n_steps else tr.params[k]
            w1, b1, w2, b2 = p[:3], p[3:6], p[6:9], p[9]  # 1 → 3 → 1, tanh, written out
            want = np.clip(np.tanh(np.outer(xs, w1) + b1) @ w2 + b2, lo, hi)
            got = lo + q[rows[i, r]] / c["quant"] * (hi - lo)
            assert np.abs(got - want).max() <= (hi - lo) / c["quant"]
