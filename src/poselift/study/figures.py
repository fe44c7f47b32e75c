"""The paper's figures, drawn from the tables' numbers: per-action bars (Figure 5) and error against
training progress (Figure 6), plus an overview of the experiments' averages.

Functions return `matplotlib.figure.Figure` objects built without pyplot (no global state, Agg canvas);
the caller saves them. Colours follow the paper: the baseline (VideoPose3D) light, our per-action
models dark; averages solid, the single action dashed.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping

import numpy as np
import pandas as pd
from matplotlib import ticker
from matplotlib.figure import Figure

from poselift.study.tables import AVG

BASELINE_COLOUR = "#8fd18f"  # light green
OURS_COLOUR = "#1f3d7a"  # dark blue


def per_action_bars(values: pd.DataFrame, ylabel: str, title: str, short_names: Mapping[str, str]) -> Figure:
    """Figure 5: grouped bars per action and for Avg, baseline against Ours.

    `values`: two rows (baseline, Ours), columns the study actions and Avg (tables.per_action_errors);
    `short_names`: the data set's column labels of actions."""
    labels = [short_names.get(c, c) for c in values.columns]
    x = np.arange(len(labels))
    width = 0.4
    fig = Figure(figsize=(10, 3.8), layout="constrained")
    ax = fig.add_subplot()
    for offset, (name, row), colour in zip((-width / 2, width / 2), values.iterrows(),
                                           (BASELINE_COLOUR, OURS_COLOUR), strict=True):
        ax.bar(x + offset, row.to_numpy(dtype=float), width, label=name, color=colour, edgecolor="black",
               linewidth=0.4)
    ax.axvline(len(labels) - 1.5, color="grey", linewidth=0.6, linestyle=":")  # separates Avg
    ax.set_xticks(x, labels, rotation=45, ha="right")
    ax.set_ylabel(ylabel)
    ax.set_title("\n".join(textwrap.wrap(title, 60)))
    fig.legend(loc="outside lower center", ncols=2, fontsize="small", frameon=False)
    ax.grid(axis="y", linewidth=0.3)
    ax.set_axisbelow(True)
    return fig


def error_against_epoch(curves: Mapping[str, pd.Series], title: str, log_scale: bool | None = None) -> Figure:
    """Figure 6: test MPJPE against baseline-equivalent epochs, the four curves of Table 4 at their own
    points (tables.progress_curves: VP3D-Avg, Ours-Avg, VP3D-<A>, Ours-<A>), so every marker is a value
    that was measured (Ours-Avg: a mean of measured and interpolated values).

    `log_scale` None: logarithmic y when the values span more than a factor of 4."""
    styles = (dict(color=BASELINE_COLOUR, linestyle="-"), dict(color=OURS_COLOUR, linestyle="-"),
              dict(color=BASELINE_COLOUR, linestyle="--"), dict(color=OURS_COLOUR, linestyle="--"))
    fig = Figure(figsize=(6.4, 4.2), layout="constrained")
    ax = fig.add_subplot()
    for (name, points), style in zip(curves.items(), styles, strict=True):
        ax.plot(np.array(points.index, dtype=float), points.to_numpy(dtype=float), label=name, marker="o",
                markersize=3 if len(points) > 30 else 5, linewidth=1.4, markeredgecolor="black",
                markeredgewidth=0.3, **style)
    values = np.concatenate([points.to_numpy(dtype=float) for points in curves.values()])
    values = values[np.isfinite(values)]
    if log_scale is None:
        log_scale = values.size > 0 and values.min() > 0 and values.max() / values.min() > 4
    if log_scale:
        ax.set_yscale("log")
        ax.yaxis.set_major_locator(ticker.LogLocator(subs=(1.0, 1.5, 2.0, 3.0, 5.0, 7.0)))
        ax.yaxis.set_major_formatter(ticker.FuncFormatter(lambda value, _: f"{value:g}"))  # 200, not 2x10^2
        ax.yaxis.set_minor_formatter(ticker.NullFormatter())
    ax.set_xlabel("training progress (baseline-equivalent epochs)")
    ax.set_ylabel("test MPJPE (mm)")
    ax.set_title("\n".join(textwrap.wrap(title, 60)))
    ax.legend(fontsize="small")
    ax.grid(linewidth=0.3)
    return fig


def experiment_overview(averages: Mapping[str, pd.DataFrame], ylabels: Mapping[str, str]) -> Figure:
    """Avg of baseline and Ours per experiment, one panel per protocol.

    `averages`: protocol -> frame with index experiment labels and columns (baseline, Ours) names."""
    fig = Figure(figsize=(4 + 1.6 * max(len(a) for a in averages.values()), 4.2), layout="constrained")
    axes = fig.subplots(1, len(averages), squeeze=False)[0]
    for ax, (protocol, table) in zip(axes, averages.items(), strict=True):
        x = np.arange(len(table))
        width = 0.4
        for offset, column, colour in zip((-width / 2, width / 2), table.columns, (BASELINE_COLOUR, OURS_COLOUR),
                                          strict=True):
            ax.bar(x + offset, table[column].to_numpy(dtype=float), width, label=column, color=colour,
                   edgecolor="black", linewidth=0.4)
        ax.set_xticks(x, list(table.index), fontsize="small")
        ax.set_ylabel(ylabels[protocol])
        ax.set_title(f"{AVG} {protocol}")
        ax.grid(axis="y", linewidth=0.3)
        ax.set_axisbelow(True)
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncols=2, fontsize="small", frameon=False)
    return fig
