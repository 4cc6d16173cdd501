"""The web player's data and page, without a browser: the exported story against the story it
came from (exact numbers, the reveal rules, arrows, the loss axis), the page's safety
(Content-Security-Policy, escaping, no remote reference), its size budget, and the html
format through the job, the command line and the Python API."""
from __future__ import annotations

import html as html_module
import json
import re
import tomllib

import numpy as np
import pytest

import render
import scenes
from scenes.job import BACKENDS, build_job, check_formats
from scenes.story import Story
from scenes.story.frames import Reveal, apply_reveal
from scenes.web import export as ex
from scenes.web.page import player_page, player_script
from tests.helpers import ROOT
from training.config import TrainConfig
from training.errors import InputError
from training.recorder import record

DATA_BLOCK = re.compile(r'<script type="application/json" id="sgd-story">(.*?)</script>', re.S)


def page_document(page: str) -> dict:
    return json.loads(DATA_BLOCK.search(page).group(1))


@pytest.fixture(scope="module")
def runs():
    return {"sgd": record(TrainConfig(epochs=30)),
            "momentum": record(TrainConfig(epochs=20, optimizer="momentum", batch_size=1)),
            "adam": record(TrainConfig(epochs=10, optimizer="adam")),
            "diverged": record(TrainConfig(lr=1.0, batch_size=1))}


@pytest.fixture(scope="module", params=["sgd", "momentum", "adam", "diverged"])
def exported(request, runs):
    story = Story(runs[request.param])
    return story, ex.export_story(story, theme=None, contours=False)


