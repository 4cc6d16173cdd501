"""The walkthrough notebook runs top to bottom and shows the video, then the player, inline."""
from __future__ import annotations

import shutil

import pytest

from tests.helpers import ROOT

NOTEBOOK = ROOT / "assets" / "notebooks" / "walkthrough.ipynb"


@pytest.mark.slow
@pytest.mark.subprocess  # the notebook's kernel
def test_walkthrough_notebook_executes_and_embeds_the_video(tmp_path):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    work = tmp_path / "nb"
    work.mkdir()
    shutil.copy(NOTEBOOK, work / NOTEBOOK.name)
    nb = nbformat.read(work / NOTEBOOK.name, as_version=4)
    # A quicker run than the default, as a reader would after editing the first cell.
    nb.cells[1].source = nb.cells[1].source.replace("EPOCHS = 100", "EPOCHS = 20")
    nbclient.NotebookClient(nb, timeout=600, kernel_name="python3",
                            resources={"metadata": {"path": str(work)}}).execute()
    outputs = [o for cell in nb.cells if cell.cell_type == "code" for o in cell.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    text = "".join(o.get("text", "") for o in outputs)
    assert "60 steps, completed" in text
    assert "step 0: a=1.0000 b=1.0000" in text
    html = [o["data"]["text/html"] for o in outputs if "text/html" in o.get("data", {})]
    videos = [h for h in html if h.startswith("<video")]
    assert videos and "base64," in videos[-1]
    assert (work / "out" / "notebook" / "sgd.mp4").stat().st_size > 10_000
    # Under the video, the interactive player: the whole page inside a sandboxed iframe.
    players = [h for h in html if h.startswith('<iframe srcdoc="&lt;!DOCTYPE html&gt;') and 'sandbox="allow-scripts"' in h]
    assert len(players) == 2 and html.index(videos[-1]) < html.index(players[0])
    import html as html_module

    def page(h: str) -> str:
        return html_module.unescape(h.split('srcdoc="', 1)[1].split('" sandbox=', 1)[0])
    assert "Content-Security-Policy" in page(players[0]) and '"n_steps":60' in page(players[0])
    # Last, the article's own loop recorded with training.recording (issue 24), in its player.
    assert "recorded 300 steps of your loop; final a = 0.5047, b = 0.0963" in text
    assert '"n_steps":300' in page(players[1])
