"""Sweep: the live page's story builder (scenes/web/live/story*.js) against the Python story on
many random runs (tests/web/twin_cases.py's configurations: every optimizer and its settings,
batch sizes, shuffle, drop_last, learning rates from tiny to diverging, random starts, no
zero_grad; the article's points, synthetic ones and a CSV). Each run is recomputed by the twin
(Node), read back by Python, and its story built by both; every field is compared as
tests/web/test_live_story.py compares them. Prints the cases that differ (none expected).

    .venv/bin/python benchmarks/live_story_sweep.py [--count 120]
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--count", type=int, default=120)
    args = ap.parse_args()
    from scenes.story import Story
    from scenes.story.theme import load_theme
    from scenes.web.export import export_story
    from scenes.web.live_block import live_block
    from tests.web.test_live_story import _node, compare
    from tests.web.twin_cases import data_sets, random_configs
    from training.trace import Trace

    theme = load_theme("light")
    cases = random_configs(args.count, data_sets(Path(tempfile.mkdtemp())))
    reqs = []
    for cfg, data in cases:
        conf = cfg.to_dict()
        conf.pop("graph_steps", None)
        reqs.append({"config": conf, "data": {"x": data.x.tolist(), "y": data.y.tolist()}})
    lines = _node("scenes/web/twin.js", {"batch": reqs}, "--batch").splitlines()
    texts = [json.loads(line).get("trace") for line in lines]
    ok_texts = [t for t in texts if t]
    js = json.loads(_node("tests/web/live_story.js", {"traces": [json.loads(t) for t in ok_texts],
                                                       "live": live_block(theme), "panel": theme.color("panel")}))
    bad = 0
    for i, (text, j) in enumerate(zip(ok_texts, js)):
        p = export_story(Story(Trace.from_json(text)), theme=theme)
        p.pop("contours"); s = dict(j["story"]); pc = s.pop("contours")
        try:
            compare(p, s, f"case {i}")
            assert [b["color"] for b in export_story(Story(Trace.from_json(text)), theme=theme)["contours"]["bands"]] == \
                [b["color"] for b in pc["bands"]], "band colours"
        except AssertionError as e:
            bad += 1
            cfg = json.loads(text)["config"]
            print(f"case {i}: {str(e).splitlines()[0][:300]}\n   config {cfg}")
    print(f"{len(ok_texts)} runs compared ({len(texts) - len(ok_texts)} refused by the twin), {bad} differ")
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
