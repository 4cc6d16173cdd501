"""What sgd-anim can make, declared once: backends, formats, views, scenes and qualities.

Every other module reads these tables (the command line's choices and help, the config
checks, the backends, the pipeline's dispatch); none declares its own copy.
"""
from __future__ import annotations

__all__ = ["BACKENDS", "FORMATS", "STORY_FORMATS", "POSTER_FORMATS", "BACKEND_FORMATS", "RACE_FORMATS", "VIDEO_FORMATS", "SUBTITLE_FORMATS",
           "VIEWS", "DEFAULT_VIEWS", "SCENES", "QUALITIES", "output_file_name"]

BACKENDS = ("matplotlib", "manim")
FORMATS = ("mp4", "webm", "gif", "png", "svg", "pdf", "frames", "html", "slides", "pptx")
# Formats drawn from the story by the browser (scenes.web), not by a backend: the same page
# whatever the backend, so every backend "writes" them; the backend itself never sees them
# (the pipeline hands them to scenes.web). "slides" is the player's presenter mode.
STORY_FORMATS = ("html", "slides")
# The final-fit poster: a PNG from either backend; as vector files (text kept as text) only
# from matplotlib, which draws vectors. Manim's Cairo renderer rasterises every frame, and a
# vector poster drawn by matplotlib instead would not be the picture its video ends on.
POSTER_FORMATS = ("png", "svg", "pdf")
# What each backend writes. Both hand their frames to the same writers (scenes.writers), so
# both write every format but the vector posters. scenes.job.check_formats reads this table.
BACKEND_FORMATS: dict[str, tuple[str, ...]] = {
    "matplotlib": FORMATS, "manim": tuple(f for f in FORMATS if f not in ("svg", "pdf"))}
# What a comparison's race writes (compare.*): the videos, the finish as PNG, the page.
RACE_FORMATS = ("mp4", "webm", "gif", "png", "html")

VIDEO_FORMATS = ("mp4", "webm", "gif")  # the formats that get a STEM.vtt of captions beside them
SUBTITLE_FORMATS = ("mp4", "webm")      # the containers that also carry the captions as a soft track

VIEWS = ("fit", "loss", "params", "numbers", "graph")  # matplotlib's panels (--views)
DEFAULT_VIEWS = VIEWS[:4]  # without --views: the graph view asks for a trace that records graphs
SCENES = ("walkthrough", "fit", "loss", "params", "backprop")  # Manim's scenes (--scene)
# Manim's qualities (--quality): width, height, frames per second.
QUALITIES: dict[str, tuple[int, int, int]] = {
    "low": (854, 480, 15), "medium": (1280, 720, 30), "high": (1920, 1080, 60), "4k": (3840, 2160, 60)}


def output_file_name(stem: str, fmt: str) -> str:
    """The file a format writes in the output folder (the frames folder for ``frames``)."""
    return {"frames": f"{stem}_frames", "slides": f"{stem}.slides.html"}.get(fmt, f"{stem}.{fmt}")
