"""A fixed-capacity ring buffer of float columns whose newest `n` rows are always one contiguous view.

Each row is written twice (at i and i + capacity), so the window of the last n rows is a plain slice:
no np.roll copies per frame, and memory never grows however long a run lasts.
"""
from __future__ import annotations

import numpy as np


class Ring:
    def __init__(self, fields: tuple[str, ...], capacity: int) -> None:
        if capacity < 1:
            raise ValueError("capacity must be >= 1")
        self.fields = fields
        self.capacity = capacity
        self._index = {name: i for i, name in enumerate(fields)}
        self._buf = np.full((len(fields), 2 * capacity), np.nan, dtype=np.float64)
        self._head = 0  # next write position in [0, capacity)
        self._n = 0
        self.version = 0  # bumps on every append: lets a view redraw only what changed
        self.total = 0  # rows ever appended (including overwritten ones)

    def __len__(self) -> int:
        return self._n

    def append(self, row: dict[str, float | None]) -> None:
        col = np.full(len(self.fields), np.nan)
        for name, value in row.items():
            if value is not None:
                col[self._index[name]] = value
        self._buf[:, self._head] = col
        self._buf[:, self._head + self.capacity] = col
        self._head = (self._head + 1) % self.capacity
        self._n = min(self._n + 1, self.capacity)
        self.version += 1
        self.total += 1

    def extend(self, columns: dict[str, np.ndarray]) -> None:
        """Append many rows at once (loading a stored series, or a benchmark's history)."""
        if not columns:
            return
        count = len(next(iter(columns.values())))
        block = np.full((len(self.fields), count), np.nan)
        for name, values in columns.items():
            block[self._index[name]] = np.asarray(values, dtype=np.float64)
        if count > self.capacity:
            block = block[:, -self.capacity:]
            self.total += count - self.capacity
            count = self.capacity
        positions = (self._head + np.arange(count)) % self.capacity
        self._buf[:, positions] = block
        self._buf[:, positions + self.capacity] = block
        self._head = (self._head + count) % self.capacity
        self._n = min(self._n + count, self.capacity)
        self.version += 1
        self.total += count

    def view(self, name: str) -> np.ndarray:
        """The newest rows of one column, oldest first. A view: copy it before keeping it."""
        end = self._head + self.capacity
        return self._buf[self._index[name], end - self._n:end]

    def last(self, name: str) -> float | None:
        """The newest finite value of a column, or None."""
        values = self.view(name)
        finite = values[np.isfinite(values)]
        return float(finite[-1]) if finite.size else None

    def clear(self) -> None:
        self._buf.fill(np.nan)
        self._head = self._n = self.total = 0
        self.version += 1

    @property
    def nbytes(self) -> int:
        return int(self._buf.nbytes)
