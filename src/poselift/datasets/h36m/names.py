"""Human3.6M's subjects, actions and sequence names, and VideoPose3D's renames of the raw names."""

from __future__ import annotations

# The 15 base actions, in VideoPose3D's naming (raw `TakingPhoto` and `WalkingDog` renamed).
ACTIONS = (
    "Directions", "Discussion", "Eating", "Greeting", "Phoning", "Photo", "Posing", "Purchases",
    "Sitting", "SittingDown", "Smoking", "Waiting", "WalkDog", "Walking", "WalkTogether",
)

# Column labels of the paper's tables.
SHORT_NAMES = {
    "Directions": "Dir.", "Discussion": "Disc.", "Eating": "Eat", "Greeting": "Greet", "Phoning": "Phone",
    "Photo": "Photo", "Posing": "Pose", "Purchases": "Purch.", "Sitting": "Sit", "SittingDown": "SitD.",
    "Smoking": "Smoke", "Waiting": "Wait", "WalkDog": "WalkD.", "Walking": "Walk", "WalkTogether": "WalkT.",
}

# Raw Human3.6M file names -> VideoPose3D's names (`prepare_data_h36m.py` renames by substring), and back.
RAW_RENAMES = {"TakingPhoto": "Photo", "WalkingDog": "WalkDog"}
RAW_NAMES = {new: raw for raw, new in RAW_RENAMES.items()}

# Subjects with 3D poses and VideoPose3D's default split; subjects of its detection files without 3D.
SUBJECTS = ("S1", "S5", "S6", "S7", "S8", "S9", "S11")
SUBJECTS_TRAIN = ("S1", "S5", "S6", "S7", "S8")
SUBJECTS_TEST = ("S9", "S11")
UNLABELED_SUBJECTS = ("S2", "S3", "S4")

# VideoPose3D drops this sequence for all cameras ("corrupted video").
DROPPED = (("S11", "Directions"),)

# Sequence names of subject S1 in Human3.6M (after VideoPose3D's renames): two takes per action,
# the first take sometimes unnumbered. The embedded data set names every subject's takes this way.
S1_SEQUENCES = (
    "Directions 1", "Directions", "Discussion 1", "Discussion", "Eating 2", "Eating", "Greeting 1", "Greeting",
    "Phoning 1", "Phoning", "Posing 1", "Posing", "Purchases 1", "Purchases", "Sitting 1", "Sitting 2",
    "SittingDown 2", "SittingDown", "Smoking 1", "Smoking", "Photo 1", "Photo", "Waiting 1", "Waiting",
    "Walking 1", "Walking", "WalkDog 1", "WalkDog", "WalkTogether 1", "WalkTogether",
)


def canonical_action_name(raw_name: str) -> str:
    """A raw Human3.6M action name ('TakingPhoto 1') -> VideoPose3D's ('Photo 1')."""
    name = raw_name
    for raw, new in RAW_RENAMES.items():
        name = name.replace(raw, new)
    return name


def raw_sequence_name(name: str) -> str:
    """'Photo 1' -> 'TakingPhoto 1': the file name stem Human3.6M uses."""
    base, _, rest = name.partition(" ")
    base = RAW_NAMES.get(base, base)
    return f"{base} {rest}" if rest else base
