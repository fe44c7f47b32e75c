"""Kinematic trees: joints, parents, left/right sides, names; reduction to a subset of joints.

A data set's skeletons (Human3.6M's 32 and 17 joints, HumanEva-I's 15) are defined in its
description under `poselift.datasets`; this module only knows trees.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Skeleton:
    """A kinematic tree: `parents[j]` is the parent of joint j (-1 for the root)."""

    parents: tuple[int, ...]
    joints_left: tuple[int, ...]
    joints_right: tuple[int, ...]
    names: tuple[str, ...]

    def __post_init__(self) -> None:
        n = len(self.parents)
        if len(self.names) != n:
            raise ValueError(f"{len(self.names)} names for {n} joints")
        if any(p >= j for j, p in enumerate(self.parents)):
            raise ValueError("parents must precede their children")
        if set(self.joints_left) & set(self.joints_right):
            raise ValueError("a joint cannot be both left and right")

    @property
    def num_joints(self) -> int:
        return len(self.parents)

    def children(self) -> list[list[int]]:
        out: list[list[int]] = [[] for _ in self.parents]
        for j, p in enumerate(self.parents):
            if p >= 0:
                out[p].append(j)
        return out

    def bones(self) -> list[tuple[int, int]]:
        """(parent, child) pairs, one per non-root joint."""
        return [(p, j) for j, p in enumerate(self.parents) if p >= 0]

    def remove_joints(self, joints_to_remove: list[int]) -> tuple[Skeleton, list[int]]:
        """Drop joints, re-attaching each kept joint to its nearest kept ancestor.

        Returns the reduced skeleton and the kept joint indices (into this skeleton).
        """
        removed = set(joints_to_remove)
        kept = [j for j in range(self.num_joints) if j not in removed]
        new_index = {j: i for i, j in enumerate(kept)}
        parents = []
        for j in kept:
            p = self.parents[j]
            while p in removed:
                p = self.parents[p]
            parents.append(-1 if p < 0 else new_index[p])
        skeleton = Skeleton(
            parents=tuple(parents),
            joints_left=tuple(new_index[j] for j in self.joints_left if j in new_index),
            joints_right=tuple(new_index[j] for j in self.joints_right if j in new_index),
            names=tuple(self.names[j] for j in kept),
        )
        return skeleton, kept

    def with_parents(self, overrides: dict[int, int]) -> Skeleton:
        parents = list(self.parents)
        for joint, parent in overrides.items():
            parents[joint] = parent
        return Skeleton(tuple(parents), self.joints_left, self.joints_right, self.names)

    def bone_lengths(self, positions: np.ndarray) -> np.ndarray:
        """Bone lengths of poses (..., J, 3) -> (..., J-1), in the unit of `positions`."""
        parents, children = zip(*self.bones(), strict=True)
        return np.linalg.norm(positions[..., list(children), :] - positions[..., list(parents), :], axis=-1)
