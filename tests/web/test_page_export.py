"""The page's exports (scenes/web/player/reproduce.js, export.js; scenes/web/page_export.py).

Under Node, with the page's own document: its trace.json is the recorded trace (every value),
render.py renders it, and the command and the config.toml it writes, read back through
render.py's parser and config reader, give the run's settings exactly (an independent check:
Python's own flag and TOML readers, not the page's table). In Chromium (slow): the WebM has
frames (decoded with PyAV), the PNG is the frame, nothing is fetched, nothing is logged.
"""
from __future__ import annotations

import base64
import io
import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from scenes.job import build_job, layers, load_config_file
from scenes.story.story import Story
from scenes.story.theme import load_theme
from scenes.web.page_export import reproduce_table, run_document
from training.config import SETTINGS, TrainConfig
from training.data import DataSpec
from training.recorder import record
from training.trace import Trace

ROOT = Path(__file__).resolve().parents[2]
PLAYER = ROOT / "scenes" / "web" / "player"
NODE = shutil.which("node") or "/usr/bin/node"
needs_node = pytest.mark.skipif(not Path(NODE).is_file(), reason="node is not installed")

# The page's texts for its own run, under Node: decode.js and reproduce.js as the page joins them.
HARNESS = """
const fs = require("fs"), path = require("path"), dir = process.argv[1];
const SGD = {};
for (const f of ["decode.js", "reproduce.js"]) new Function("SGD", fs.readFileSync(path.join(dir, f), "utf8"))(SGD);
const doc = JSON.parse(fs.readFileSync(0, "utf8")), R = SGD.reproduce, run = R.recordedTrace(doc.stories[0]);
process.stdout.write(JSON.stringify({trace: R.traceText(run), command: R.commandOf(doc.reproduce, run, run),
                                     toml: R.tomlOf(doc.reproduce, run, run)}));
"""

RUNS = {
    "article": dict(),
    "momentum": dict(optimizer="momentum", momentum=0.8, lr=0.05, shuffle=True, seed=7, epochs=3, init_a=-0.5,
                     data="synthetic:n=20,noise=0.1,x_min=-1"),
    "adam": dict(optimizer="adam", lr=0.3, weight_decay=0.01, drop_last=False, zero_grad=False, batch_size=4,
                 epochs=4, beta2=0.99, graph_steps=(1, 3), init_b=-2.0),
    "rmsprop": dict(optimizer="rmsprop", alpha=0.9, eps=1e-6, epochs=2, shuffle=True, seed=2**64 - 1, nesterov=False),
    "sgd_zero_momentum": dict(optimizer="momentum", momentum=0.0, nesterov=False, epochs=2, lr=1.0),
    "diverged_at_once": dict(lr=1e30, epochs=2),  # no step recorded: empty columns
    "poly": dict(model="poly", degree=3, init=[0.5, -1.0, 0.0, 2.0], epochs=3, lr=0.01),
    "mlp": dict(model="mlp", hidden=4, activation="relu", epochs=3, plane="random"),  # its landscape packed
}


def page_texts(trace: Trace) -> dict:
    doc = run_document(Story(trace), None, load_theme("light"))
    out = subprocess.run([NODE, "-e", HARNESS, str(PLAYER)], input=json.dumps(doc), capture_output=True,
                         text=True, check=True, timeout=60)
    return json.loads(out.stdout)


def settings_of_command(command: str, cwd: Path) -> TrainConfig:
    """The command as render.py reads it (a heredoc first writes data.csv into ``cwd``)."""
    import shlex

    from scenes.flags import build_parser
    if command.startswith("cat > data.csv <<'EOF'\n"):
        csv, _, command = command[len("cat > data.csv <<'EOF'\n"):].partition("EOF\n")
        (cwd / "data.csv").write_text(csv, encoding="utf-8")
    from scenes.program import program_name

    argv, prefix = shlex.split(command), shlex.split(program_name())
    assert argv[:len(prefix)] == prefix
    args = vars(build_parser().parse_args(argv[len(prefix):]))
    return build_job(layers(args, {}), cwd).train


def same_config(settings: TrainConfig, trace: Trace) -> None:
    got, want = settings.to_dict(), dict(trace.config)
    if want["data"]["kind"] == "csv":  # the points are checked instead: a file of the page's points
        assert got["data"]["kind"] == "csv"
        got["data"] = want["data"]
    assert got == want


