"""Human3.6M subjects and actions: names, VideoPose3D's renames, grouping and exact selection."""

from __future__ import annotations

import re
from collections.abc import Iterable

# The 15 base actions, in VideoPose3D's naming (raw `TakingPhoto` and `WalkingDog` renamed).
ACTIONS = (
    "Directions", "Discussion", "Eating", "Greeting", "Phoning", "Photo", "Posing", "Purchases",
    "Sitting", "SittingDown", "Smoking", "Waiting", "WalkDog", "Walking", "WalkTogether",
)

# Raw Human3.6M file names -> VideoPose3D's names (`prepare_data_h36m.py` renames by substring).
RAW_RENAMES = {"TakingPhoto": "Photo", "WalkingDog": "WalkDog"}

# Subjects with 3D poses, and VideoPose3D's default split.
SUBJECTS = ("S1", "S5", "S6", "S7", "S8", "S9", "S11")

# VideoPose3D drops this action for all cameras ("corrupted video").
DROPPED = (("S11", "Directions"),)

BASELINE = "baseline"

# The 16 training jobs of an experiment: the baseline on all actions, then one model per action.
MODELS = (BASELINE, *ACTIONS)

_ACTION_NAME = re.compile(r"^(?P<base>[A-Za-z]+)(?: (?P<index>\d+))?$")


def canonical_action_name(raw_name: str) -> str:
    """A raw Human3.6M action name ('TakingPhoto 1') -> VideoPose3D's ('Photo 1')."""
    name = raw_name
    for raw, new in RAW_RENAMES.items():
        name = name.replace(raw, new)
    return name


def base_action(name: str) -> str:
    """'Sitting 2' -> 'Sitting': the group VideoPose3D's evaluation averages over."""
    return name.split(" ")[0]


def sub_action(name: str) -> str:
    """'Sitting 2' -> '2', 'Eating' -> '' (the first take has no number in some subjects)."""
    parts = name.split(" ", 1)
    return parts[1] if len(parts) == 2 else ""


def parse_action(name: str) -> str | None:
    """The base action of a sequence name in VideoPose3D's naming ('Sitting 2' -> 'Sitting'), or None
    when the name is not one of the 15 actions, optionally followed by a space and a take number."""
    match = _ACTION_NAME.match(name)
    return match.group("base") if match is not None and match.group("base") in ACTIONS else None


def is_action(name: str, action: str) -> bool:
    """Exact match of a sequence name to a base action: `Sitting` takes `Sitting`, `Sitting 1`,
    `Sitting 2`, never `SittingDown` (VideoPose3D's prefix filter `-a Sitting` takes both)."""
    return parse_action(name) == action


def check_model_name(model: str) -> None:
    if model != BASELINE and model not in ACTIONS:
        raise ValueError(f"unknown model {model!r}: expected {BASELINE!r} or one of {', '.join(ACTIONS)}")


def model_actions(model: str) -> tuple[str, ...]:
    """The base actions a model trains and is scored on: all 15 for the baseline, else its own."""
    check_model_name(model)
    return ACTIONS if model == BASELINE else (model,)


def select_sequences(names: Iterable[str], model: str) -> list[str]:
    """The sequence names a model uses, in the given order."""
    actions = model_actions(model)
    return [n for n in names if any(is_action(n, a) for a in actions)]
