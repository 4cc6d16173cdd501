"""Fewer bytes a step for a recording of a user's loop (:mod:`training.loop_recorder`): the
parameters and the optimizer's state are replayed after the block instead of copied each step.

While the loop runs, a step of a built-in ``torch.optim`` optimizer (SGD, Adam, AdamW,
RMSprop, Adagrad) is a function of the parameters, their gradients, the optimizer's state and
its group settings alone. The recording copies the gradients every step (it must: they are
the loop's), the group settings when they change (a scheduler's ``lr``, OneCycleLR's betas),
the optimizer's state once (at the first step) and the parameters and state every
``CHECK_EVERY`` steps; after the block, :func:`fill` runs a second optimizer of the same class
on copies of the parameters through the same steps (the same PyTorch code on the same float
numbers and shapes: the same bits) and writes the rows in between. Each copied row is
compared with the replay bit for bit; a difference ends the trace at the last row that
matched (status ``stopped``, the reason said), so a replay is never shown as if it were the
run. Anything the replay cannot know (a missing or sparse gradient, a parameter changed
outside ``step()``, a setting that appeared or vanished) switches the recording to copying
every row from that step on (:meth:`Replay.stop`).
"""
from __future__ import annotations

import copy
import operator

import numpy as np
import torch
from torch import nn

__all__ = ["Replay", "fill", "CHECK_EVERY", "REPLAYED", "REPLAY_FROM"]

CHECK_EVERY = 64  # a copied row (parameters and state) every this many steps, to check the replay
# Below this many parameters the copies cost a few µs a step and the replay (an optimizer step
# in Python after the block) more than it saves: the article's model (P = 2) copies every row.
REPLAY_FROM = 1024
# The optimizers whose step() reads nothing but the parameters, their .grad, its state and its
# groups' settings (exact classes: a subclass may read anything).
REPLAYED = (torch.optim.SGD, torch.optim.Adam, torch.optim.AdamW, torch.optim.RMSprop, torch.optim.Adagrad)


class Replay:
    """What the hooks keep so that :func:`fill` can replay the optimizer after the block."""

    def __init__(self, optimizer, params: list, dtype) -> None:
        self.optimizer = optimizer
        self.copy_from: int | None = None    # every row from this step on is copied
        self.why = ""                        # why copying took over (for the docs' sake, and tests)
        self.moved_at: int | None = None     # copying took over because the parameters moved
        self.snapshot: dict | None = None    # the optimizer's state_dict before the first step
        self.changes: list = []              # (step, groups' settings) each time they changed
        self._last: tuple | None = None
        self.ok = sum(p.numel() for p in params) >= REPLAY_FROM and _replayable(optimizer, params, dtype)
        self.groups = [list(g["params"]) for g in optimizer.param_groups]  # (a group added later is not replayed)
        keys = sorted({k for g in optimizer.param_groups for k in g if k != "params"})
        self.keys = keys
        self._get = operator.itemgetter(*keys) if keys else (lambda g: ())

    def copies(self, k: int) -> bool:
        """Row k's parameters are copied (the first, a check, or copying took over)."""
        return k % CHECK_EVERY == 0 or (self.copy_from is not None and k >= self.copy_from)

    def before(self, k: int) -> bool:
        """Before step k (the pre hook): the settings, when they changed; False when the replay
        cannot follow (the caller then copies from here on)."""
        if k == 0:
            self.snapshot = copy.deepcopy(self.optimizer.state_dict())
        try:
            now = tuple(map(self._get, self.optimizer.param_groups))
            if now == self._last:
                return True
        except Exception:  # noqa: BLE001 - a setting gone, or one that == cannot compare
            return False
        if _has_tensor(now):
            return False  # a tensor setting (a capturable lr) may change in place, unseen
        self._last = copy.deepcopy(now)  # (a list changed in place then differs from it)
        self.changes.append((k, self._last))
        return True

    def follow(self, k: int, moved: bool, clean: bool) -> bool:
        """Before step k (the pre hook): True when the replay stops following here (something
        it cannot know: the parameters ``moved`` outside step(), a gradient not ``clean``)."""
        if self.copy_from is not None:
            return False
        why = ("the parameters changed outside step()" if moved else
               "a gradient missing, sparse or not contiguous" if not clean else
               "" if self.before(k) else "the optimizer's settings changed in a way a replay cannot follow")
        if why:
            self.stop(k, why, moved)
        return bool(why)

    def stop(self, k: int, why: str, moved: bool = False) -> None:
        """Copy every row from step k on (the replay covers steps before k)."""
        if self.copy_from is None:
            self.copy_from, self.why = k, why
            if moved:
                self.moved_at = k


def _has_tensor(value) -> bool:
    if isinstance(value, (tuple, list)):
        return any(_has_tensor(v) for v in value)
    return isinstance(value, (torch.Tensor, np.ndarray))


