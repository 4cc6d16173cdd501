"""A Manim ``Scene`` whose frames show what the scene holds at each frame.

Manim's Cairo renderer splits each play into a cached background (the static mobjects) and
the moving mobjects it redraws each frame. It lists the moving ones as their families
*flattened when the play begins* and draws that list on every frame of the play. A panel that
takes a child out of its group during a play (a text replaced by the next one: ``a.grad =
None`` by ``a.grad = 0.636``, ``1.000`` by ``1.000 → 0.936``) would leave the old child in
that list, drawn under its successor until the play ends. A dry run (the layout check) never
draws those frames, so it cannot see it from the scene's tree alone.

:class:`LiveScene` keeps the moving part as the top-level mobjects instead: the camera takes
their families as they are at each frame, so the frame shows exactly what the scene holds.
The layout check reads the same two lists (:func:`scenes.manim.layout_check.drawn_mobjects`).
"""
from __future__ import annotations

from manim import Scene

__all__ = ["LiveScene"]


class LiveScene(Scene):
    """A Scene whose moving mobjects are top-level, their families read at each frame."""

    def get_moving_and_static_mobjects(self, animations):
        moving, static = super().get_moving_and_static_mobjects(animations)
        # Manim's moving list starts at a top-level mobject (the first whose family has an
        # updater or an animated member) and holds the families of every top-level after it:
        # keep those top-levels, in the scene's drawing order.
        flat = {id(m) for m in moving}
        tops = {id(m): m for m in (*self.mobjects, *self.foreground_mobjects) if id(m) in flat}
        return list(tops.values()), static
