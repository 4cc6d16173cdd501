"""The player's script as files: scenes/web/player/*.js, joined in the order of its MANIFEST
into the page's one inline script (scenes.web.page.player_script).

Under Node: the joined script parses, and it loads (every file finds what it takes from the
shared namespace, so the MANIFEST's order is right) without adding a global. In Chromium:
the beats' codes come from the document's names, not from the script (a page whose story
numbers its beats otherwise looks and behaves the same).
"""
from __future__ import annotations

import copy
import json
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from scenes.story.plan import BEATS, Beat
from scenes.web.page import PAGE_KINDS, page_from_document, page_kind, player_modules, player_script

ROOT = Path(__file__).resolve().parents[2]
FOLDER = ROOT / "scenes" / "web" / "player"
NODE = shutil.which("node") or "/usr/bin/node"
needs_node = pytest.mark.skipif(not Path(NODE).is_file(), reason="node is not installed")


def test_the_manifest_lists_every_file_once_and_nothing_else():
    listed = player_modules()
    present = sorted(p.relative_to(FOLDER).as_posix() for p in FOLDER.rglob("*.js"))
    assert len(listed) == len(set(listed)), "a file is listed twice"
    assert sorted(listed) == present
    assert listed[-1] == "main.js"  # it starts the player: everything else is defined before


def test_each_page_carries_only_the_files_of_its_kind():
    """A run's page has no race, explorer or presenter files; each of those pages has its own
    (and every untagged file); the kind comes from the document."""
    story = player_modules("story")
    assert not [n for n in story if n.startswith("race/") or n in ("explorer.js", "presenter.js")]
    assert set(player_modules("race")) - set(story) == {n for n in player_modules() if n.startswith("race/")}
    assert set(player_modules("explore")) - set(story) == {"explorer.js"}
    assert set(player_modules("presenter")) - set(story) == {"presenter.js"}
    assert [page_kind(d) for d in ({"kind": "race"}, {"explore": {"runs": []}}, {"presenter": True}, {"live": {}})] == \
        ["race", "explore", "presenter", "story"]
    with pytest.raises(ValueError):
        player_modules("slides")


def test_every_file_is_one_small_module_of_the_namespace():
    """Each file keeps its names to itself: one function over the namespace SGD, well under
    the 400 lines a file of the product may have, opening with what it is for."""
    for name in player_modules():
        text = (FOLDER / name).read_text(encoding="utf-8")
        assert text.startswith("/* ") and "\n(function (SGD) {\n  \"use strict\";\n" in text, name
        assert text.endswith("\n})(SGD);\n"), name
        assert len(text.splitlines()) <= 200, name
        assert "innerHTML" not in text and "eval(" not in text, name


def test_the_beats_codes_are_not_copied_into_the_script():
    """The codes come from the document (plan.beats): no "FAST = 5" in the script."""
    script = player_script()
    for beat in Beat:
        assert not re.search(rf"\b{beat.name}\s*=\s*{int(beat)}\b", script), beat.name
    assert "BEAT_NAMES" not in script


