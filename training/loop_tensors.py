"""Small tensor helpers of the recording's hooks (:mod:`training.loop_recorder`), each about
saving a few µs a step: a step of a small model takes well under a millisecond, and the
recording runs inside every one of them."""
from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch import nn

from training.errors import InputError, first_line

__all__ = ["data_pair", "flat_into", "grads_into", "has_state", "state_tensors", "as_numpy", "as_row_tensor", "as_rows", "call_forward",
           "ParamViews", "StateViews", "NUMPY_FLOATS"]

# The float dtypes whose tensors numpy views as they are. A half-precision tensor (bfloat16,
# which numpy has no type for, and float16) goes into a column as float32: every bfloat16 and
# float16 number is a float32 number, so the widening is exact (training.loop_columns.column_dtype).
NUMPY_FLOATS = (torch.float32, torch.float64)


def flat_into(tensors: list, out: torch.Tensor) -> None:
    """The tensors flattened end to end into ``out`` (a row of a column): one copy (a
    conversion when their dtype or device differs: exact into the column's precision)."""
    flat = [t.reshape(-1) for t in tensors]
    if all(t.dtype == out.dtype and t.device.type == "cpu" for t in flat):
        torch.cat(flat, out=out)
    else:
        out.copy_(torch.cat([t.to(out.dtype) for t in flat]).cpu())


def grads_into(params: list, out: torch.Tensor) -> None:
    """The parameters' gradients (zeros for a parameter without one) end to end into ``out``.

    The common case in one torch.cat (about 4 µs for 10,401 numbers, against 21 µs for the
    general path): PyTorch keeps a dense ``.grad`` in its parameter's dtype and device, so
    when the column has that dtype every gradient goes in as it is; anything else (a missing
    or sparse gradient, one that requires grad, another dtype) takes the general path."""
    try:
        torch.cat([p.grad.view(-1) for p in params], out=out)
        return
    except (AttributeError, RuntimeError, TypeError):
        pass
    grads = [p.grad for p in params]
    flat_into([g if g is not None and not g.requires_grad else torch.zeros_like(p) if g is None else g.detach()
               for g, p in zip(grads, params)], out)


def as_numpy(t: torch.Tensor) -> np.ndarray:
    """A detached tensor's numbers as numpy (a view on the CPU, a copy from a GPU); a
    bfloat16 or float16 tensor's as float32, exactly (a copy)."""
    if t.dtype in (torch.bfloat16, torch.float16):
        return t.to(torch.float32).cpu().numpy()
    try:
        return t.numpy()
    except (TypeError, RuntimeError):
        return t.cpu().numpy()


def as_row_tensor(t: torch.Tensor) -> torch.Tensor:
    """One batch as a (rows, numbers) tensor, detached, without a copy."""
    t = t.detach() if t.requires_grad else t
    return t if t.dim() == 2 else t.reshape(len(t), -1)


def as_rows(tensors: list) -> torch.Tensor:
    """Tensors of rows (batches) as one (rows, numbers) tensor, detached; one batch: no copy."""
    if len(tensors) == 1:
        return as_row_tensor(tensors[0])
    return torch.cat([t.detach().reshape(len(t), -1) for t in tensors])


def call_forward(module, *args, owner: Any = None):
    """``module(*args)``, skipping the hook machinery when the only hooks on it are ``owner``'s
    (which ignore its own passes anyway): the same forward, the same numbers, a few µs less a
    step. Any other hook (the user's, a global one, weight norm's pre-hook) keeps the full call."""
    if not isinstance(module, nn.Module):
        return module(*args)
    g = nn.modules.module
    others = [module._backward_hooks, getattr(module, "_backward_pre_hooks", {}),
              getattr(g, "_global_backward_hooks", {}), getattr(g, "_global_backward_pre_hooks", {})]
    mine = [module._forward_hooks, module._forward_pre_hooks, g._global_forward_hooks, g._global_forward_pre_hooks]
    if any(others) or any(getattr(h, "__self__", None) is not owner for d in mine for h in d.values()):
        return module(*args)
    return module.forward(*args)


def has_state(optimizer, params: list) -> bool:
    """The optimizer keeps a state worth showing: a momentum buffer or Adam's first moment."""
    state = optimizer.state
    return any(("momentum_buffer" in state.get(p, {}) and state[p]["momentum_buffer"] is not None)
               or "exp_avg" in state.get(p, {}) for p in params)