def test_numbers_are_exported_exactly(exported):
    story, doc = exported
    tr = story.trace
    for col in ("a", "b", "loss", "full_loss", "grad_a", "grad_b", "update_a", "update_b"):
        assert np.array_equal(ex.decode(doc["steps"][col]).astype(np.float64), getattr(story, col)), col
    assert np.array_equal(ex.decode(doc["steps"]["epoch"]), story.epoch)
    assert np.array_equal(ex.decode(doc["data"]["x"]).astype(np.float64), tr.x)
    bt = doc["batches"]
    off = ex.decode(bt["offsets"])
    for k in (0, 1, story.n // 2, story.n - 1):
        xb, yb, pred, res = story.batch(k)
        sa, sb = story.shares(k)
        rows = slice(off[k], off[k + 1])
        assert np.array_equal(tr.x[ex.decode(bt["index"])[rows]], xb)
        assert np.array_equal(ex.decode(bt["pred"])[rows].astype(np.float64), pred)
        assert np.array_equal(ex.decode(bt["residual"])[rows].astype(np.float64), res)
        assert np.array_equal(ex.decode(bt["share_a"])[rows].astype(np.float64), sa)  # bit for bit
        assert np.array_equal(ex.decode(bt["share_b"])[rows].astype(np.float64), sb)
    assert doc["final"] == {"a": tr.final_a, "b": tr.final_b, "full_loss": tr.final_full_loss}


def test_whole_number_columns_take_the_smallest_type_that_holds_them():
    for values, dtype in (([0, 5, 255], "u8"), ([0, 256], "u16"), ([0, 65536], "i32"), ([-1, 3], "i32"), ([], "u8")):
        enc = ex.encode(np.asarray(values, dtype=np.int64), "index")
        assert enc["dtype"] == dtype and ex.decode(enc).tolist() == values


def test_contour_paths_round_trip_in_python_and_in_the_player(tmp_path):
    """encode_paths (steps between vertices, zigzag varints) read back by Python and by the
    player's decodePaths (player/decode.js, under Node) as the player holds paths: (u, v)
    pairs, each path followed by 65535."""
    import shutil
    import subprocess

    rng = np.random.default_rng(3)
    paths = [np.zeros((0, 2)), np.array([[0, 65534]]), rng.integers(0, 65535, (50, 2)),
             np.cumsum(rng.integers(-60, 60, (400, 2)), axis=0) + 30000]
    want = np.concatenate([np.append(np.asarray(p, dtype=np.int64).ravel(), 65535) for p in paths])
    enc = ex.encode_paths(paths)
    assert enc["dtype"] == "paths" and np.array_equal(ex.decode_paths(enc), want)
    assert len(ex.encode_paths(paths[3:])["b64"]) < 0.8 * len(ex.encode(paths[3].ravel(), "u16")["b64"])
    with pytest.raises(ValueError):
        ex.encode_paths([np.array([[0, 65535]])])
    node = shutil.which("node")
    if node is None:
        return
    runner = tmp_path / "paths.js"
    runner.write_text("const SGD = {}; globalThis.SGD = SGD;\n"
                      + (ROOT / "scenes/web/player/decode.js").read_text(encoding="utf-8")
                      + "\nprocess.stdout.write(JSON.stringify(Array.from(SGD.decodePaths(JSON.parse(process.argv[2])))));\n",
                      encoding="utf-8")
    done = subprocess.run([node, str(runner), json.dumps(enc)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == want.tolist()


def test_exact_columns_fall_back_to_float64_when_float32_would_round():
    v = np.array([0.1, 1 / 3, 2.5])  # 0.1 and 1/3 are not float32 numbers
    enc = ex.encode(v, "exact")
    assert enc["dtype"] == "f64" and np.array_equal(ex.decode(enc), v)
    enc = ex.encode(np.float32([0.1, 2.5]).astype(np.float64), "exact")
    assert enc["dtype"] == "f32"


def test_reveal_tables_reproduce_every_frame_state(exported):
    """The exported rules, applied as the player applies them, give story.state for every
    frame of the plan: the player cannot show a beat differently from the video."""
    story, doc = exported
    plan = story.plan()
    fields = [f for f in Reveal.__dataclass_fields__]
    for seg in doc["plan"]["segments"]:
        table = doc["plan"]["reveals"][seg["reveal"]]
        steps = ex.decode(seg["steps"]) if "steps" in seg else None
        for j in range(seg["n"]):
            i = seg["start"] + j
            rule = Reveal(**{f: table[f][j] if isinstance(table[f], list) else table[f] for f in fields})
            k = int(steps[j]) if steps is not None else seg["step"]
            t = table["t"][j]
            assert (k, seg["beat"], t) == plan.frame(i)
            assert apply_reveal(story, k, seg["beat"], t, rule) == story.state(*plan.frame(i))
    captions = doc["plan"]["captions"]
    assert [captions[s["caption"]] for s in doc["plan"]["segments"]] == [c for _, _, c in story.captions(plan)]


def reference_arrows(story: Story, k: int, grow: float) -> dict:
    """The arrows of step k by their written definition, step by step: each step vector
    (Story.vectors) magnified by arrow_scale[k] and grown to ``grow``, left out when shorter
    than HIDDEN_ARROW of the view, cut where it leaves the view (along the arrow)."""
    g = story.geom.params
    a0, b0 = story.ab_before(k)
    if not g.contains(a0, b0):
        return {}
    span = (g.x1 - g.x0, g.y1 - g.y0)
    out = {}
    for key, (da, db) in story.vectors(k).items():
        f = grow * float(story.arrow_scale[k])
        if np.hypot(da / span[0], db / span[1]) * f < ex.HIDDEN_ARROW:
            continue
        inside = 1.0
        for p, d, lo, hi in ((a0, da * f, g.x0, g.x1), (b0, db * f, g.y0, g.y1)):
            if p + d > hi:
                inside = min(inside, (hi - p) / d)
            elif p + d < lo:
                inside = min(inside, (lo - p) / d)
        out[key] = (np.array([a0 + inside * f * da, b0 + inside * f * db]), inside < 1.0)
    return out


def test_exported_arrows_are_the_written_definition(exported):
    """The exported table (magnified vector and the fraction inside the view), applied as the
    player applies it, gives each step's arrows as defined (an independent computation here);
    and Story.arrows, which the videos draw, agrees."""
    story, doc = exported
    g = story.geom.params
    span = np.array([g.x1 - g.x0, g.y1 - g.y0])
    cols = {key: tuple(ex.decode(doc["arrows"][key][c]).astype(np.float64) for c in ("va", "vb", "inside"))
            for key in doc["arrows"]["keys"]}
    checked = clipped = 0
    for k in range(story.n):
        for grow in (0.05, 0.4, 1.0):
            want = reference_arrows(story, k, grow)
            got = {}
            for key, (va, vb, inside) in cols.items():
                if np.isnan(inside[k]) or np.hypot(va[k] / span[0], vb[k] / span[1]) * grow < ex.HIDDEN_ARROW:
                    continue
                f = min(grow, inside[k])
                got[key] = (np.array([story.a[k] + f * va[k], story.b[k] + f * vb[k]]), bool(grow > inside[k]))
            drawn = story.arrows(k, grow)
            assert set(got) == set(want) == set(drawn), (k, grow)
            for key, (end, cut) in want.items():
                # float32 in the document: a millionth of the view is far below a pixel
                assert np.allclose(got[key][0] / span, end / span, rtol=0, atol=1e-6), (k, grow, key)
                assert np.allclose(np.array(drawn[key].end) / span, end / span, rtol=0, atol=1e-12)
                assert got[key][1] == cut == drawn[key].clipped
                checked += 1
                clipped += cut
    assert checked > 0
    if story.trace.status.diverged:
        assert clipped > 0  # the diverging run's arrows leave the view, and say so


def test_loss_axis_is_matplotlibs_and_legends_sit_where_the_curves_leave_room(runs):
    """The loss view's scale and limits are the matplotlib view's. Each legend goes in the
    corner of its view that the whole run's curves (or path) cross least, counted here
    point by point."""
    from scenes.mpl.views import Scene
    from scenes.story.theme import load_theme

    corners = {"upper right": (0.5, 1, 0.62, 1), "lower right": (0.5, 1, 0, 0.38),
               "upper left": (0, 0.5, 0.62, 1), "lower left": (0, 0.5, 0, 0.38)}

    def crowd(u, v, corner):
        ul, uh, vl, vh = corners[corner]
        return int(np.sum((u >= ul) & (u <= uh) & (v >= vl) & (v <= vh)))

    for tr in runs.values():
        scene = Scene(tr, load_theme("light"), size=(640, 360))
        story = scene.story
        axis = ex.loss_axis(story)
        ax = scene.axes["loss"]
        assert np.allclose(ax.get_ylim(), axis["y"]) and np.allclose(ax.get_xlim(), axis["x"])
        assert (ax.get_yscale() == "log") == axis["log"]
        steps = np.arange(story.n, dtype=float)
        (y0, y1), (x0, x1) = axis["y"], axis["x"]
        losses = np.clip(np.concatenate([story.loss, story.full_loss]), y0, y1)
        v = (np.log(losses) - np.log(y0)) / (np.log(y1) - np.log(y0)) if axis["log"] else (losses - y0) / (y1 - y0)
        u = (np.concatenate([steps, steps]) - x0) / (x1 - x0)
        assert crowd(u, v, axis["legend"]) == min(crowd(u, v, c) for c in corners)
        g = story.geom.params
        pu = (np.append(story.path_a, story.geom.optimum[0]) - g.x0) / (g.x1 - g.x0)
        pv = (np.append(story.path_b, story.geom.optimum[1]) - g.y0) / (g.y1 - g.y0)
        corner = ex.params_legend_corner(story)
        assert crowd(pu, pv, corner) == min(crowd(pu, pv, c) for c in corners)


def test_document_is_versioned_and_the_page_forbids_every_load(runs):
    page = player_page(runs["momentum"], theme="dark")
    doc = page_document(page)
    assert doc["format"] == "sgd-anim-player" and doc["version"] == ex.VERSION == 1
    assert doc["theme"]["name"] == "dark" and doc["stories"][0]["carry"] == "momentum carried"
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', page).group(1)
    assert "default-src 'none'" in csp and "connect-src 'none'" in csp and "'unsafe-inline'" not in csp
    assert re.search(r"script-src 'sha256-[A-Za-z0-9+/=]+'", csp)
    assert not re.search(r"https?://", page), "a remote reference in the page"
    assert not re.search(r"<(link|img|iframe|object|embed)\b", page) and "src=" not in page


def test_text_from_a_theme_file_cannot_break_out_of_the_page(tmp_path, runs):
    """A theme's name and font are the only free text a page carries (captions and labels are
    made from numbers): inside the JSON block they cannot end it, and the script only ever
    sets text (textContent), never markup."""
    evil = '</script><script>alert(1)</script><!-- & "quoted" \u2028'
    theme = tmp_path / "evil.toml"
    theme.write_text((ROOT / "assets" / "themes" / "light.toml").read_text(encoding="utf-8")
                     .replace('name = "light"', f"name = {json.dumps(evil)}")
                     .replace('font_family = "DejaVu Sans"', f"font_family = {json.dumps(evil)}"), encoding="utf-8")
    page = player_page(runs["sgd"], theme=str(theme))
    assert page.count("<script") == 2 and page.count("</script>") == 2 and "alert(1)</script>" not in page
    assert page_document(page)["theme"]["name"] == evil and page_document(page)["theme"]["font_family"] == evil
    script = player_script()
    assert "innerHTML" not in script and "insertAdjacentHTML" not in script and "eval(" not in script


def test_default_page_is_within_the_article_budget(runs):
    page = player_page(record(TrainConfig()))
    assert len(page.encode("utf-8")) <= 400_000


def test_html_is_a_format_of_every_backend_and_explore_needs_it_alone():
    for backend in BACKENDS:
        assert check_formats(backend, "mp4,html") == ("mp4", "html")
    assert build_job([{"formats": "html", "explore": True}]).render.explore
    with pytest.raises(InputError, match="--explore writes the html explorer only"):
        build_job([{"formats": "html,gif", "explore": True}])


def test_cli_writes_the_page_and_config_toml_keeps_explore(tmp_path, capsys, one_line):
    out = tmp_path / "out"
    assert render.main(["--format", "html", "--epochs", "5", "--out", str(out), "--quiet"]) == 0
    page = (out / "sgd.html").read_text(encoding="utf-8")
    assert page_document(page)["stories"][0]["run"]["n_steps"] == 15
    assert sorted(p.name for p in out.iterdir()) == ["config.toml", "sgd.html", "trace.json"]
    # Bad input: one line on stderr, exit 2, nothing written.
    for argv, words in ((["--explore", "--format", "html", "--optimizer", "adam"], ("--explore", "adam")),
                        (["--explore", "--format", "html,mp4"], ("--explore", "html")),
                        (["--explore", "--format", "html", "--trace", str(out / "trace.json")], ("--explore", "--trace"))):
        bad = tmp_path / "bad"
        assert render.main([*argv, "--out", str(bad)]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and err[0].startswith("sgd-anim: error:") and all(w in err[0] for w in words), err
        assert not bad.exists()


def test_explorer_cli_records_the_grid_and_keeps_it_under_2_mb(tmp_path):
    out = tmp_path / "ex"
    assert render.main(["--format", "html", "--explore", "--epochs", "20", "--out", str(out), "--quiet"]) == 0
    page = (out / "sgd.html").read_text(encoding="utf-8")
    assert len(page.encode("utf-8")) <= 2_000_000
    doc = page_document(page)
    axes = doc["explore"]["axes"]
    assert [a["key"] for a in axes] == ["lr", "batch_size", "momentum"]
    assert len(doc["stories"]) == len(doc["explore"]["runs"]) == 4 * 3 * 2
    states = [s["run"]["diverged"] for s in doc["stories"]]
    assert any(states) and not all(states)  # the diverging corner is there, and runs that converge
    assert doc["explore"]["initial"] == [1, 1, 0]  # the job's own lr 0.1, batch size 2, momentum 0
    assert "contours" in doc and all("contours" not in s for s in doc["stories"])
    assert tomllib.loads((out / "config.toml").read_text(encoding="utf-8"))["render"]["explore"] is True


def test_python_api_writes_and_shows_the_player(tmp_path, runs):
    written = scenes.render(runs["sgd"], tmp_path, formats=["html"], stem="p")
    assert list(written) == [tmp_path / "p.html"]
    shown = written._repr_html_()
    assert shown.startswith('<iframe srcdoc="&lt;!DOCTYPE html&gt;') and 'sandbox="allow-scripts"' in shown
    player = scenes.player(runs["adam"], theme="dark")
    frame = player._repr_html_()
    inner = html_module.unescape(frame.split('srcdoc="', 1)[1].split('" sandbox=', 1)[0])
    assert inner == player.html and "<script" not in frame  # the page is escaped in the attribute
    assert page_document(inner)["stories"][0]["run"]["optimizer"] == "adam"
    saved = player.save(tmp_path / "player.html")
    assert saved.read_text(encoding="utf-8") == player.html
    with pytest.raises(InputError):
        scenes.render(runs["sgd"], tmp_path, formats=["html", "avi"])


def test_the_player_files_ship_in_the_wheel():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    assert "scenes.web" in config["packages"]
    shipped = config["package-data"]["scenes.web"]
    web = ROOT / "scenes" / "web"
    files = {p.relative_to(web).as_posix() for p in web.rglob("*")
             if p.is_file() and (p.suffix in (".html", ".js", ".css") or p.name == "MANIFEST")}
    assert {f for f in files if "/" not in f} == {"player.css", "player.html", "serve.css", "serve.js", "live.css",
                                                         "twin.js"}
    assert {p.relative_to(web).as_posix() for pattern in shipped for p in web.glob(pattern)} == files
