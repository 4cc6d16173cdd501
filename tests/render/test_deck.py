"""The PowerPoint deck (--format pptx): the notes' numbers against closed-form float64 MSE
gradients and a hand-written optimizer, the slide and size budgets, the deck re-read with
python-pptx (slides, media, posters, autoplay timing, notes), with both backends, and
LibreOffice when it is installed."""
from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("pptx")

from scenes.story.notes import NOTE_ROWS, slide_notes  # noqa: E402
from scenes.story.plan import (FAST, FORWARD, GRADIENT, HOLD, INTRO, RESIDUALS, UPDATE,  # noqa: E402
                               PlanSettings)
from scenes.story.story import Story, plan_of  # noqa: E402
from scenes.writers import get_writer  # noqa: E402
from scenes.writers.deck import MAX_MEDIA_SLIDES  # noqa: E402
from scenes.writers.pptx import CLIP_BEATS, check_deck_plan, media_slides  # noqa: E402
from training.config import TrainConfig  # noqa: E402
from training.errors import InputError  # noqa: E402
from training.recorder import record  # noqa: E402

P = "{http://schemas.openxmlformats.org/presentationml/2006/main}"
TINY = PlanSettings(fps=5, detail_steps=2, intro=0.4, beat_seconds=(0.4, 0.4, 0.4, 0.4), fast_forward=0.8, hold=0.4)


@pytest.fixture(scope="module")
def runs():
    return {"sgd": record(TrainConfig(epochs=3)),
            "momentum": record(TrainConfig(optimizer="momentum", epochs=3)),
            "big_batch": record(TrainConfig(data=_synthetic(40), batch_size=20, epochs=2, lr=0.5))}


def _synthetic(n):
    from training.data import DataSpec
    return DataSpec(kind="synthetic", n=n)


# ------------------------------------------------------------------ independent numbers
def closed_form(trace, k):
    """Step k's batch in float64 from the recorded parameters and data: ŷ, residuals, L,
    the MSE gradient 2/n·Σ r·x, 2/n·Σ r, and each sample's share of it."""
    idx = np.asarray(trace.steps["indices"][k], dtype=np.int64)
    x, y = np.asarray(trace.x, np.float64)[idx], np.asarray(trace.y, np.float64)[idx]
    a, b = float(trace.steps["a"][k]), float(trace.steps["b"][k])
    pred = a * x + b
    r = pred - y
    n = len(x)
    return dict(x=x, y=y, pred=pred, residual=r, loss=float(np.mean(r ** 2)),
                share_a=2 / n * r * x, share_b=2 / n * r, grad_a=float(2 / n * np.sum(r * x)),
                grad_b=float(2 / n * np.sum(r)))


def hand_updates(trace):
    """The updates of SGD with (or without) momentum, written out: v = μ·v + g, Δ = −lr·v,
    where the first v is g (as torch starts its buffer)."""
    s = trace.settings
    mu = s.effective_momentum
    v = None
    out = []
    for k in range(trace.n_steps):
        g = np.array([closed_form(trace, k)["grad_a"], closed_form(trace, k)["grad_b"]])
        v = g if v is None or mu == 0 else mu * v + g
        out.append(-s.lr * v)
    return out


@pytest.mark.parametrize("kind", ["sgd", "momentum", "big_batch"])
def test_beat_numbers_match_closed_form_gradients_and_a_hand_written_optimizer(runs, kind):
    tr = runs[kind]
    story = Story(tr)
    updates = hand_updates(tr)
    for k in range(tr.n_steps):
        n, ref = story.beat_numbers(k), closed_form(tr, k)
        for key in ("x", "y", "pred", "residual", "share_a", "share_b"):
            np.testing.assert_allclose(getattr(n, key), ref[key], rtol=1e-5, atol=1e-6, err_msg=f"{key} at {k}")
        for key in ("loss", "grad_a", "grad_b"):  # recorded in float32 by autograd
            assert getattr(n, key) == pytest.approx(ref[key], rel=1e-4, abs=1e-6), (key, k)
        assert n.share_a.sum() == pytest.approx(n.grad_a, rel=1e-4, abs=1e-6)  # the shares add up
        assert (n.update_a, n.update_b) == pytest.approx(tuple(updates[k]), rel=1e-3, abs=1e-6), k
        assert (n.a_after, n.b_after) == pytest.approx((n.a + n.update_a, n.b + n.update_b), rel=1e-5, abs=1e-6)


