"""Tables as printed: CSV at full precision, Markdown and LaTeX as rounded, with the best value in bold.

A `Table` carries one table in the three forms the report writes; the formatting helpers make the
printed cells. Nothing here computes a number of the study.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

MISSING = "—"  # printed for a value that does not exist (NaN)


@dataclass(frozen=True)
class Table:
    """A table as numbers (`data`, full precision, for CSV) and as printed (`cells`, `bold`)."""

    data: pd.DataFrame
    cells: pd.DataFrame  # str, the printed values; the first `label_columns` columns are labels
    bold: pd.DataFrame  # bool, same shape as `cells`
    caption: str
    label_columns: int = 1
    notes: tuple[str, ...] = field(default=())

    def csv(self) -> str:
        return self.data.to_csv(index=False, lineterminator="\n")

    def markdown(self) -> str:
        cells = self.cells.where(~self.bold, "**" + self.cells + "**")
        align = ["left"] * self.label_columns + ["right"] * (cells.shape[1] - self.label_columns)
        return cells.to_markdown(index=False, disable_numparse=True, colalign=align) + "\n"

    def latex(self, label: str) -> str:
        """A `table` environment with a plain `tabular` (no packages beyond LaTeX itself)."""
        spec = "l" * self.label_columns + "r" * (self.cells.shape[1] - self.label_columns)
        header = " & ".join(latex_escape(str(c)) for c in self.cells.columns)
        body = []
        for (_, row), (_, bold) in zip(self.cells.iterrows(), self.bold.iterrows(), strict=True):
            cells = [_latex_cell(str(v), bool(b)) for v, b in zip(row, bold, strict=True)]
            body.append("    " + " & ".join(cells) + r" \\")
        return "\n".join([
            r"\begin{table}[htbp]",
            r"  \centering",
            r"  \footnotesize",
            r"  \setlength{\tabcolsep}{3pt}",
            rf"  \caption{{{latex_escape(self.caption)}}}",
            rf"  \label{{{label}}}",
            rf"  \begin{{tabular}}{{{spec}}}",
            r"    \hline",
            f"    {header} \\\\",
            r"    \hline",
            *body,
            r"    \hline",
            r"  \end{tabular}",
            r"\end{table}",
            "",
        ])


def format_fixed(value: float, decimals: int) -> str:
    return MISSING if not np.isfinite(value) else f"{value:.{decimals}f}"


def format_sci(value: float, digits: int = 3) -> str:
    """Three significant digits in e-notation ('6.92e-05'); LaTeX prints it as $6.92 \\cdot 10^{-5}$."""
    return MISSING if not np.isfinite(value) else f"{value:.{digits - 1}e}"


def format_progress(x: float) -> str:
    """A baseline-equivalent epoch: '1', '0.067', '2.5'."""
    return f"{x:.3f}".rstrip("0").rstrip(".")


_LATEX_SPECIAL = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
                  "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}"}
_SCI = re.compile(r"^(-?\d\.\d+)e([+-]\d+)$")


def latex_escape(text: str) -> str:
    return "".join(_LATEX_SPECIAL.get(ch, ch) for ch in text).replace(MISSING, "--")


def _latex_cell(text: str, bold: bool) -> str:
    match = _SCI.match(text)
    text = rf"${match.group(1)} \cdot 10^{{{int(match.group(2))}}}$" if match else latex_escape(text)
    return rf"\textbf{{{text}}}" if bold else text


def bold_lower(cells: pd.DataFrame, rows: Sequence[int], columns: Sequence[str]) -> pd.DataFrame:
    """Bold the lowest printed value among `rows` in each of `columns` (ties: all of them)."""
    bold = pd.DataFrame(False, index=cells.index, columns=cells.columns)
    for column in columns:
        printed = pd.to_numeric(cells.iloc[list(rows)][column].replace(MISSING, np.nan), errors="coerce")
        if printed.notna().any():
            best = printed.min()
            for position, value in zip(rows, printed, strict=True):
                bold.iloc[position, cells.columns.get_loc(column)] = bool(value == best)
    return bold
