"""The uncertainty of the study's numbers: confidence intervals over replicates, and paired tests of the
baseline against the per-action models with a multiple-comparison correction (scipy.stats).

- `mean_ci`: the mean of replicate values and the half-width of its 95% confidence interval (Student's t
  with n - 1 degrees of freedom; NaN for one value, 0 for identical values).
- `paired_p`: the p-value of a two-sided paired test: Student's paired t-test (`ttest_rel`) over replicates
  (few pairs, each a mean over thousands of frames), the Wilcoxon signed-rank test (`wilcoxon`) over test
  sequences (many pairs, no normality assumed). Pairs that do not differ at all give p = 1.
- `adjust`: Benjamini-Hochberg adjusted p-values (`false_discovery_control`) over a family of tests (the
  study actions of one experiment and metric).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from scipy import stats

CONFIDENCE = 0.95


def mean_ci(values: Sequence[float], confidence: float = CONFIDENCE) -> tuple[float, float]:
    """(mean, half-width of the confidence interval of the mean) of replicate values."""
    x = np.asarray(values, dtype=float)
    mean = float(x.mean())
    if len(x) < 2:
        return mean, math.nan
    if np.all(x == x[0]):  # (the standard deviation of equal floats can come out as 1e-14, not 0)
        return mean, 0.0
    spread = float(x.std(ddof=1))
    return mean, float(stats.t.ppf((1 + confidence) / 2, len(x) - 1) * spread / math.sqrt(len(x)))


def paired_p(a: Sequence[float], b: Sequence[float], test: str) -> float:
    """Two-sided p-value that paired values `a` and `b` differ: `test` "t" (paired t-test) or "wilcoxon"
    (signed-rank). NaN with fewer than two pairs; 1 when no pair differs."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if a.shape != b.shape:
        raise ValueError(f"paired values of different lengths: {a.shape} and {b.shape}")
    if len(a) < 2:
        return math.nan
    difference = a - b
    if not np.any(difference):
        return 1.0
    if test == "t":
        if np.ptp(difference) == 0.0:  # a constant nonzero difference: no variance, the difference is certain
            return 0.0
        return float(stats.ttest_rel(a, b).pvalue)
    if test == "wilcoxon":
        return float(stats.wilcoxon(a, b).pvalue)
    raise ValueError(f"unknown test {test!r} (t | wilcoxon)")


def adjust(pvalues: Sequence[float]) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values of a family of tests; NaN entries stay NaN and are not counted."""
    p = np.asarray(pvalues, dtype=float)
    out = np.full(p.shape, np.nan)
    finite = np.isfinite(p)
    if finite.any():
        out[finite] = stats.false_discovery_control(p[finite], method="bh")
    return out
