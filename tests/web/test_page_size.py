"""The live page of the article's run within its budget (issue 25): at most 300 KB, one file.

``render.py --format html`` with every default (the article's run, recorded in PyTorch): the
page, its script, its style and its document, measured as written. The parts are printed on
failure, so a regression names what grew (docs/live.md has the figures)."""
from __future__ import annotations

import json
import re

from tests.helpers import run_main

BUDGET = 300_000  # bytes: the 300 KB


def test_the_article_runs_live_page_is_within_300_kb(capsys, tmp_path):
    code, _, err = run_main(capsys, "--format", "html", "--out", tmp_path)
    assert code == 0, err
    page = (tmp_path / "sgd.html").read_text(encoding="utf-8")
    size = len(page.encode("utf-8"))
    data = re.search(r'<script type="application/json" id="sgd-story">(.*?)</script>', page, re.S).group(1)
    doc = json.loads(data)
    script = "".join(re.findall(r"<script>(.*?)</script>", page, re.S))
    parts = {"document": len(data.encode()), "script": len(script.encode()),
             **{f"stories[0].{k}": len(json.dumps(v, separators=(",", ":")).encode())
                for k, v in doc["stories"][0].items()}}
    assert doc["live"]["config"]["lr"] == 0.1 and "var TWIN" in script  # the live page, not the plain player
    assert "SGD.RacePlayer=" not in script  # a run's page carries no race files (race/player.js sets it)
    assert size <= BUDGET, (size, parts)
