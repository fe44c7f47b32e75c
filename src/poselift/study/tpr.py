"""Table 3 of one experiment: training cost (TC) and the precision-time rate (TPR, formulas 3/4 of
papers/000, 4/5 of papers/001), from the training histories of its jobs.

eps0 = k (eps_{T/2}^baseline + eps_{T/2}^Ours) / 2 and theta_i = (eps0 - eps_T^i) / TC_i; the definitions,
as the report prints them, are `poselift.study.report.DEFINITIONS`.
"""

from __future__ import annotations

import math

import pandas as pd

from poselift.study.models import BASELINE
from poselift.study.render import Table, format_fixed, format_sci
from poselift.study.tables import BASELINE_ROW, ExperimentRuns, arguments_label, error_at, history_epochs, training_cost


def half_epoch(epochs: int) -> int:
    """The epoch T/2 of formula (3): ceil(T/2), so that T = 1 gives epoch 1 (floor would give 0)."""
    return math.ceil(epochs / 2)


TPR_QUANTITIES = (  # key, printed name, kind (decides the format)
    ("epochs_half", "Epoch T/2 (Ours: sum / longest job)", "epochs"),
    ("tc_half_s", "TC up to T/2 (s)", "seconds"),
    ("mpjpe_half", "MPJPE at T/2 (mm)", "mpjpe"),
    ("mpjve_half", "MPJVE at T/2 (mm/frame)", "mpjve"),
    ("epochs", "Epochs T (Ours: sum / longest job)", "epochs"),
    ("tc_s", "TC (s)", "seconds"),
    ("mpjpe", "MPJPE at T (mm)", "mpjpe"),
    ("mpjve", "MPJVE at T (mm/frame)", "mpjve"),
    ("mpjpe_eps0", "MPJPE eps0 (mm)", "eps0_mpjpe"),
    ("mpjve_eps0", "MPJVE eps0 (mm/frame)", "eps0_mpjve"),
    ("mpjpe_tpr", "MPJPE TPR (mm/s)", "tpr"),
    ("mpjve_tpr", "MPJVE TPR (mm/frame/s)", "tpr"),
)


def tpr_columns(runs: ExperimentRuns) -> dict[str, str]:
    """Table 3's columns: key -> printed name."""
    return {"baseline": BASELINE_ROW, "ours_sum": f"Ours, TC summed over {len(runs.actions)} jobs",
            "ours_parallel": "Ours, TC parallel (longest job)"}


def tpr_values(runs: ExperimentRuns, k: float) -> tuple[pd.DataFrame, list[str]]:
    """Table 3's numbers: index the TPR_QUANTITIES keys, columns baseline / ours_sum / ours_parallel.

    Returns the numbers and notes on epochs that had to be replaced (not evaluated)."""
    notes: list[str] = []

    def job(model: str) -> dict[str, float]:
        history = runs.histories[model]
        epochs = history_epochs(history)
        half = half_epoch(epochs)
        out = {"epochs": epochs, "tc_s": training_cost(history)}
        for protocol in ("mpjpe", "mpjve"):
            for key, wanted in ((f"{protocol}_half", half), (protocol, epochs)):
                out[key], used = error_at(history, f"test_{protocol}", wanted)
                note = f"{model}: epoch {wanted} was not evaluated; epoch {used} used instead"
                if used != wanted and note not in notes:
                    notes.append(note)
                if key == "mpjpe_half":
                    out["epochs_half"] = used
                    out["tc_half_s"] = training_cost(history, used)
        return out

    baseline = job(BASELINE)
    actions = pd.DataFrame({a: job(a) for a in runs.actions}).T  # (actions, quantities)
    sums = {"epochs": "sum", "epochs_half": "sum", "tc_s": "sum", "tc_half_s": "sum"}
    ours_sum = {key: actions[key].agg(sums.get(key, "mean")) for key in actions.columns}
    ours_parallel = {key: actions[key].max() if key in sums else actions[key].mean() for key in actions.columns}
    table = pd.DataFrame({"baseline": baseline, "ours_sum": ours_sum, "ours_parallel": ours_parallel},
                         dtype=float)
    for protocol in ("mpjpe", "mpjve"):
        eps0 = k * (table.at[f"{protocol}_half", "baseline"] + table.at[f"{protocol}_half", "ours_sum"]) / 2
        table.loc[f"{protocol}_eps0"] = eps0
        table.loc[f"{protocol}_tpr"] = (eps0 - table.loc[protocol]) / table.loc["tc_s"]
    return table.loc[[key for key, _, _ in TPR_QUANTITIES]], notes


def tpr_table(runs: ExperimentRuns, k: float, decimals: int) -> Table:
    """Table 3 of one experiment."""
    values, notes = tpr_values(runs, k)
    formats = {"epochs": lambda v: format_fixed(v, 0), "seconds": lambda v: format_fixed(v, 1),
               "mpjpe": lambda v: format_fixed(v, decimals + 1), "mpjve": lambda v: format_fixed(v, decimals + 2),
               "eps0_mpjpe": lambda v: format_fixed(v, decimals + 2),
               "eps0_mpjve": lambda v: format_fixed(v, decimals + 3), "tpr": format_sci}
    columns = tpr_columns(runs)
    cells = pd.DataFrame([[name, *(formats[kind](values.at[key, c]) for c in columns)]
                          for key, name, kind in TPR_QUANTITIES], columns=["Quantity", *columns.values()])
    bold = pd.DataFrame(False, index=cells.index, columns=cells.columns)
    data = values.rename_axis("quantity").reset_index()
    data.insert(1, "name", [name for _, name, _ in TPR_QUANTITIES])
    data.insert(0, "experiment", runs.name)
    caption = (f"Training cost (TC, seconds of training) and precision-time rate (TPR) for "
               f"{arguments_label(runs.settings)}; eps0 = {k:g} (eps_T/2 baseline + eps_T/2 Ours) / 2, "
               f"TPR = (eps0 - eps_T) / TC. Ours' errors are means over the {len(runs.actions)} action jobs.")
    return Table(data=data, cells=cells, bold=bold, caption=caption, notes=tuple(notes))