def _numbers(text: str) -> list[float]:
    return [float(v.replace("−", "-")) for v in re.findall(r"[−-]?\d+(?:\.\d+)?(?:e[−+-]?\d+)?", text)]


def check_notes_hold_batch(notes: str, tr, k: int, update: np.ndarray | None = None) -> None:
    """The notes of a beat of step k carry that batch's numbers (read back from the text)."""
    ref = closed_form(tr, k)
    lines = notes.splitlines()
    assert f"Step {k + 1}:" in notes
    head = next(i for i, line in enumerate(lines) if line.strip().startswith("x"))
    rows = [_numbers(line) for line in lines[head + 1:head + 1 + min(NOTE_ROWS, len(ref["x"]))]]
    table = np.array(rows)
    want = np.column_stack([ref[c] for c in ("x", "y", "pred", "residual", "share_a", "share_b")])[:len(rows)]
    np.testing.assert_allclose(table, want, rtol=2e-4, atol=2e-5)
    loss = _numbers(next(line for line in lines if line.startswith("L = ")).split("=")[-1])[0]
    assert loss == pytest.approx(ref["loss"], rel=2e-4, abs=1e-6)
    grads = _numbers(next(line for line in lines if line.startswith("∂L/∂a")).split("(")[0])
    assert grads == pytest.approx([ref["grad_a"], ref["grad_b"]], rel=2e-4, abs=1e-6)
    if update is not None:
        step = next(line for line in lines if "Δa =" in line)
        da, db = _numbers(step.split("Δa =")[1].replace("Δb =", " "))
        assert (da, db) == pytest.approx(tuple(update), rel=2e-3, abs=1e-6)


@pytest.mark.parametrize("kind", ["sgd", "momentum", "big_batch"])
def test_notes_carry_each_batchs_numbers(runs, kind):
    tr = runs[kind]
    story = Story(tr)
    updates = hand_updates(tr)
    for k in range(3):
        for beat in (FORWARD, RESIDUALS, GRADIENT, UPDATE):
            check_notes_hold_batch(slide_notes(story, beat, k), tr, k, updates[k])
    if kind == "big_batch":  # 20 samples: the first NOTE_ROWS rows, then a line says so
        assert f"and {20 - NOTE_ROWS} more samples" in slide_notes(story, FORWARD, 0)
    title = slide_notes(story, INTRO, 0)
    assert f"learning rate: {tr.settings.lr:g}" in title and f"batch size: {tr.settings.batch_size}" in title
    final = slide_notes(story, HOLD, tr.n_steps - 1)
    from scenes.story.geometry import least_squares
    a_ls, b_ls = least_squares(np.asarray(tr.x, np.float64), np.asarray(tr.y, np.float64))
    xm = np.mean(tr.x)  # the least-squares line, independently: slope = cov/var
    assert a_ls == pytest.approx(np.sum((tr.x - xm) * (tr.y - np.mean(tr.y))) / np.sum((tr.x - xm) ** 2))
    assert f"{a_ls:.5g}" in final and f"{tr.final_a:.5g}".replace("-", "−") in final


# ------------------------------------------------------------------ budgets
def test_a_deck_over_the_slide_budget_is_refused_in_one_line(runs, one_line):
    tr = record(TrainConfig(epochs=20))
    fits = (MAX_MEDIA_SLIDES - 1) // 4
    check_deck_plan(plan_of(tr, PlanSettings(detail_steps=fits)))  # 4·7 + 1 = 29 video slides: fine
    with pytest.raises(InputError) as e:
        check_deck_plan(plan_of(tr, PlanSettings(detail_steps=fits + 1)))
    one_line(e.value, "33 video slides", f"{MAX_MEDIA_SLIDES}", f"--detail-steps {fits}")
    # the writer refuses it as it is made, before any frame
    with pytest.raises(InputError):
        over = plan_of(tr, PlanSettings(detail_steps=12))
        get_writer("pptx", outline=_outline(tr, over), frame_plan=over)


