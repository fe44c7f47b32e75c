"""The one figure writer: PNG and SVG beside each other, atomically, byte-identical for identical figures."""

from __future__ import annotations

import os
from pathlib import Path

import matplotlib
from matplotlib.figure import Figure

from poselift.io.atomic import atomic_path

FIGURE_FORMATS = ("png", "svg")


def save_figure(fig: Figure, stem: str | os.PathLike, dpi: int = 150) -> list[Path]:
    """Write `fig` as `<stem>.png` and `<stem>.svg` (no date in the SVG, fixed ids, text as paths, so the
    same figure gives the same bytes); returns both paths."""
    stem = Path(stem)
    written = []
    with matplotlib.rc_context({"svg.hashsalt": "poselift", "svg.fonttype": "path"}):
        for fmt in FIGURE_FORMATS:
            path = stem.with_suffix(f".{fmt}")
            with atomic_path(path) as tmp:
                fig.savefig(tmp, format=fmt, dpi=dpi, metadata={"Date": None} if fmt == "svg" else None)
            written.append(path)
    return written