@pytest.fixture(scope="module")
def traces(tmp_path_factory):
    def config(kw: dict) -> TrainConfig:
        kw = dict(kw)
        if "data" in kw:
            kw["data"] = DataSpec.parse(kw["data"])
        return TrainConfig(**kw)

    out = {name: record(config(kw)) for name, kw in RUNS.items()}
    csv = tmp_path_factory.mktemp("csv") / "points.csv"
    csv.write_text("x,y\n0.1,0.3\n0.7,-0.2\n1.3,0.9\n2.5,1.1e-3\n", encoding="utf-8")
    out["csv"] = record(TrainConfig(data=DataSpec.parse(str(csv)), batch_size=1, epochs=2))
    return out


def test_the_table_is_the_settings_tables():
    table = reproduce_table()
    by_name = {s.name: s for s in SETTINGS}
    assert [e["name"] for e in table["settings"]] == [s.name for s in SETTINGS if s.name != "data"]
    for e in table["settings"]:
        s = by_name[e["name"]]
        assert e["flag"] == s.cli_flag and e["default"] == s.default
        if s.kind is bool:  # a bool flag sets the value that is not the default
            assert e["sets"] is (not s.default)
    assert table["momentum_defaults"]["momentum"] == 0.9


@needs_node
@pytest.mark.parametrize("name", [*RUNS, "csv"])
def test_the_pages_trace_command_and_config_are_the_run(traces, name, tmp_path):
    trace = traces[name]
    texts = page_texts(trace)
    back = Trace.from_json(texts["trace"])
    assert json.loads(back.to_json()) == json.loads(trace.to_json())  # every value (an int 0 may read as 0.0)
    np.testing.assert_array_equal(back.steps["loss"], trace.steps["loss"])
    same_config(settings_of_command(texts["command"], tmp_path), trace)
    (tmp_path / "config.toml").write_text(texts["toml"], encoding="utf-8")
    flat = load_config_file(tmp_path / "config.toml")
    same_config(build_job(layers({}, flat), tmp_path).train, trace)
    if name == "csv":
        from training.data import load_csv
        points = load_csv(tmp_path / "data.csv")
        np.testing.assert_array_equal(points.x, trace.x)
        np.testing.assert_array_equal(points.y, trace.y)
    if name == "article":  # the article's run is the defaults: nothing to say but the command
        from scenes.program import program_name
        assert texts["command"] == program_name()


# ------------------------------------------------------------------ in Chromium
BLOB_B64 = """var done = arguments[arguments.length - 1];
function read(blob) { var r = new FileReader(); r.onload = function () { done(r.result.split(",")[1]); }; r.readAsDataURL(blob); }
var job = arguments[0];
if (job === "png") window.sgdExport.compose().toBlob(read, "image/png");
else window.sgdExport.webm({start: 0, end: 11}).then(read, function (e) { done("ERR " + e.message); });"""

FIT_CANVAS = """var c = document.getElementById("sgd-fit"), r = c.getBoundingClientRect(), v = document.getElementById("sgd-views").getBoundingClientRect();
var top = document.querySelector("#sgd-player > header").getBoundingClientRect().top, pad = 12;
return [r.left - v.left + pad, r.top - top + pad, c.width, c.height, c.toDataURL("image/png").split(",")[1]];"""


