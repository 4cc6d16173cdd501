"""A loop recorded without x, y (``render.py --run`` of a script that does not call
``recording``): its ``steps.full_loss`` is the batch loss, the trace says so
(``Trace.full_loss_is_batch``), and every backend's labels say "batch loss" for it; the
article's labels stay as they were."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from torch import nn

from scenes.story.story import Story
from scenes.story.theme import load_theme
from tests.graph_fixture import article_trace
from tests.user_loop import record_loop
from training.trace import Trace

ROOT = Path(__file__).resolve().parents[2]


def _article_loop(loss_fn, x=None):
    """The article's loop (six points, batches of two, SGD) recorded, x, y given or not."""
    X = torch.tensor([0.2, 0.4, 0.6, 0.8, 1.0, 1.2]).view(-1, 1)
    Y = torch.tensor([0.18, 0.32, 0.42, 0.48, 0.58, 0.72]).view(-1, 1)
    model = nn.Linear(1, 1)
    with torch.no_grad():
        model.weight.fill_(1.0)
        model.bias.fill_(1.0)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    return record_loop(model, opt, loss_fn, X, Y, epochs=3, batch=2, given=bool(x))


@pytest.fixture(scope="module")
def line():
    """The article's model and loss, no x, y: the line's trace (schema 1), its column the batch loss."""
    return Story(_article_loop(nn.MSELoss()))


@pytest.fixture(scope="module")
def module():
    """The same loop under L1Loss, no x, y: a module (schema 2), whose path loss is the column."""
    return Story(_article_loop(nn.L1Loss()))


@pytest.fixture(scope="module")
def article():
    return Story(article_trace(epochs=1))


def test_the_trace_says_its_full_loss_is_the_batch_loss(line, module, article, tmp_path):
    assert line.trace.full_loss_is_batch and module.trace.full_loss_is_batch
    assert not article.trace.full_loss_is_batch
    assert not _article_loop(nn.MSELoss(), x=True).full_loss_is_batch
    path = tmp_path / "t.json"
    module.trace.to_file(path)
    assert Trace.from_file(path).full_loss_is_batch  # round trip
    doc = json.loads(path.read_text())
    del doc["config"]["recorded"]["full_loss_is_batch"]  # a trace written before the member
    path.write_text(json.dumps(doc))
    assert Trace.from_file(path).full_loss_is_batch


@pytest.mark.slow  # (three figures laid out: a few seconds)
def test_matplotlib_legend_says_batch_loss(line, module, article):
    from scenes.mpl.render import _setup

    def legend(story):
        sc = _setup(story, (640, 360), "light", ("loss",))
        return [t.get_text() for t in sc.view("loss").legend.get_texts()]
    assert legend(article) == ["batch loss", "full-data loss"]
    assert legend(line) == legend(module) == ["batch loss"]


def test_matplotlib_numbers_say_batch_loss(module, article):
    from scenes.mpl.views.numbers_layout import numbers_lines
    from scenes.story.plan import HOLD

    hold = numbers_lines(module, module.geom, module.state(module.n - 1, HOLD, 1.0))
    assert hold[2].startswith("start: batch loss L = ")
    hold = numbers_lines(article, article.geom, article.state(article.n - 1, HOLD, 1.0))
    assert "full-data loss" in hold[1]


@pytest.mark.slow  # (importing Manim takes seconds)
def test_manim_labels_it_batch_loss(line, module, article):
    pytest.importorskip("manim")
    from scenes.manim.panels.header import loss_note
    from scenes.manim.panels.loss import legend_items

    assert [w for _, w in legend_items(article)] == ["batch loss", "full-data loss"]
    assert [w for _, w in legend_items(line)] == ["batch loss", "full-data loss"]  # the line's: computed on x, y
    assert [w for _, w in legend_items(module)] == ["batch loss", "batch loss after the step"]
    assert (loss_note(article), loss_note(line), loss_note(module)) == ("(all data)", "(all data)", "(batch loss)")
    # The final frame's L is the module's final loss, over all the rows: the note says so then.
    from scenes.manim.panels.header import Header
    from scenes.manim.style import Style
    header = Header(Style(load_theme("light")), module)
    assert header.lnote.layout_text == "(batch loss)"
    before = header.lnote.get_center()
    header.hold()
    assert header.lnote.layout_text == "(all data)" and header.lnote.get_center() == pytest.approx(before)
    assert header.L.get_value() == pytest.approx(module.trace.final_full_loss)


def _kind(story, value: float) -> str:
    """Which loss ``value`` is: a batch loss the loop saw (its column), the final loss over all
    the rows, or neither."""
    if any(value == pytest.approx(float(v), abs=1e-12) for v in story.trace.steps["full_loss"]):
        return "(batch loss)"
    return "(all data)" if value == pytest.approx(story.trace.final_full_loss, abs=1e-12) else "neither"


