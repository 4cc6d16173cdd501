"""Talks and articles (#12): WebVTT captions and soft subtitle tracks, the presenter page
(``--format slides``) and vector posters (``--format svg,pdf``).

Cue times are checked against beat boundaries found directly in the plan's arrays; the
posters' numbers against a hand-written float64 SGD loop; the presenter page key by key in
headless Chromium. Rendering tests are small (480x270, 10 fps, one detail step).
"""
from __future__ import annotations

import re
import time
import xml.etree.ElementTree as ET
import zlib
from pathlib import Path

import numpy as np
import pytest

import render
from scenes.mpl.views import _fmt as number  # how the poster writes numbers
from scenes.story import Story
from scenes.story.notes import num, slide_notes
from scenes.story.plan import BEATS, FAST, PlanSettings
from scenes.writers.vtt import cue_ms, frame_at, parse_vtt, timestamp, vtt_text
from tests import browser
from tests.helpers import ROOT
from training.config import TrainConfig
from training.recorder import record

SMALL = ["--size", "480x270", "--fps", "10", "--detail-steps", "1", "--quiet"]


@pytest.fixture(scope="module")
def trace():
    return record(TrainConfig(epochs=8))


@pytest.fixture(scope="module")
def trace_file(trace, tmp_path_factory):
    return trace.to_file(tmp_path_factory.mktemp("trace") / "trace.json")


def boundaries(plan) -> list[int]:
    """Where a new beat starts, read off the plan's arrays: the beat changes, or (outside the
    fast-forward, which sweeps many steps in one beat) the step does."""
    cuts = [0]
    for i in range(1, len(plan)):
        b0, b1 = int(plan.beat[i - 1]), int(plan.beat[i])
        if b0 != b1 or (b1 != FAST and plan.step[i] != plan.step[i - 1]):
            cuts.append(i)
    return cuts + [len(plan)]


# ------------------------------------------------------------------ the VTT
def test_timestamps():
    assert timestamp(0) == "00:00:00.000"
    assert timestamp(3_723_004) == "01:02:03.004"
    assert cue_ms(1, 30) == 34 and cue_ms(3, 30) == 100  # rounded up into the frame


@pytest.mark.parametrize("fps", [7, 10, 24, 25, 30, 60, 120])
def test_vtt_cues_are_the_plans_beat_boundaries_to_the_frame(trace, fps):
    story = Story(trace)
    plan = story.plan(PlanSettings(fps=fps, detail_steps=2))
    cues = parse_vtt(vtt_text(story.captions(plan), fps))
    cuts = boundaries(plan)
    assert len(cues) == len(cuts) - 1
    for (start, stop, text), f0, f1 in zip(cues, cuts[:-1], cuts[1:]):
        # Each time falls inside its frame's display interval [f/fps, (f+1)/fps) ...
        assert f0 / fps <= start / 1000 < (f0 + 1) / fps
        assert f1 / fps <= stop / 1000 < (f1 + 1) / fps
        # ... so it maps back to exactly that frame, and the text is the beat's caption.
        assert (frame_at(start, fps), frame_at(stop, fps)) == (f0, f1)
        seg_steps = plan.step[f0:f1]
        assert text == story.caption(int(plan.beat[f0]), int(seg_steps[0]), int(seg_steps[-1]))
    assert cues[-1][1] == cue_ms(len(plan), fps)  # the last cue ends with the video


def test_vtt_text_is_escaped_and_one_line_per_cue():
    text = vtt_text([(0, 5, "a < b & c\nd --> e"), (5, 5, "empty: dropped")], 10)
    assert text.startswith("WEBVTT\n\n")
    assert "a &lt; b &amp; c d --&gt; e" in text and "empty" not in text
    assert parse_vtt(text) == [(0, 500, "a < b & c d --> e")]