def _replayable(optimizer, params: list, dtype) -> bool:
    """The replay gives the run's own bits: a built-in optimizer (its exact class, its step not
    replaced), on CPU tensors of the columns' dtype, contiguous, all of them the model's, no
    fused, capturable or differentiable path (other kernels)."""
    own = vars(optimizer).get("step")  # an lr_scheduler wraps step() to note it was called: that is all
    if type(optimizer) not in REPLAYED or (own is not None and not (getattr(own, "_wrapped_by_lr_sched", False)
                                                                  and own.__wrapped__ is type(optimizer).step)):
        return False
    want = torch.float32 if dtype == np.float32 else torch.float64
    mine = {id(p) for p in params}
    theirs = [p for g in optimizer.param_groups for p in g["params"]]
    if {id(p) for p in theirs} != mine or len(theirs) != len(mine):
        return False
    if any(p.device.type != "cpu" or p.dtype != want or not p.is_contiguous() or p.is_sparse for p in params):
        return False
    return not any(g.get(k) for g in optimizer.param_groups for k in ("fused", "capturable", "differentiable"))


def fill(rec, n: int) -> tuple[int, str]:
    """Write the replayed rows of the first n steps into the recording's columns (parameters
    before each step, state after it; the parameters after step n - 1 into row n when there is
    one). Returns how many steps are exact (n, or fewer when a copied row differs from the
    replay) and, when fewer, why."""
    rp: Replay = rec.replay
    last = n if rp.copy_from is None else min(n, rp.copy_from)
    if last <= 0 or rp.snapshot is None:
        return n, ""
    P = rec.n_params
    pcol = rec.c_params._a
    opt = rp.optimizer
    # The shadow parameters, in the optimizer's groups, each with a gradient that is a slice of
    # one buffer (filled from the column each step: the optimizer never writes into the column).
    start = torch.from_numpy(pcol[0])
    where, at = {}, 0
    for p in rec.params:
        where[id(p)] = (at, p.numel(), p.shape)
        at += p.numel()
    gbuf = torch.empty(P, dtype=start.dtype)
    shadow = {}
    groups = []
    for group in rp.groups:
        ps = []
        for p in group:
            o, m, shape = where[id(p)]
            s = nn.Parameter(start[o:o + m].clone().view(shape))
            s.grad = gbuf[o:o + m].view(shape)
            shadow[id(p)] = s
            ps.append(s)
        groups.append({"params": ps})
    twin = type(opt)(groups)
    twin.load_state_dict(copy.deepcopy(rp.snapshot))
    flat = [shadow[id(p)].detach().view(-1) for p in rec.params]
    changes = dict(rp.changes)
    with torch.no_grad():
        return _replay(rec, rp, n, last, twin, shadow, flat, gbuf, changes, P)


def _replay(rec, rp, n, last, twin, shadow, flat, gbuf, changes, P) -> tuple[int, str]:
    pcol, gcol = rec.c_params._a, rec.c_grads._a
    vcol = rec.c_velocity._a if rec.c_velocity is not None else None
    state_key = _state_key(rec)
    params_t = torch.empty(P, dtype=gbuf.dtype)
    state_t = torch.empty(P, dtype=gbuf.dtype)
    good, rows = 0, rec.c_params.n
    for k in range(last):
        if k in changes:
            for g, values in zip(twin.param_groups, changes[k]):
                g.update(zip(rp.keys, values if len(rp.keys) > 1 else (values,)))
        gbuf.copy_(torch.from_numpy(gcol[k]))
        twin.step()
        if vcol is not None and state_key:
            torch.cat([twin.state[shadow[id(p)]][state_key].reshape(-1) for p in rec.params], out=state_t)
            got = state_t.numpy()
            if k % CHECK_EVERY == 0 or (rp.copy_from is not None and k >= rp.copy_from - 1):
                if not np.array_equal(vcol[k], got):
                    return good, f"the optimizer's replayed state differs from the run's at step {k + 1}"
            else:
                vcol[k] = got
        torch.cat(flat, out=params_t)
        nxt = k + 1
        after = params_t.numpy()
        if nxt < rows and nxt <= n:
            if rp.copies(nxt):
                if nxt != rp.moved_at and not np.array_equal(pcol[nxt], after):
                    return good, f"the optimizer's replayed parameters differ from the run's before step {nxt + 1}"
                if nxt % CHECK_EVERY == 0:
                    good = nxt
            else:
                pcol[nxt] = after
        elif nxt == n and rec._after_taken and (n - 1) not in rec.outside:
            if not np.array_equal(rec._after, after):
                return good, "the optimizer's replayed parameters differ from the run's after the last step"
    if last == n and vcol is not None and rec._after_state is not None and rec.c_params.n == n \
            and not np.array_equal(rec._after_state, vcol[n - 1]):
        return good, "the optimizer's replayed state differs from the run's after the last step"
    return n, ""


def _state_key(rec) -> str:
    """The state the velocity column shows (training.loop_tensors.StateViews's choice)."""
    key = rec._state_views._key
    return key or ""