@needs_node
@pytest.mark.parametrize("kind", PAGE_KINDS)
def test_the_joined_script_parses_under_node(tmp_path, kind):
    """Every kind of page's script, compacted (compact.compact_js), parses."""
    path = tmp_path / "player.js"
    script = player_script(kind=kind)
    assert not any(line.startswith((" ", "//", "/*")) for line in script.splitlines())  # compacted
    path.write_text(script, encoding="utf-8")
    done = subprocess.run([NODE, "--check", str(path)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr


@needs_node
def test_serves_script_compacted_parses_under_node(tmp_path):
    """render.py --serve's page: the player's script, then serve.js, compacted the same way."""
    from scenes.web.compact import compact_js
    serve = (ROOT / "scenes/web/serve.js").read_text(encoding="utf-8")
    for i, line in enumerate(serve.splitlines()):  # compact_js reads lines: no literal may span them
        assert line.count("`") % 2 == 0 and not line.rstrip().endswith("\\"), f"serve.js:{i + 1}"
    path = tmp_path / "serve.js"
    path.write_text(player_script() + "\n" + compact_js(serve), encoding="utf-8")
    done = subprocess.run([NODE, "--check", str(path)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr


@needs_node
@pytest.mark.parametrize("kind", PAGE_KINDS)
def test_the_joined_script_loads_in_order_and_adds_no_global(tmp_path, kind):
    """Run the script in a bare context whose document is still loading: every file runs
    (taking from SGD what earlier files added), the player waits for DOMContentLoaded, and
    the context gains no global."""
    runner = tmp_path / "load.js"
    runner.write_text("""
const vm = require("vm"), fs = require("fs");
const waiting = [];
const document = { readyState: "loading", addEventListener: (name, f) => waiting.push(name) };
const context = vm.createContext({ document: document, window: {} });
const before = new Set(Object.getOwnPropertyNames(context));
vm.runInContext(fs.readFileSync(process.argv[2], "utf8"), context, { filename: "player.js" });
const added = Object.getOwnPropertyNames(context).filter((k) => !before.has(k));
console.log(JSON.stringify({ waiting: waiting, added: added, window: Object.keys(context.window) }));
""", encoding="utf-8")
    script = tmp_path / "player.js"
    script.write_text(player_script(kind=kind), encoding="utf-8")
    done = subprocess.run([NODE, str(runner), str(script)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"waiting": ["DOMContentLoaded"], "added": [], "window": []}


# ------------------------------------------------------------------ in the browser
def _renumbered(doc: dict, order: list[str]) -> dict:
    """The same story with its beats numbered in another order: ``order`` is the names by
    their new codes."""
    new = copy.deepcopy(doc)
    code = {name: order.index(name) for name in BEATS}
    for story in new["stories"]:
        plan = story["plan"]
        assert plan["beats"] == list(BEATS)
        plan["beats"] = list(order)
        for item in (*plan["segments"], *plan["reveals"]):
            item["beat"] = code[BEATS[item["beat"]]]
    return new


@pytest.mark.slow  # runs the player's script under Node for every beat (4 s)
def test_the_player_takes_its_beat_codes_from_the_document(tmp_path):
    from tests import browser

    if browser.missing():
        pytest.skip(browser.missing())
    from scenes.story import Story
    from scenes.story.theme import load_theme
    from scenes.web.export import document, export_story
    from training.config import TrainConfig
    from training.recorder import record

    theme = load_theme("light")
    story = Story(record(TrainConfig(epochs=6)))
    doc = document([export_story(story, theme=theme)], theme)
    order = ["hold", "update", "fast", "intro", "gradient", "residuals", "forward"]
    pages = {}
    for name, d in (("ours", doc), ("renumbered", _renumbered(doc, order))):
        pages[name] = tmp_path / f"{name}.html"
        pages[name].write_text(page_from_document(d, "beats"), encoding="utf-8")
    frames = len(story.plan())
    moments = [("goFrame", f) for f in (0, 30, 50, 70, 95, 120, 160, frames // 2, frames - 1)]
    moments += [("goStep", 1, "gradient"), ("goStep", 2, "residuals"), ("goStep", 2, None), ("goStep", 12, None)]
    seen = {}
    with browser.chrome(1000, 800) as d:
        for name, path in pages.items():
            browser.open_page(d, path, "step=2&beat=gradient")
            assert d.execute_script("return document.getElementById('sgd-error').hidden")
            got = [d.execute_script("var p = document.getElementById('sgd-player');"
                                    "return [p.getAttribute('data-beat'), p.getAttribute('data-step')]")]
            for call, *args in moments:
                if call == "goStep" and args[1] is None:
                    args = args[:1]
                d.execute_script(f"window.sgdPlayer.{call}.apply(null, arguments)", *args)
                state = d.execute_script("return window.sgdPlayer.state()")
                beat = d.execute_script("return document.getElementById('sgd-player').getAttribute('data-beat')")
                d.execute_script("window.sgdPlayer.pause()")
                canvases = d.execute_script(
                    "return ['sgd-fit', 'sgd-loss', 'sgd-params'].map(function (id) {"
                    " return document.getElementById(id).toDataURL(); })")
                text = d.execute_script("return document.getElementById('sgd-player').innerText")
                named = (order if name == "renumbered" else list(BEATS))[state.pop("beat")]
                got.append((named, beat, state, canvases, text))
            d.execute_script("window.sgdPlayer.goStep(1, 'residuals')")
            time.sleep(0.4)  # the address follows 150 ms after a move
            got.append(d.execute_script("return location.hash"))
            seen[name] = got
    assert seen["ours"][0] == ["gradient", "1"]
    assert seen["ours"][-1] == "#step=2&beat=residuals"
    for a, b in zip(seen["ours"], seen["renumbered"]):
        assert a == b
    assert {m[0] for m in seen["ours"][1:-1]} >= {"intro", "forward", "gradient", "residuals", "update", "fast", "hold"}
