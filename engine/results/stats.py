"""Spread and intervals for measured figures: a median with a 95 % bootstrap interval over windows
(or repeated runs), and the interval of a ratio of two such figures. Torch-free.

A ratio whose interval contains 1 is not a finding: `Ratio.conclusive` says so, and `Ratio.text`
words it ("2.1× (1.8–2.4×)" or "inconclusive: 0.12–14.5×").
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # numpy and scipy load on first use: the GUI imports this module at start-up
    import numpy as np

CONFIDENCE = 0.95
RESAMPLES = 2000
SEED = 0  # fixed: the same data always gives the same interval


@dataclass(frozen=True)
class Interval:
    """The median of `n` values and a 95 % bootstrap interval of it (low == high when n < 2)."""
    median: float
    low: float
    high: float
    n: int

    @property
    def relative_width(self) -> float | None:
        """(high - low) / median: how wide the interval is, as a share of the figure."""
        return (self.high - self.low) / abs(self.median) if self.median else None

    def to_json_dict(self) -> dict[str, float | int]:
        return {"median": self.median, "low": self.low, "high": self.high, "windows": self.n}


def median_interval(values: Sequence[float], confidence: float = CONFIDENCE, resamples: int = RESAMPLES) -> Interval | None:
    """Median and percentile-bootstrap interval; None for no finite values."""
    import numpy as np
    from scipy.stats import bootstrap
    data = np.asarray([v for v in values if v is not None and np.isfinite(v)], dtype=float)
    if data.size == 0:
        return None
    med = float(np.median(data))
    if data.size < 2 or np.ptp(data) == 0:
        return Interval(med, med, med, int(data.size))
    res = bootstrap((data,), np.median, confidence_level=confidence, n_resamples=resamples,
                    method="percentile", random_state=np.random.default_rng(SEED), vectorized=True, axis=-1)
    low, high = float(res.confidence_interval.low), float(res.confidence_interval.high)
    return Interval(med, min(low, med), max(high, med), int(data.size))


@dataclass(frozen=True)
class Ratio:
    """a / b of two measured figures, with the interval of the ratio of their medians."""
    value: float
    low: float
    high: float

    @property
    def conclusive(self) -> bool:
        return self.low > 1.0 or self.high < 1.0

    def text(self, digits: int = 2) -> str:
        span = f"{self.low:.{digits}g}–{self.high:.{digits}g}×"
        if not self.conclusive:
            return f"inconclusive: {span}"
        return f"{self.value:.{digits}g}× ({span})" if self.low != self.high else f"{self.value:.{digits}g}×"


def ratio_interval(a: Sequence[float], b: Sequence[float], confidence: float = CONFIDENCE,
                   resamples: int = RESAMPLES) -> Ratio | None:
    """median(a) / median(b) with a bootstrap interval (a and b resampled independently)."""
    import numpy as np
    xa = np.asarray([v for v in a if v is not None and np.isfinite(v)], dtype=float)
    xb = np.asarray([v for v in b if v is not None and np.isfinite(v) and v != 0], dtype=float)
    if xa.size == 0 or xb.size == 0:
        return None
    value = float(np.median(xa) / np.median(xb))
    if (xa.size < 2 or np.ptp(xa) == 0) and (xb.size < 2 or np.ptp(xb) == 0):
        return Ratio(value, value, value)
    from scipy.stats import bootstrap

    def ratio_of_medians(sa: np.ndarray, sb: np.ndarray, axis: int = -1) -> np.ndarray:
        return np.median(sa, axis=axis) / np.median(sb, axis=axis)

    rng = np.random.default_rng(SEED)
    if xa.size < 2 or xb.size < 2:  # one side is a single figure: resample the other side alone
        fixed_a = xa.size < 2
        const = float(np.median(xa if fixed_a else xb))
        other = xb if fixed_a else xa

        def against_fixed(s: np.ndarray, axis: int = -1) -> np.ndarray:
            med = np.median(s, axis=axis)
            return const / med if fixed_a else med / const

        res = bootstrap((other,), against_fixed, confidence_level=confidence, n_resamples=resamples,
                        method="percentile", random_state=rng, vectorized=True)
    else:
        res = bootstrap((xa, xb), ratio_of_medians, confidence_level=confidence, n_resamples=resamples,
                        method="percentile", random_state=rng, vectorized=True, paired=False)
    low, high = float(res.confidence_interval.low), float(res.confidence_interval.high)
    return Ratio(value, min(low, value), max(high, value))
