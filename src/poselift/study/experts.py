"""The per-action experts without test labels: Table 7 (routing: how often the classifier picked the right
expert and what a wrong pick costs), Table 8 (the transfer matrix: every model on every test action) and
their figures (the classifier's confusion matrix, the transfer heatmap). Pure, from `RoutingRuns`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from poselift.lifting.aggregation import per_action
from poselift.study.models import BASELINE
from poselift.study.render import Table, format_fixed
from poselift.study.tables import AVG, BASELINE_ROW, ExperimentRuns

ROUTE_NAMES = {"oracle": "Oracle (true action = Ours)", "sequence": "Routed (sequence)",
               "window": "Routed (window)", "mixture": "Mixture"}


def _routed(runs: ExperimentRuns) -> list:
    routed = [r.routing for r in runs.instances if r.routing is not None]
    if len(routed) != len(runs.instances):
        raise ValueError(f"experiment {runs.name}: routing outputs for {len(routed)} of {len(runs.instances)} "
                         f"replicates")
    return routed


def routing_values(runs: ExperimentRuns) -> pd.DataFrame:
    """Per route (means over replicates): the action-wise average MPJPE and MPJVE, the share of frames given
    to their own action's expert, the test sequences with any frame given to another expert, and on those
    sequences the MPJPE of the route against the oracle's (the cost of a wrong pick)."""
    rows = []
    for routing in _routed(runs):
        routes = routing.routes
        oracle = routes[routes["route"] == "oracle"].set_index(["subject", "action", "camera"])["mpjpe"]
        for route in ROUTE_NAMES:
            own = routes[routes["route"] == route]
            averages = per_action(own, ("mpjpe", "mpjve"))[["mpjpe", "mpjve"]].mean()
            wrong = own[own["right_expert"] < 1].set_index(["subject", "action", "camera"])
            rows.append({"route": route, "mpjpe": averages["mpjpe"], "mpjve": averages["mpjve"],
                         "right_expert": float((own["right_expert"] * own["frames"]).sum() / own["frames"].sum()),
                         "wrong_sequences": len(wrong), "sequences": len(own),
                         "wrong_mpjpe": float(wrong["mpjpe"].mean()) if len(wrong) else np.nan,
                         "wrong_oracle_mpjpe": float(oracle.loc[wrong.index].mean()) if len(wrong) else np.nan})
    return pd.DataFrame(rows).groupby("route", sort=False).mean()


def classifier_accuracy(runs: ExperimentRuns) -> dict[str, float]:
    """The classifier's test accuracy per window and per sequence (vote), means over replicates."""
    accuracy = [r.summary["accuracy"] for r in _routed(runs)]
    return {kind: float(np.mean([a[kind] for a in accuracy])) for kind in ("window", "sequence")}


def routing_table(runs: ExperimentRuns, decimals: int) -> Table:
    """Table 7 of one experiment: the routes side by side."""
    values = routing_values(runs)
    accuracy = classifier_accuracy(runs)
    cells = pd.DataFrame({
        "Route": [ROUTE_NAMES[r] for r in values.index],
        "MPJPE Avg (mm)": [format_fixed(v, decimals) for v in values["mpjpe"]],
        "MPJVE Avg (mm/frame)": [format_fixed(v, decimals + 1) for v in values["mpjve"]],
        "Frames to the right expert": [f"{v:.1%}" for v in values["right_expert"]],
        "Sequences with a wrong pick": [f"{format_fixed(w, 0 if float(w).is_integer() else 1)} of {n:g}"
                                        for w, n in zip(values["wrong_sequences"], values["sequences"], strict=True)],
        "MPJPE there, route / oracle (mm)": [f"{format_fixed(a, decimals)} / {format_fixed(b, decimals)}"
                                              for a, b in zip(values["wrong_mpjpe"], values["wrong_oracle_mpjpe"],
                                                              strict=True)],
    })
    data = values.reset_index()
    data.insert(0, "experiment", runs.name)
    data["classifier_window_accuracy"] = accuracy["window"]
    data["classifier_sequence_accuracy"] = accuracy["sequence"]
    caption = (f"Per-action experts without test labels ({len(runs.instances)} replicate(s), means). The action "
               f"classifier's test accuracy: {accuracy['window']:.1%} of windows, {accuracy['sequence']:.1%} of "
               f"sequences (vote). Oracle: each sequence to its true action's expert (Ours of Table 1, needs labels); "
               f"routed (sequence): the whole sequence to the expert of the action with the highest mean "
               f"probability; routed (window): each frame to the expert of the action predicted around it; "
               f"mixture: the experts' predictions weighted by the probabilities (its expert: the most probable). "
               f"Avg: unweighted mean over the actions of the frame-weighted errors. Last column: mean MPJPE of the "
               f"sequences where the route gave any frame to another expert, and the oracle's on the same "
               f"sequences (what a wrong pick costs).")
    return Table(data=data, cells=cells, bold=pd.DataFrame(False, index=cells.index, columns=cells.columns),
                 caption=caption)