class ParamViews:
    """The parameters, flat, into a row: their flat views are made once (a few µs a step less)
    and made again when a parameter's storage is replaced (``p.data = ...``)."""

    def __init__(self, params: list):
        self.params = params
        self.ptrs: list = []        # the parameters' storage when the views were made
        self._views: list = []
        self._np_views: list = []   # numpy views, when the numbers go into a row as they are

    def into(self, row: np.ndarray) -> None:
        """The parameters, end to end, into ``row`` (numpy), one copy."""
        ptrs = [p.data_ptr() for p in self.params]
        if ptrs != self.ptrs:
            views = [p.detach().reshape(-1) for p in self.params]
            if sum(v.numel() for v in views) != row.size:  # (``p.data = `` a tensor of another size)
                raise ValueError("the model's parameters changed size mid-run")
            self.ptrs, self._views = ptrs, views
            # np.concatenate copies in about half torch.cat's time (1.8 against 3.7 µs for
            # 10,401 numbers); a non-contiguous parameter's reshape is a copy, not a view, so
            # then the parameters are flattened afresh each step
            want = torch.float32 if row.dtype == np.float32 else torch.float64
            # (a half-precision parameter takes flat_into: converted, exactly)
            same = all(p.is_contiguous() and p.device.type == "cpu" and p.dtype == want for p in self.params)
            self._np_views = [v.numpy() for v in self._views] if same else []
        if self._np_views:
            np.concatenate(self._np_views, out=row)
        else:
            flat_into([p.detach() for p in self.params], torch.from_numpy(row))


class StateViews:
    """The optimizer's state worth showing, flat, into a row: the state tensors live from step
    to step (updated in place), so their flat views are made once and made again only when
    one of them is replaced (a few µs a step less than looking each one up and flattening)."""

    def __init__(self, optimizer, params: list):
        self.optimizer, self.params = optimizer, params
        self._key: str | None = None
        self._bufs: list = []
        self._views: list = []

    def _current(self) -> list | None:
        """This step's state tensors when they are all there under one key, else None."""
        state = self.optimizer.state
        if self._key is None:
            st = state.get(self.params[0], {})
            self._key = "momentum_buffer" if st.get("momentum_buffer") is not None else "exp_avg"
        try:
            bufs = [state[p][self._key] for p in self.params]
        except KeyError:
            return None
        return None if any(b is None or b.requires_grad for b in bufs) else bufs

    def into(self, out: np.ndarray) -> None:
        """The state, end to end, into ``out`` (a row of a column)."""
        bufs = self._current()
        if bufs is None:
            return flat_into(state_tensors(self.optimizer, self.params), torch.from_numpy(out))
        if len(bufs) != len(self._bufs) or any(a is not b for a, b in zip(bufs, self._bufs)):
            self._bufs = bufs
            views = [b.reshape(-1) for b in bufs]
            # numpy views when the numbers go in as they are (np.concatenate: half torch.cat's time)
            # (a non-contiguous buffer's reshape would be a copy, not a view: flattened afresh each step)
            # (numpy has no bfloat16: a half-precision state takes flat_into, converted exactly)
            same = all(b.is_contiguous() and b.dtype == bufs[0].dtype and b.device.type == "cpu"
                       and b.dtype in NUMPY_FLOATS for b in bufs)
            self._views = [v.numpy() for v in views] if same else views
        if self._views and isinstance(self._views[0], np.ndarray) and self._views[0].dtype == out.dtype:
            np.concatenate(self._views, out=out)
        else:  # another dtype or device: converted, exactly
            flat_into(bufs, torch.from_numpy(out))


def state_tensors(optimizer, params: list) -> list:
    """That state, one tensor a parameter (zeros where it keeps none yet)."""
    state = optimizer.state
    out = []
    for p in params:
        st = state.get(p, {})
        buf = st.get("momentum_buffer", st.get("exp_avg"))
        out.append(torch.zeros_like(p) if buf is None else buf.detach())
    return out


def data_pair(x, y) -> tuple[torch.Tensor, torch.Tensor]:
    """x and y as tensors of as many rows each (a mistake here showed only at the first step's
    full loss, as a size mismatch deep in torch, or as a TypeError of torch.as_tensor)."""
    try:
        x, y = torch.as_tensor(x), torch.as_tensor(y)
    except (TypeError, ValueError, RuntimeError) as e:
        raise InputError(f"recording: x and y must be tensors or arrays of numbers ({type(e).__name__}: "
                         f"{first_line(e, 100)})") from None
    if x.dim() == 0 or y.dim() == 0 or len(x) != len(y):
        raise InputError(f"recording: x and y must hold as many rows, got {tuple(x.shape)} and {tuple(y.shape)}")
    return x, y