@pytest.mark.parametrize("detail", [None, 9], ids=["last-step-in-the-fast-forward", "last-step-in-detail"])
def test_manim_s_l_and_the_note_under_it_name_the_same_loss_on_every_frame(module, detail):
    """The frame plan's every frame, as the header plays it (forward: before the step; update:
    from before to after; fast-forward: after; final frame: the final loss): L is the kind of
    loss the note under it names, "(batch loss)" or "(all data)". The last step's update
    scrubbed to the final loss over all the rows, and the fast-forward ended on it, under
    "(batch loss)"; "(all data)" came only with the final frame."""
    from scenes.manim.panels.header import Header, header_loss
    from scenes.manim.style import Style
    from scenes.story.plan import FAST, HOLD, INTRO, UPDATE, PlanSettings
    from scenes.story.story import plan_of

    assert module.n == 9 and _kind(module, module.trace.final_full_loss) == "(all data)"  # not a batch's
    plan = plan_of(module.trace, PlanSettings(fps=8, detail_steps=detail))
    assert (UPDATE in plan.beat[plan.step == 8].tolist()) == (detail == 9)
    for k, beat, t in zip(plan.step.tolist(), plan.beat.tolist(), plan.t.tolist()):
        if beat == INTRO:
            ends = [header_loss(module, 0, False)]
        elif beat == UPDATE:  # a scrub between the two: both ends name the note's loss
            ends = [header_loss(module, k, False), header_loss(module, k, True)]
        elif beat == FAST:
            ends = [header_loss(module, k, True)]
        elif beat == HOLD:
            ends = [header_loss(module, module.n - 1, True, final=True)]
        else:
            ends = [header_loss(module, k, False)]
        assert all(_kind(module, v) == note for v, note in ends), (k, beat, t, ends)
    # The header itself: the last step's update ends, and the fast-forward ends, on a batch's loss.
    header = Header(Style(load_theme("light")), module)
    (scrub,) = header.update(8)
    scrub.interpolate_mobject(1.0)
    assert _kind(module, header.L.get_value()) == header.lnote.layout_text == "(batch loss)"
    header.show_step(8, True)
    assert _kind(module, header.L.get_value()) == header.lnote.layout_text == "(batch loss)"
    header.hold()
    assert _kind(module, header.L.get_value()) == header.lnote.layout_text == "(all data)"


def test_the_page_labels_it_batch_loss(line, module, article):
    from scenes.web.export import export_story

    assert "full_loss_words" not in export_story(article, contours=False)["run"]  # the document unchanged
    for story in (line, module):
        assert export_story(story, contours=False)["run"]["full_loss_words"] == "batch loss"
    js = (ROOT / "scenes/web/player/views/loss.js").read_text()
    assert 'var full = S.run.full_loss_words || "full-data loss"' in js and "label: full," in js


def test_the_deck_notes_label_it_batch_loss(line, module, article):
    from scenes.story.notes import notes, num
    from scenes.story.plan import FAST, FORWARD, INTRO

    assert notes(module, INTRO, 0)[-1].startswith("batch loss at the start: ")
    step = notes(module, FORWARD, 1)
    assert "batch loss before the step" in step[0] and step[-1].startswith("batch loss after the step")
    assert notes(article, INTRO, 0)[-1].startswith("full-data loss at the start: ")
    # After the last step there is no next batch: that loss is the final one over all the data
    last = module.n - 1
    assert notes(module, FORWARD, last)[-1] == f"full-data loss after the step {num(module.full_loss_after[last])}"
    ff = notes(module, FAST, 1, last)[1]
    assert ff == (f"batch loss {num(module.full_loss[1])} → full-data loss {num(module.full_loss_after[last])}")
    assert notes(module, FAST, 1, last - 1)[1].startswith("batch loss ") and "full-data" not in notes(module, FAST, 1, last - 1)[1]
    # The line's fast-forward note: its loss over x, y before the first step, computed (not the column's batch loss)
    fast = notes(line, FAST, 1, 4)[1]
    want = float(line.trace.full_loss_at(*line.ab_before(1)))
    assert fast.startswith("full-data loss ") and want != line.full_loss[1]
    assert fast.startswith(f"full-data loss {num(want)} → ")


@pytest.mark.slow  # (Manim's dry run of the walkthrough: a few seconds)
def test_manim_captions_clear_the_batch_loss_note(module):
    """"(batch loss)" is wider than "(all data)": the forward pass's caption ran into it by a few
    pixels (dark theme, a bare nn.Linear under L1Loss); the caption now ends short of it."""
    from scenes.manim.layout_check import check_scene_run
    from scenes.story.plan import PlanSettings

    problems = check_scene_run(module.trace, scene="walkthrough", theme="dark",
                               plan=PlanSettings(detail_steps=1, fps=5))
    assert not [p for p in problems if "(batch loss)" in str(p)], problems[:3]