# ------------------------------------------------------------------ speaker notes
def test_notes_hold_the_batch_numbers_of_an_independent_computation(trace):
    """Step 1 of the article's run, recomputed in float64 from the data and the settings: the
    presenter page's note of each beat of step 1 carries the batch's whole table, L, the
    gradient and the update (the deck's notes: test_deck checks them in depth)."""
    story = Story(trace)
    plan = story.plan(PlanSettings(detail_steps=1))
    notes = {BEATS[g.beat]: n for g, n in zip(plan.segments(), story.notes(plan))}
    x, y = np.asarray(trace.x[:2], float), np.asarray(trace.y[:2], float)  # no shuffle: the first batch
    a, b, lr = trace.settings.init_a, trace.settings.init_b, trace.settings.lr
    pred = a * x + b
    res = pred - y
    ga, gb = np.mean(2 * res * x), np.mean(2 * res)
    tol = 1e-4  # five significant digits shown; float32 autograd against float64

    def shown(line: str) -> list[float]:
        return [float(v.replace("−", "-")) for v in re.findall(r"−?\d+(?:\.\d+)?(?:e[−+]?\d+)?", line)]
    for beat in ("forward", "residuals", "gradient", "update"):
        lines = notes[beat]
        rows = np.array([shown(line) for line in lines[2:4]])
        assert np.allclose(rows, np.column_stack([x, y, pred, res, 2 / 2 * res * x, 2 / 2 * res]), atol=tol), beat
        joined = "\n".join(lines)
        assert f"L = mean((ŷ − y)²) = {num(np.mean(res ** 2))}" in joined
        assert f"∂L/∂a = {num(ga)}, ∂L/∂b = {num(gb)}" in joined
        assert f"Δa = {num(-lr * ga)}, Δb = {num(-lr * gb)}" in joined
    hold = " ".join(notes["hold"])
    assert f"a = {num(trace.final_a)}, b = {num(trace.final_b)}" in hold
    # The deck and manim-slides carry the same lines under the caption.
    g = plan.segments()[1]
    assert slide_notes(story, g.beat, int(g.steps[0])).split("\n")[2:] == notes[BEATS[g.beat]]


def test_the_export_carries_one_note_per_segment(trace):
    from scenes.web.export import export_story
    story = Story(trace)
    doc = export_story(story, PlanSettings(fps=10), contours=False)
    assert len(doc["plan"]["notes"]) == len(doc["plan"]["segments"]) == len(doc["plan"]["captions"])
    assert all(lines and all(isinstance(s, str) and s for s in lines) for lines in doc["plan"]["notes"])


# ------------------------------------------------------------------ bad input
@pytest.mark.parametrize("argv, words", [
    (["--backend", "manim", "--format", "svg"], ["manim backend cannot write svg", "it writes:"]),
    (["--backend", "manim", "--format", "mp4,pdf"], ["manim backend cannot write pdf"]),
    (["--format", "odp"], ["unknown format 'odp'"]),
    (["--captions", "maybe"], ["captions must be on or off"]),
])
def test_bad_formats_and_flags_are_one_line_and_exit_2(tmp_path, capsys, argv, words):
    out = tmp_path / "o"
    code = render.main([*argv, "--out", str(out), "--trace", str(ROOT / "nonexistent.json")])
    err = capsys.readouterr().err
    assert code == 2, err
    assert len(err.splitlines()) == 1 and err.startswith("sgd-anim: error:"), err
    for w in words:
        assert w in err, err
    assert not out.exists()


