"""Automatic layout of a network on the canvas. Pure Python (no Qt), linear in the spec's size.

Layers flow top to bottom in ranks (longest path from the input); ranks wrap into side-by-side
columns so that a long network fills a wide screen instead of one endless column. Within a rank,
nodes are ordered by the mean position of their inputs (barycentre), which keeps branches apart.

`make_room(spec, id)` is the local version an edit uses: it moves cards out of the way of one card.
"""
from __future__ import annotations

import math
from collections import defaultdict

from engine.net.spec import INPUT_ID, NetworkSpec

NODE_W, NODE_H = 200.0, 84.0  # a node card's size on the editor canvas, in layout units
GAP_X, GAP_Y = 44.0, 46.0
COLUMN_GAP = 90.0
TARGET_ASPECT = 1.7  # width / height of the laid-out network, about a screen's
ROW_H = NODE_H + GAP_Y  # one rank of the automatic layout
# Two cards closer than this overlap (the ports stick out above and below a card).
_CLEAR_W, _CLEAR_H = NODE_W + 8, NODE_H + 16


def needs_layout(spec: NetworkSpec) -> bool:
    """A spec whose layout misses nodes, or whose nodes would overlap at our card size (a layout
    made by another tool or by hand with smaller boxes), is laid out afresh when opened."""
    if INPUT_ID not in spec.layout or any(layer.id not in spec.layout for layer in spec.layers):
        return True
    return _overlaps([spec.layout[INPUT_ID]] + [spec.layout[layer.id] for layer in spec.layers])


def _overlaps(points: list[tuple[float, float]]) -> bool:
    """True if two cards (with room for their ports) overlap. Grid hashing keeps it linear."""
    w, h = NODE_W + 8, NODE_H + 16
    cells: dict[tuple[int, int], list[tuple[float, float]]] = defaultdict(list)
    for x, y in points:
        cx, cy = int(x // w), int(y // h)
        for dx in (-1, 0, 1):
            for dy in (-1, 0, 1):
                for ox, oy in cells.get((cx + dx, cy + dy), ()):
                    if abs(ox - x) < w and abs(oy - y) < h:
                        return True
        cells[(cx, cy)].append((x, y))
    return False


def _ranks(spec: NetworkSpec) -> dict[str, int]:
    ids = [INPUT_ID] + [layer.id for layer in spec.layers]
    known = set(ids)
    preds = {layer.id: [s for s in layer.inputs if s in known and s != layer.id] for layer in spec.layers}
    preds[INPUT_ID] = []
    succs: dict[str, list[str]] = defaultdict(list)
    indeg = {}
    for node in ids:
        indeg[node] = len(preds.get(node, []))
        for src in preds.get(node, []):
            succs[src].append(node)
    rank = {node: 0 for node in ids}
    queue = [node for node in ids if indeg[node] == 0]
    done = set()
    while queue:
        nxt = []
        for node in queue:
            done.add(node)
            for dst in succs[node]:
                rank[dst] = max(rank[dst], rank[node] + 1)
                indeg[dst] -= 1
                if indeg[dst] == 0:
                    nxt.append(dst)
        queue = nxt
    # Layers on a cycle never reach indegree 0: put them after their known predecessors.
    for node in ids:
        if node not in done:
            rank[node] = 1 + max((rank[p] for p in preds.get(node, []) if p in done), default=0)
    # Unconnected layers (no inputs, not the input) sit beside the input rather than on top of it.
    return rank


def _order(spec: NetworkSpec, rank: dict[str, int]) -> list[list[str]]:
    rows: dict[int, list[str]] = defaultdict(list)
    for node in [INPUT_ID] + [layer.id for layer in spec.layers]:
        rows[rank[node]].append(node)
    preds = {layer.id: layer.inputs for layer in spec.layers}
    index: dict[str, float] = {}
    result = []
    for r in sorted(rows):
        nodes = rows[r]

        def bary(node: str, i: int) -> float:
            known = [index[p] for p in preds.get(node, []) if p in index]
            return sum(known) / len(known) if known else i

        keyed = sorted(((bary(n, i), i, n) for i, n in enumerate(nodes)))
        ordered = [n for _, _, n in keyed]
        for i, node in enumerate(ordered):
            index[node] = i - (len(ordered) - 1) / 2
        result.append(ordered)
    return result


def _rows_per_column(rows: list[list[str]]) -> int:
    n = len(rows)
    if n <= 7:
        return n
    widest = max(len(r) for r in rows)
    col_w = widest * (NODE_W + GAP_X) + COLUMN_GAP
    row_h = NODE_H + GAP_Y
    best = round(math.sqrt(n * col_w / (TARGET_ASPECT * row_h)))
    return max(6, min(n, best))


def auto_layout(spec: NetworkSpec) -> dict[str, tuple[float, float]]:
    """Top-left corner of every node (the input included), in scene coordinates."""
    rows = _order(spec, _ranks(spec))
    per_col = _rows_per_column(rows)
    layout: dict[str, tuple[float, float]] = {}
    x0 = 0.0
    for start in range(0, len(rows), per_col):
        column = rows[start:start + per_col]
        widest = max(len(r) for r in column)
        col_w = widest * (NODE_W + GAP_X) - GAP_X
        for r, row in enumerate(column):
            row_w = len(row) * (NODE_W + GAP_X) - GAP_X
            left = x0 + (col_w - row_w) / 2
            for i, node in enumerate(row):
                layout[node] = (round(left + i * (NODE_W + GAP_X), 1), round(r * (NODE_H + GAP_Y), 1))
        x0 += col_w + COLUMN_GAP
    return layout


def overlapping(spec: NetworkSpec, node_id: str) -> list[str]:
    """The nodes whose cards overlap the card of `node_id` on the canvas."""
    if node_id not in spec.layout:
        return []
    x, y = spec.layout[node_id]
    return [k for k, (ox, oy) in spec.layout.items()
            if k != node_id and abs(ox - x) < _CLEAR_W and abs(oy - y) < _CLEAR_H]


def make_room(spec: NetworkSpec, node_id: str) -> NetworkSpec:
    """Move cards so that `node_id` overlaps none: a card above it pushes it below that card; cards
    at or below it in its column move down, with the cards under them, so the column stays a column
    and the other columns stay as they are."""
    after = spec.model_copy(deep=True)
    layout = after.layout
    for _ in range(len(layout) + 1):
        hits = overlapping(after, node_id)
        if not hits:
            break
        x, y = layout[node_id]
        above = [layout[k][1] for k in hits if layout[k][1] < y]
        if above:
            layout[node_id] = (x, round(max(above) + ROW_H, 1))
            continue
        top = min(layout[k][1] for k in hits)
        _push_down(layout, node_id, top, y + ROW_H - top)
    return after


def _push_down(layout: dict[str, tuple[float, float]], node_id: str, top: float, shift: float) -> None:
    """Move down by `shift` the cards at or below `top` in the column of `node_id`, plus any card
    that one of them would then overlap (and so on)."""
    x = layout[node_id][0]
    below = {k: pos for k, pos in layout.items() if k != node_id and pos[1] >= top}
    moving = {k for k, (ox, _) in below.items() if abs(ox - x) < _CLEAR_W}
    while True:
        caught = {k for k, (ox, oy) in below.items() if k not in moving and any(
            abs(ox - below[m][0]) < _CLEAR_W and abs(oy - (below[m][1] + shift)) < _CLEAR_H for m in moving)}
        if not caught:
            break
        moving |= caught
    for k in moving:
        ox, oy = layout[k]
        layout[k] = (ox, round(oy + shift, 1))
