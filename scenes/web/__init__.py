"""The web player: the third backend. The story is exported as versioned JSON
(:mod:`scenes.web.export`) and drawn in the browser by a small script that ships as package
data (``player.html``, ``player.css`` and the script's files under ``player/``, joined in the
order of ``player/MANIFEST``), all in one self-contained HTML file
(:mod:`scenes.web.page`) that makes no network request. A comparison's race is a document of
kind ``race`` (:mod:`scenes.web.race_export`), drawn by the same script. :class:`Player` shows
a page inline in Jupyter and Colab."""
from __future__ import annotations

from scenes.web.export import FORMAT, VERSION, export_story
from scenes.web.inline import Player, iframe
from scenes.web.page import explorer_page, player_page, render_html, write_page
from scenes.web.race_export import race_page

__all__ = ["FORMAT", "VERSION", "Player", "export_story", "explorer_page", "iframe", "player_page",
           "race_page", "render_html", "write_page"]