def test_captions_in_a_config_file(tmp_path, capsys):
    from scenes.job import build_job, job_to_toml, load_config_file
    cfg = tmp_path / "c.toml"
    cfg.write_text('[render]\ncaptions = false\nformats = ["mp4", "slides"]\n', encoding="utf-8")
    job = build_job([load_config_file(cfg)])
    assert job.render.captions is False and job.render.formats == ("mp4", "slides")
    again = tmp_path / "again.toml"
    again.write_text(job_to_toml(job), encoding="utf-8")
    assert build_job([load_config_file(again)]).render.captions is False
    cfg.write_text('[render]\ncaptions = "sometimes"\n', encoding="utf-8")
    code = render.main(["--config", str(cfg), "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert code == 2 and len(err.splitlines()) == 1 and "captions must be on or off" in err
    assert not (tmp_path / "o").exists()


# ------------------------------------------------------------------ rendering (slow)
def _subtitles(path: Path) -> tuple[str, list[tuple[int, str]]]:
    """The subtitle codec and (start in ms, text) of every cue of a video, decoded with PyAV."""
    import av
    with av.open(str(path)) as c:
        (s,) = c.streams.subtitles
        cues = []
        for pkt in c.demux(s):
            if pkt.size == 0:
                continue
            for sub in pkt.decode():
                cues.append((int(round(pkt.pts * s.time_base * 1000)), sub.dialogue.decode("utf-8")))
        return s.codec_context.name, cues


@pytest.mark.slow
def test_videos_carry_the_captions_as_a_soft_track(trace_file, trace, tmp_path):
    out = tmp_path / "o"
    assert render.main(["--trace", str(trace_file), "--format", "mp4,webm,gif", "--out", str(out), *SMALL]) == 0
    story = Story(trace)
    plan = story.plan(PlanSettings(fps=10, detail_steps=1))
    expected = [(cue_ms(a, 10), text) for a, _, text in story.captions(plan)]
    assert [(a, t) for a, _, t in parse_vtt((out / "sgd.vtt").read_text(encoding="utf-8"))] == expected
    for name, codec in (("sgd.mp4", "mov_text"), ("sgd.webm", "webvtt")):
        got_codec, cues = _subtitles(out / name)
        assert got_codec == codec
        assert cues == expected, name
    import av
    with av.open(str(out / "sgd.mp4")) as c:
        assert c.streams.subtitles[0].metadata.get("language") == "eng"


@pytest.mark.slow
def test_captions_off_writes_no_vtt_and_no_track(trace_file, tmp_path):
    import av
    out = tmp_path / "o"
    assert render.main(["--trace", str(trace_file), "--format", "mp4,gif", "--captions", "off",
                        "--out", str(out), *SMALL]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["config.toml", "sgd.gif", "sgd.mp4", "trace.json"]
    with av.open(str(out / "sgd.mp4")) as c:
        assert not c.streams.subtitles
    assert "captions = false" in (out / "config.toml").read_text(encoding="utf-8")


@pytest.mark.slow
def test_a_failed_render_leaves_no_vtt(trace, tmp_path, monkeypatch):
    from scenes.mpl.render import render_matplotlib
    from scenes.writers import ffmpeg
    real, calls = ffmpeg.FFmpegWriter.grab_frame, {"n": 0}

    def failing(self, frame):
        calls["n"] += 1
        if calls["n"] == 15:
            raise OSError(28, "No space left on device")
        return real(self, frame)
    monkeypatch.setattr(ffmpeg.FFmpegWriter, "grab_frame", failing)
    with pytest.raises(OSError):
        render_matplotlib(trace, tmp_path, formats=("mp4",), fps=10, size=(480, 270),
                          plan=PlanSettings(detail_steps=1))
    assert list(tmp_path.iterdir()) == []


def _sgd_by_hand(trace) -> tuple[float, float]:
    """The article's loop in float64: batches in order, the last short one dropped."""
    s = trace.settings
    assert s.optimizer == "sgd" and not s.shuffle and s.drop_last
    x, y = np.asarray(trace.x, float), np.asarray(trace.y, float)
    a, b, bs = s.init_a, s.init_b, s.batch_size
    for _ in range(s.epochs):
        for i in range(0, len(x) // bs * bs, bs):
            r = a * x[i:i + bs] + b - y[i:i + bs]
            a, b = a - s.lr * np.mean(2 * r * x[i:i + bs]), b - s.lr * np.mean(2 * r)
    return a, b


def _final_line(texts: list[str]) -> tuple[float, float]:
    (line,) = [t for t in texts if t.startswith("final:")]
    m = re.fullmatch(r"final:\s+a = (\S+)\s+b = (\S+)", line)
    return tuple(float(v.replace("−", "-")) for v in m.groups())


@pytest.mark.slow
def test_vector_posters_keep_the_final_a_and_b_as_text(trace_file, trace, tmp_path):
    out = tmp_path / "o"
    assert render.main(["--trace", str(trace_file), "--format", "svg,pdf,png,slides", "--out", str(out), *SMALL]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["config.toml", "sgd.pdf", "sgd.png", "sgd.slides.html",
                                                     "sgd.svg", "trace.json"]  # no .vtt: no video
    a_ref, b_ref = _sgd_by_hand(trace)
    # SVG: <text> elements (text kept as text), one of them the final a and b.
    root = ET.parse(out / "sgd.svg").getroot()
    texts = [" ".join("".join(e.itertext()).split()) for e in root.iter("{http://www.w3.org/2000/svg}text")]
    assert len(texts) > 40
    a, b = _final_line(texts)
    assert abs(a - a_ref) < 1e-4 and abs(b - b_ref) < 1e-4
    assert f"a = {number(trace.final_a)}" in " ".join(texts)
    (final,) = [e for e in root.iter("{http://www.w3.org/2000/svg}text") if (e.text or "").startswith("final:")]
    assert "white-space: pre" in final.get("style")  # its spaced columns are not collapsed
    assert root.get("width") == "480pt" or root.get("viewBox") is not None
    # PDF: a PDF with embedded TrueType fonts, and the same line among its text operators
    # (matplotlib writes Type 42 text as two-byte codes: the low byte is the character here).
    pdf = (out / "sgd.pdf").read_bytes()
    assert pdf.startswith(b"%PDF-1.") and b"/FontFile2" in pdf
    content = b"".join(zlib.decompress(m.group(1)) for m in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S)
                       if m.group(1)[:1] == b"x")
    lines = []
    for arr in re.findall(rb"\[(.*?)\]\s*TJ", content, re.S):
        lines.append(b"".join(re.findall(rb"\(((?:\\.|[^\\)])*)\)", arr, re.S)).replace(b"\x00", b"").decode("latin-1"))
    assert any(number(trace.final_a).replace("−", "-") in t for t in lines) or \
        any(number(trace.final_a)[1:] in t for t in lines), lines[:20]


@pytest.mark.slow
def test_the_manim_backend_keeps_png_posters_only(trace, tmp_path):
    from scenes.api import render as api_render
    from training.errors import InputError
    with pytest.raises(InputError, match="manim backend cannot write svg"):
        api_render(trace, tmp_path, backend="manim", formats=["svg"])
    assert list(tmp_path.iterdir()) == []


# ------------------------------------------------------------------ presenter mode (Chromium)
needs_browser = pytest.mark.skipif(browser.missing() is not None, reason=str(browser.missing()))


@needs_browser
@pytest.mark.slow
@pytest.mark.browser
def test_presenter_mode_moves_exactly_one_beat_per_key_press(trace, tmp_path):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys

    from scenes.web.page import render_slides
    story = Story(trace)
    settings = PlanSettings(fps=10, detail_steps=2)
    plan = story.plan(settings)
    segs, caps, notes = plan.segments(), story.captions(plan), story.notes(plan)
    page = render_slides(trace, tmp_path, plan=settings)
    assert page.name == "sgd.slides.html"

    def state(d):
        return d.execute_script(
            "var p = document.getElementById('sgd-player');"
            "return [parseInt(p.getAttribute('data-slide'), 10), p.getAttribute('data-beat'),"
            " document.getElementById('sgd-caption').textContent,"
            " Array.prototype.map.call(document.querySelectorAll('#sgd-note-lines li'), function (l) { return l.textContent; }),"
            " document.getElementById('sgd-slide').textContent]")

    def expect(d, i):
        slide, beat, caption, lines, counter = state(d)
        assert slide == i and beat == BEATS[segs[i].beat], (i, slide, beat)
        assert caption == caps[i][2] and lines == notes[i] and counter == f"{i + 1} / {len(segs)}"

    with browser.chrome(1280, 720) as d:
        browser.open_page(d, page)
        assert d.execute_script("return document.body.classList.contains('sgd-presenter')")
        assert not d.find_element("id", "sgd-notes").get_attribute("hidden")
        assert not d.find_element("id", "sgd-play").is_displayed()  # no controls: the keys drive it
        expect(d, 0)
        keys = [Keys.ARROW_RIGHT, Keys.SPACE, Keys.PAGE_DOWN]
        for i in range(1, len(segs)):  # pressed at once: a beat still playing is left, not skipped twice
            ActionChains(d).send_keys(keys[i % 3]).perform()
            expect(d, i)
        ActionChains(d).send_keys(Keys.ARROW_RIGHT).perform()  # past the end: stays
        expect(d, len(segs) - 1)
        for i in range(len(segs) - 2, len(segs) - 5, -1):
            ActionChains(d).send_keys(Keys.ARROW_LEFT if i % 2 else Keys.PAGE_UP).perform()
            expect(d, i)
        ActionChains(d).send_keys(Keys.HOME).perform()
        expect(d, 0)
        ActionChains(d).send_keys(Keys.ARROW_RIGHT).perform()  # a beat plays to its last frame
        g = segs[1]
        deadline = time.time() + 10
        while d.execute_script("return window.sgdPlayer.state().frame") != g.stop - 1 and time.time() < deadline:
            time.sleep(0.05)
        assert d.execute_script("return window.sgdPlayer.state().frame") == g.stop - 1
        assert d.execute_script("return window.sgdPlayer.state().playing") is False
        ActionChains(d).send_keys(Keys.END).perform()
        expect(d, len(segs) - 1)
        ActionChains(d).send_keys("n").perform()  # notes off and on
        assert d.find_element("id", "sgd-notes").get_attribute("hidden")
        ActionChains(d).send_keys("n").perform()
        assert not d.find_element("id", "sgd-notes").get_attribute("hidden")
        ActionChains(d).send_keys("f").perform()  # full screen asked for; refused or not, no error
        # Offline: nothing but the page itself was requested, nothing went wrong in the console.
        asked = browser.requests(d)
        assert asked and all(u.split("#")[0] == page.resolve().as_uri() for u in asked), asked
        assert not [m for m in browser.console(d) if m["level"] in ("SEVERE", "ERROR")]
