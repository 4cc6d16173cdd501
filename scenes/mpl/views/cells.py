"""The frame cut into cells: a header band on top, one cell per view under it, arranged by
the frame's shape (2x2 for wide frames; fit and parameters side by side over a full-width
loss and numbers for square ones; one column for tall ones). The graph view takes a band of
the full width (its nodes run left to right), as high as its boxes need and no higher: under
the other views side by side in a wide frame, under fit and parameters side by side and the
loss in a square one, in the column of a tall one."""
from __future__ import annotations

__all__ = ["WEIGHTS", "arrangement", "view_cells"]

Cell = tuple[float, float, float, float]  # x, y, w, h in pixels, y up from the frame's bottom

# Each view's share of the height when views are stacked (the numbers panel asks for its own).
WEIGHTS = {"fit": 1.0, "params": 1.0, "loss": 0.62, "numbers": 0.8, "graph": 1.3}
GRAPH_SHARE = 0.56  # the most of a wide frame's height the graph band takes (it asks for its need)
GRAPH_SQUARE = 0.42  # the most of a square frame's height: fit and parameters above it stay square-ish


def arrangement(width: int, height: int) -> str:
    """``wide`` (16:9 and the like), ``square`` (about 1:1) or ``tall`` (9:16)."""
    r = width / height
    return "wide" if r >= 1.25 else ("square" if r >= 0.8 else "tall")


def view_cells(views: tuple[str, ...], W: float, top: float, arr: str,
               want: dict[str, float]) -> dict[str, Cell]:
    """Cells (x, y, w, h in pixels, y up from the frame's bottom) under a header ending at
    ``top``. ``want``: heights some views ask for (the numbers panel: its table and lines)."""
    n = len(views)
    if "graph" in views and n > 1 and arr == "wide":
        return _graph_band(views, W, top, want)
    if "graph" in views and arr == "square" and "fit" in views and "params" in views:
        return _square_graph(views, W, top, want)
    if arr == "wide" or n == 1:
        return _side_by_side(views, W, top, want)
    if arr == "square" and n == 4:
        return _square(views, W, top, want)
    # tall, or fewer views in a square: one column
    order = (views[0], views[2], views[1], views[3]) if n == 4 else views
    return _stack(order, 0, W, top, top, want)


def _side_by_side(views: tuple[str, ...], W: float, top: float, want: dict[str, float]) -> dict[str, Cell]:
    """A wide frame (or a single view): the views in columns."""
    cells: dict[str, Cell] = {}
    n = len(views)
    if n == 1:
        cells[views[0]] = (0, 0, W, top)
    elif n == 2:
        w0 = W * (0.55 if views[0] == "fit" else 0.5)
        cells[views[0]] = (0, 0, w0, top)
        cells[views[1]] = (w0, 0, W - w0, top)
    elif n == 3:
        w0 = W * 0.54
        cells[views[0]] = (0, 0, w0, top)
        h2 = min(want.get(views[2], 0.47 * top), 0.55 * top)
        cells[views[1]] = (w0, h2, W - w0, top - h2)
        cells[views[2]] = (w0, 0, W - w0, h2)
    else:
        # Two columns: views[0] above views[1] on the left, views[2] above views[3] on the right.
        w0 = W * 0.53
        h0 = top * 0.58
        cells[views[0]] = (0, top - h0, w0, h0)
        cells[views[1]] = (0, 0, w0, top - h0)
        h3 = min(max(want.get(views[3], 0.43 * top), 0.3 * top), 0.52 * top)
        cells[views[2]] = (w0, h3, W - w0, top - h3)
        cells[views[3]] = (w0, 0, W - w0, h3)
    return cells


def _graph_band(views: tuple[str, ...], W: float, top: float, want: dict[str, float]) -> dict[str, Cell]:
    """A wide frame with the graph: the graph's band across the whole width (its nodes are
    laid out left to right), the other views side by side above it."""
    rest = tuple(v for v in views if v != "graph")
    h = min(want.get("graph", top), top * GRAPH_SHARE) if len(rest) > 1 else top * 0.5
    cells: dict[str, Cell] = {"graph": (0, 0, W, h)}
    # The parameter panel's title shares its row with the arrows' note, and its legend often
    # goes under it: the widest cell; the loss curve reads well in the narrowest.
    widths = {v: {"fit": 1.1, "params": 1.3, "loss": 0.9}.get(v, 1.0) for v in rest}
    x = 0.0
    for v in rest:
        w = W * widths[v] / sum(widths.values())
        cells[v] = (x, h, w, top - h)
        x += w
    return cells


def _square(views: tuple[str, ...], W: float, top: float, want: dict[str, float]) -> dict[str, Cell]:
    """Four views in a square frame: views[0] and views[2] side by side on top, views[1] and
    views[3] full width below."""
    cells: dict[str, Cell] = {}
    h3 = min(want.get(views[3], 0.3 * top), 0.36 * top)
    h1 = top * WEIGHTS[views[1]] / 2.6
    h0 = top - h1 - h3
    cells[views[0]] = (0, top - h0, W / 2, h0)
    cells[views[2]] = (W / 2, top - h0, W / 2, h0)
    cells[views[1]] = (0, h3, W, h1)
    cells[views[3]] = (0, 0, W, h3)
    return cells


def _square_graph(views: tuple[str, ...], W: float, top: float, want: dict[str, float]) -> dict[str, Cell]:
    """A square frame with the graph: fit and parameters side by side on top, the other views
    (loss, numbers) full width under them, the graph's band at the bottom."""
    g_h = min(want.get("graph", GRAPH_SQUARE * top), GRAPH_SQUARE * top)
    cells: dict[str, Cell] = {"graph": (0, 0, W, g_h)}
    below = tuple(v for v in views if v not in ("fit", "params", "graph"))
    rest = top - g_h
    # The pair's row weighs as one stacked view: WEIGHTS["fit"].
    stacked = _stack(("fit", *below), 0, W, top, rest, want)
    fx, fy, _, fh = stacked["fit"]
    cells["fit"] = (0, fy, W / 2, fh)
    cells["params"] = (W / 2, fy, W / 2, fh)
    for v in below:
        x, y, w, h = stacked[v]
        cells[v] = (x, y, w, h)
    return cells


def _stack(names, x: float, w: float, y_top: float, h_total: float,
           want: dict[str, float]) -> dict[str, Cell]:
    """Views one above the other, each by its weight or asked-for height."""
    cells: dict[str, Cell] = {}
    fixed = {v: min(want[v], 0.45 * h_total) for v in names if v in want}
    rest = h_total - sum(fixed.values())
    wsum = sum(WEIGHTS[v] for v in names if v not in fixed) or 1.0
    y = y_top
    for v in names:
        h = fixed[v] if v in fixed else rest * WEIGHTS[v] / wsum
        y -= h
        cells[v] = (x, y, w, h)
    return cells