@pytest.mark.slow
@pytest.mark.browser
def test_in_chromium_the_page_exports_a_video_a_picture_and_a_trace_render_py_renders(tmp_path, capsys):
    """The WebM plays back with its frames, the PNG is the frame, the trace.json renders with
    render.py --trace; the buttons work; nothing is fetched, nothing is logged as an error."""
    import av
    from PIL import Image

    from scenes.web.page import player_page
    from tests import browser
    from tests.helpers import run_main
    if browser.missing():
        pytest.skip(browser.missing())
    trace = record(TrainConfig(optimizer="momentum", momentum=0.5, epochs=10))
    page = tmp_path / "page.html"
    page.write_text(player_page(trace), encoding="utf-8")
    with browser.chrome(800, 800) as d:  # (a small video: software VP8 on a busy machine is slow)
        browser.open_page(d, page)
        d.set_script_timeout(90)
        webm = base64.b64decode(d.execute_async_script(BLOB_B64, "webm"))
        png = base64.b64decode(d.execute_async_script(BLOB_B64, "png"))
        text = d.execute_script("return window.sgdExport.traceText()")
        where = d.execute_script(FIT_CANVAS)
        for button in ("command", "toml", "trace", "png"):
            d.find_element("id", "sgd-page-" + button).click()
        shown = d.find_element("id", "sgd-export-text").get_attribute("value")
        status = d.find_element("id", "sgd-export-status").text
        asked = [u for u in browser.requests(d) if not u.startswith("blob:")]  # downloads: Blob URLs
        errors = [m for m in browser.console(d) if m["level"] in ("SEVERE", "ERROR")]
    assert asked == [page.resolve().as_uri()] and not errors, (asked, errors)
    assert shown.startswith("# The run of an sgd-anim page") and "momentum = 0.5" in shown, shown
    assert status == "sgd.png" or status.startswith("trace.json"), status
    with av.open(io.BytesIO(webm)) as video:
        frames = [f.to_ndarray(format="rgb24") for f in video.decode(video=0)]
    picture = np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))
    assert len(frames) == 12 and frames[0].shape == picture.shape and picture.shape[1] >= 780
    x, y, w, h = (round(v) for v in where[:4])  # the fit view's canvas, where the picture holds it
    fit = np.asarray(Image.open(io.BytesIO(base64.b64decode(where[4]))).convert("RGB")).astype(int)
    crop = picture[y:y + h, x:x + w].astype(int)
    drawn = (fit < 200).any(axis=2)  # the points, the line, the axes and their labels
    assert fit.shape == (h, w, 3) and drawn.mean() > 0.005 and np.abs(crop - fit).mean() < 3  # (a subpixel offset)
    dark = np.pad((crop < 200).any(axis=2), 1)
    near = np.zeros_like(drawn)  # a dark pixel within one pixel (the canvas may sit at a fraction of one)
    for dy in (0, 1, 2):
        for dx in (0, 1, 2):
            near |= dark[dy:dy + h, dx:dx + w]
    assert near[drawn].mean() > 0.95
    assert np.abs(frames[0].astype(int) - picture).mean() < 6  # the video's first frame is that frame (VP8)
    (tmp_path / "trace.json").write_text(text, encoding="utf-8")
    assert json.loads(Trace.from_file(tmp_path / "trace.json").to_json()) == json.loads(trace.to_json())
    code, out, err = run_main(capsys, "--trace", tmp_path / "trace.json", "--format", "png", "--size", "640x360",
                              "--out", tmp_path / "out")
    assert code == 0 and (tmp_path / "out" / "sgd.png").is_file(), err


FAKE_LIVE = """window.sgdAnim = { live: true, set: function () { return 0; },  // the live page's contract, faked
  settings: function () { return window.FAKE_RUN.config; }, trace: function () { return window.FAKE_RUN; } };
window.FAKE_RUN = %s;"""


@pytest.mark.slow
@pytest.mark.browser
def test_in_chromium_serve_verifies_the_live_pages_run_with_pytorch():
    """On the live page, --serve keeps no form of its own: "Verify with PyTorch" posts the
    page's settings, and the server's PyTorch run is shown, compared with the page's."""
    import threading

    from scenes.web.serve import App, make_server
    from tests import browser
    if browser.missing():
        pytest.skip(browser.missing())
    page_run = record(TrainConfig(optimizer="momentum", lr=0.05, epochs=5, shuffle=True, seed=3,
                                  data=DataSpec.parse("synthetic:n=12,noise=0.2")))
    shifted = json.loads(page_run.to_json())
    shifted["steps"]["a"][7] *= 1 + 1e-3  # a page whose numbers are off by 1e-3 at one step
    app = App(lambda cfg, data: record(cfg, data), lambda job, trace, out: [])
    server = make_server(app, "127.0.0.1", 0)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/"
    from selenium.webdriver.support.ui import WebDriverWait
    try:
        with browser.chrome(1000, 900) as d:
            said = []
            for run in (json.loads(page_run.to_json()), shifted):
                d.get("about:blank")
                d.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": FAKE_LIVE % json.dumps(run)})
                d.get(url)
                WebDriverWait(d, 60).until(lambda d: d.execute_script(
                    "return document.documentElement.getAttribute('data-serve') === 'live'"))
                assert d.execute_script("return document.getElementById('sgd-serve') === null")  # no form of its own
                d.find_element("id", "sgd-verify").click()
                WebDriverWait(d, 60).until(lambda d: d.execute_script(
                    "return document.documentElement.hasAttribute('data-verified')"))
                said.append((d.execute_script("return document.documentElement.getAttribute('data-verified')"),
                             d.find_element("id", "sgd-status").text,
                             d.execute_script("return window.sgdPlayer.frames() > 0 && document.getElementById('sgd-where').textContent")))
            errors = [m for m in browser.console(d) if m["level"] in ("SEVERE", "ERROR")]
    finally:
        server.shutdown()
        server.server_close()
        app.cleanup()
    assert said[0][0] == "0" and "bit for bit" in said[0][1] and said[0][2].endswith("/ 30"), said
    assert abs(float(said[1][0]) - 1e-3) < 2e-4 and "1.0e-3 relative" in said[1][1], said
    assert not errors, errors
