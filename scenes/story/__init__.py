"""The story: one place, pure numpy, no drawing, that derives everything the views show
from a Trace (the plan, beats and captions, the full-batch step, what the optimizer carries
over, gradient shares, the loss grid, view limits). Every backend draws from it."""
from __future__ import annotations

from training.optimizers import Carry, carry_of
from scenes.story.frames import FrameState, Reveal, ease, reveal
from scenes.story.plan import FramePlan, PlanSettings, make_plan
from scenes.story.story import Arrow, Story

__all__ = ["Arrow", "Carry", "FramePlan", "FrameState", "PlanSettings", "Reveal", "Story", "carry_of", "ease",
           "make_plan", "reveal"]