def test_cli_refuses_an_over_budget_deck_before_any_work(tmp_path, capsys, monkeypatch):
    import render
    out = tmp_path / "out"
    monkeypatch.setattr("scenes.mpl.render.render_matplotlib",
                        lambda *a, **k: (_ for _ in ()).throw(AssertionError("rendered")))
    assert render.main(["--format", "pptx", "--detail-steps", "9", "--epochs", "10", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "--detail-steps 7" in err and "video slides" in err
    assert not out.exists()  # not even the folder


def _frames(plan, size=(160, 90)):
    """Synthetic frames: each frame's colour encodes its index (what a backend would draw)."""
    w, h = size
    for i in range(len(plan)):
        f = np.zeros((h, w, 4), np.uint8)
        f[..., 0], f[..., 1], f[..., 2], f[..., 3] = (i * 37) % 256, (i * 11) % 256, 90, 255
        yield f


def _outline(tr, plan):
    """The deck's words, as a backend passes them to the writer (from the run's story)."""
    from scenes.story.deck import deck_outline
    from scenes.story.story import Story
    return deck_outline(Story(tr), plan)


def write_tiny_deck(tr, path, **options):
    plan = plan_of(tr, TINY)
    with get_writer("pptx", outline=_outline(tr, plan), frame_plan=plan, **options).saving(path, (160, 90), TINY.fps) as w:
        for f in _frames(plan):
            w.grab_frame(f)
    return plan


def test_a_deck_over_its_size_budget_leaves_nothing_and_keeps_the_old_file(runs, tmp_path, one_line):
    target = tmp_path / "deck.pptx"
    target.write_bytes(b"the earlier deck")
    with pytest.raises(InputError) as e:
        write_tiny_deck(runs["sgd"], target, max_mb=0.001)
    one_line(e.value, "MB", "size budget", "--detail-steps 1")
    assert target.read_bytes() == b"the earlier deck"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["deck.pptx"]


def test_a_backend_sending_too_few_frames_fails_and_leaves_nothing(runs, tmp_path):
    tr = runs["sgd"]
    plan = plan_of(tr, TINY)
    with pytest.raises(RuntimeError, match="frames"):
        with get_writer("pptx", outline=_outline(tr, plan), frame_plan=plan).saving(tmp_path / "d.pptx", (160, 90), TINY.fps) as w:
            for f in list(_frames(plan))[:-2]:
                w.grab_frame(f)
    assert list(tmp_path.iterdir()) == []


# ------------------------------------------------------------------ the deck, re-read
def check_deck(path: Path, tr, plan, frame_size: tuple[int, int]) -> None:
    """Re-read a deck: one slide per beat plus title, fast-forward and final; each video
    slide holds its MP4 (the segment's frames), a poster and the autoplay timing; the notes
    carry that batch's numbers."""
    import av
    from pptx import Presentation
    from pptx.enum.shapes import MSO_SHAPE_TYPE

    prs = Presentation(str(path))
    segs = [s for s in plan.segments()]
    beats = [s for s in segs if s.beat in (FORWARD, RESIDUALS, GRADIENT, UPDATE)]
    has_fast = any(s.beat == FAST for s in segs)
    assert len(beats) == 4 * plan.detail_steps
    # A detailed step whose autograd graph was recorded also gets a still slide of the graph
    # after each of its four beats (tests/render/test_graph_drawn.py checks those slides).
    graphed = {g["step"] for g in tr.graphs} & set(range(plan.detail_steps))
    assert len(prs.slides) == len(beats) + 2 + has_fast + 4 * len(graphed)  # + title, fast-forward, final
    assert prs.slide_width == 12_192_000 and prs.slide_height == round(12_192_000 * frame_size[1] / frame_size[0])
    slides = list(prs.slides)
    stills = [sl for sl in slides[1:-1] if not any(sh.shape_type == MSO_SHAPE_TYPE.MEDIA for sh in sl.shapes)]
    assert len(stills) == 4 * len(graphed)
    slides = [sl for sl in slides if sl not in stills]
    clips = [s for s in segs if s.beat in CLIP_BEATS]
    assert media_slides(plan) == len(clips) == len(slides) - 2
    story = Story(tr)
    updates = hand_updates(tr)
    for slide, seg in zip(slides[1:-1], clips):
        movies = [sh for sh in slide.shapes if sh.shape_type == MSO_SHAPE_TYPE.MEDIA]
        assert len(movies) == 1, "each video slide holds one movie"
        movie = movies[0]
        assert (movie.left, movie.top, movie.width, movie.height) == (0, 0, prs.slide_width, prs.slide_height)
        rels = {r.reltype.rsplit("/", 1)[-1]: r for r in slide.part.rels.values()}
        media = rels["media"].target_part
        assert media.content_type == "video/mp4"
        poster = slide.part.related_part(movie._element.xpath(".//a:blip/@r:embed")[0])
        assert poster.content_type == "image/png" and len(poster.blob) > 100
        import io
        with av.open(io.BytesIO(media.blob)) as c:
            s = c.streams.video[0]
            assert (s.codec_context.name, s.codec_context.width, s.codec_context.height) == ("h264", *frame_size)
            assert sum(1 for _ in c.decode(s)) == seg.n_frames
        # autoplay: "Start: Automatically", a playFrom(0.0) call after the slide begins
        timing = slide._element.find(f"{P}timing")
        cmd = timing.find(f".//{P}cmd")
        assert cmd.get("cmd") == "playFrom(0.0)" and cmd.get("type") == "call"
        assert cmd.find(f".//{P}spTgt").get("spid") == str(movie.shape_id)
        effect = timing.find(f".//{P}cTn[@presetClass='mediacall']")
        assert effect.get("nodeType") == "afterEffect"
        assert timing.find(f".//{P}cond[@evt='onBegin']") is not None
        assert timing.find(f".//{P}video//{P}spTgt").get("spid") == str(movie.shape_id)
        ids = [int(n.get("id")) for n in timing.iter(f"{P}cTn")]
        assert len(ids) == len(set(ids))
        notes = slide.notes_slide.notes_text_frame.text
        k = int(seg.steps[0])
        assert notes == slide_notes(story, seg.beat, k, int(seg.steps[-1]))
        if seg.beat != FAST:
            check_notes_hold_batch(notes, tr, k, updates[k])
    for slide, words in ((slides[0], "learning rate"), (slides[-1], "least squares")):
        pics = [sh for sh in slide.shapes if sh.shape_type == MSO_SHAPE_TYPE.PICTURE]
        assert len(pics) == 1 and pics[0].image.content_type == "image/png"
        assert words in " ".join(sh.text_frame.text for sh in slide.shapes if sh.has_text_frame)
        assert slide._element.find(f"{P}timing") is None  # no media, no timing


def test_the_deck_writer_cuts_frames_into_clips_and_notes(runs, tmp_path):
    tr = runs["momentum"]
    plan = write_tiny_deck(tr, tmp_path / "d.pptx")
    check_deck(tmp_path / "d.pptx", tr, plan, (160, 90))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d.pptx"]


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["matplotlib", "manim"])
def test_cli_writes_a_deck_with_either_backend(backend, tmp_path, capsys):
    if backend == "manim":
        pytest.importorskip("manim")
    import render
    from training.trace import Trace

    out = tmp_path / "out"
    args = ["--format", "pptx,png", "--detail-steps", "1", "--epochs", "5", "--duration", "3",
            "--out", str(out), "--quiet"]
    args += ["--backend", "manim", "--quality", "low"] if backend == "manim" else ["--size", "480x270", "--fps", "10"]
    assert render.main(args) == 0, capsys.readouterr().err
    assert sorted(p.name for p in out.iterdir()) == ["config.toml", "sgd.png", "sgd.pptx", "trace.json"]
    tr = Trace.from_file(out / "trace.json")
    fps, size = (15, (854, 480)) if backend == "manim" else (10, (480, 270))
    plan = plan_of(tr, PlanSettings(fps=fps, detail_steps=1, target_duration=3))
    check_deck(out / "sgd.pptx", tr, plan, size)


@pytest.mark.slow
def test_libreoffice_opens_the_deck(runs, tmp_path):
    """LibreOffice converts the deck to PDF, a page per slide (skipped without soffice)."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        pytest.skip("LibreOffice is not installed (apt-get install libreoffice-impress to run this check)")
    tr = runs["sgd"]
    write_tiny_deck(tr, tmp_path / "d.pptx")
    subprocess.run([soffice, "--headless", "--convert-to", "pdf", "--outdir", str(tmp_path), str(tmp_path / "d.pptx")],
                   check=True, capture_output=True, timeout=300)
    pdf = (tmp_path / "d.pdf").read_bytes()
    pages = len(re.findall(rb"/Type\s*/Page(?!s)", pdf))
    assert pages == len(list(__import__("pptx").Presentation(str(tmp_path / "d.pptx")).slides))