def transfer_values(runs: ExperimentRuns, metric: str = "mpjpe") -> pd.DataFrame:
    """Rows: the baseline and each action's model; columns: the test actions and Avg; values: the model's
    frame-weighted `metric` on that action's test sequences, the mean over replicates."""
    actions = list(runs.actions)
    parts = []
    for routing in _routed(runs):
        transfer = routing.transfer
        parts.append(pd.DataFrame({model: per_action(transfer[transfer["model"] == model], (metric,))[metric]
                                   for model in [BASELINE, *actions]}).T.reindex(columns=actions))
    values = sum(parts) / len(parts)
    values.index = [BASELINE_ROW, *actions]
    values[AVG] = values[actions].mean(axis=1)
    return values


def transfer_table(runs: ExperimentRuns, decimals: int) -> Table:
    """Table 8: the transfer matrix (MPJPE, mm); bold: the best model of each test action."""
    values = transfer_values(runs)
    short = runs.dataset.short_names
    cells = values.map(lambda v: format_fixed(v, decimals))
    cells.columns = [short.get(c, c) for c in cells.columns]
    cells.insert(0, "Model", [BASELINE_ROW, *(f"{short.get(a, a)} model" for a in runs.actions)])
    cells = cells.reset_index(drop=True)
    bold = pd.DataFrame(False, index=cells.index, columns=cells.columns)
    for j, column in enumerate(values.columns):
        bold.iloc[int(np.nanargmin(values[column].to_numpy(dtype=float))), j + 1] = True
    data = values.rename_axis("model").reset_index()
    data.insert(0, "experiment", runs.name)
    caption = ("Transfer matrix: MPJPE (mm) of every model (rows) on every test action (columns), frame-weighted "
               "over the action's test sequences, mean over replicates; the diagonal is Ours of Table 1, the first "
               "row the baseline. Avg: over the test actions (an action model's off-diagonal cells show what it is "
               "worth off its own action). Bold: the best model of each column.")
    return Table(data=data, cells=cells, bold=bold, caption=caption, label_columns=1)


def _heatmap(values: np.ndarray, rows: list[str], columns: list[str], title: str, colour_label: str,
             fmt: str, cmap: str) -> Figure:
    fig = Figure(figsize=(1.0 + 0.5 * len(columns), 1.2 + 0.42 * len(rows)), layout="constrained")
    ax = fig.add_subplot()
    image = ax.imshow(values, cmap=cmap, aspect="auto")
    ax.set_xticks(range(len(columns)), columns, rotation=45, ha="right")
    ax.set_yticks(range(len(rows)), rows)
    finite = values[np.isfinite(values)]
    middle = (finite.min() + finite.max()) / 2 if finite.size else 0.0
    for (i, j), v in np.ndenumerate(values):
        if np.isfinite(v):
            ax.text(j, i, format(v, fmt), ha="center", va="center", fontsize=6,
                    color="white" if (v > middle) == (cmap != "viridis_r") else "black")
    fig.colorbar(image, ax=ax, label=colour_label)
    ax.set_title(title, fontsize=10)
    return fig


def confusion_figure(runs: ExperimentRuns) -> Figure:
    """The classifier's confusion matrix of sequence votes (rows: true action, columns: voted), summed over
    the replicates, as shares of each row."""
    actions = list(runs.actions)
    counts = sum(pd.DataFrame(r.summary["accuracy"]["confusion"]).T.reindex(index=actions, columns=actions)
                 .to_numpy(dtype=float) for r in _routed(runs))
    shares = counts / counts.sum(axis=1, keepdims=True)
    short = [runs.dataset.short_names.get(a, a) for a in actions]
    accuracy = classifier_accuracy(runs)
    return _heatmap(shares, short, short, f"Action classifier, {runs.name}: voted action per test sequence "
                    f"(accuracy {accuracy['sequence']:.0%})", "share of the true action's sequences", ".2f", "Blues")


def transfer_figure(runs: ExperimentRuns) -> Figure:
    """Table 8 as a heatmap."""
    values = transfer_values(runs)
    short = runs.dataset.short_names
    return _heatmap(values.to_numpy(dtype=float), ["baseline", *(short.get(a, a) for a in runs.actions)],
                    [short.get(c, c) for c in values.columns], f"Transfer matrix, {runs.name}: MPJPE (mm) of each "
                    "model (rows) on each test action", "MPJPE (mm)", ".0f", "viridis_r")
