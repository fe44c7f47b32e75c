"""Semi-supervised training by back-projection (papers/002, section 4; VideoPose3D's `run.py -sun`).

A pose model and a trajectory model (the root's camera-frame path) train together. Each step runs a
labelled batch and an unlabelled batch of the same size through both models in one concatenated
forward pass (so batch norm sees both), and the loss is the sum of

- the MPJPE of the labelled poses against their root-zeroed targets;
- the trajectory error of the labelled batch, weighted per frame by the inverse depth 1/z of the true
  root (a far person's trajectory is harder to tell from its 2D, and its error counts less);
- after the warm-up epochs (supervision only, no unlabelled batch at all), the back-projection error of
  the unlabelled batch: its predicted pose plus trajectory, projected through the camera's intrinsics
  (with distortion, or the pinhole model), against its 2D input at the predicted frame (MPJPE in
  normalised screen units);
- and, unless turned off, the bone-length term: the mean absolute difference between the labelled
  batch's mean predicted bone lengths and the unlabelled batch's, over the skeleton's bones (the paper
  calls it an L2 loss; VideoPose3D's code, like this one, takes absolute differences).

The 2D the back-projection matches is the unlabelled input at the frame the models predict: the window's
centre, or its last frame for a causal model (VideoPose3D compares a causal model's prediction with the
window's centre, `pad` frames earlier).

The projected 3D joints are compared with the 2D keypoints by name (`Correspondence`): with COCO
detections only the joints both layouts name alike (shoulders, elbows, wrists, hips, knees, ankles)
count, never a joint with the same index and another meaning (VideoPose3D issue #165). Joints of the
same name are an approximation across definitions (a COCO hip is not the mocap hip joint).

Which unlabelled samples each step draws is a function of the job's seed and the epoch (a shuffle of
the unlabelled set per epoch, reshuffled when used up), so a job resumed after any epoch draws the same.
Unlike VideoPose3D's endless generator, an epoch that draws fewer samples than the unlabelled set holds
does not continue where the last one stopped: the draws of different epochs may repeat samples.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from poselift.geometry.cameras import project_to_2d, project_to_2d_linear
from poselift.geometry.layouts import Layout, common_joints
from poselift.lifting.metrics import MM, mpjpe, weighted_mpjpe
from poselift.lifting.sequences import Sequence, Symmetry
from poselift.lifting.training import Lifting, Models
from poselift.lifting.windows import WindowBank
from poselift.seeding import job_seed

PROJECTIONS = {"distorted": project_to_2d, "linear": project_to_2d_linear}  # semi_supervised.projection
MIN_COMMON_JOINTS = 6  # fewer joints shared by the 2D and 3D layouts cannot constrain a pose


@dataclass(frozen=True)
class Correspondence:
    """The joints of the lifted 3D layout and of the 2D input layout that carry the same name (the same body
    point, up to the definitions of the data set and the detector)."""

    names: tuple[str, ...]
    joints_3d: tuple[int, ...]  # indices into the 3D joints
    keypoints_2d: tuple[int, ...]  # the same points' indices into the 2D keypoints

    @classmethod
    def between(cls, layout_3d: Layout, layout_2d: Layout) -> Correspondence:
        """Match by joint name (`poselift.geometry.layouts`); ValueError when too few joints are shared."""
        names, in_2d, in_3d = common_joints(layout_2d, layout_3d)
        if len(names) < MIN_COMMON_JOINTS:
            raise ValueError(f"the 2D layout {layout_2d.name!r} and the lifted joints ({layout_3d.name!r}) share "
                             f"{len(names)} joint(s) ({', '.join(names) or 'none'}); the back-projection needs at "
                             f"least {MIN_COMMON_JOINTS}")
        return cls(tuple(names), tuple(in_3d), tuple(in_2d))


def back_projection_loss(poses: torch.Tensor, trajectory: torch.Tensor, intrinsics: torch.Tensor,
                         keypoints: torch.Tensor, correspondence: Correspondence,
                         projection: str = "distorted") -> torch.Tensor:
    """MPJPE in normalised screen units between the projected 3D and the 2D keypoints they were lifted from.

    poses: (B, T, J_out, 3) root-relative, camera frame, metres; trajectory: (B, T, 1, 3), the root's camera-
    frame position; intrinsics: (B, 9); keypoints: (B, T, J_in, 2), normalised screen coordinates.
    """
    projected = PROJECTIONS[projection](poses + trajectory, intrinsics)  # (B, T, J_out, 2)
    return mpjpe(projected[:, :, list(correspondence.joints_3d)], keypoints[:, :, list(correspondence.keypoints_2d)])


def bone_lengths(poses: torch.Tensor, parents: tuple[int, ...]) -> torch.Tensor:
    """Poses (..., J, 3) -> the length of every bone, joint to parent (..., J - 1), in the poses' unit."""
    children = [j for j, p in enumerate(parents) if p >= 0]
    return torch.linalg.vector_norm(poses[..., children, :] - poses[..., [parents[j] for j in children], :], dim=-1)


def bone_length_loss(labelled: torch.Tensor, unlabelled: torch.Tensor, parents: tuple[int, ...]) -> torch.Tensor:
    """Mean over bones of |mean length in `labelled` - mean length in `unlabelled`|; poses (B, T, J, 3)."""
    mean = [bone_lengths(p, parents).flatten(0, -2).mean(dim=0) for p in (labelled, unlabelled)]  # (J - 1,) each
    return torch.mean(torch.abs(mean[0] - mean[1]))


def trajectory_loss(predicted: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """The trajectory error (B, T, 1, 3) weighted per frame by the inverse depth of the true root (metres)."""
    return weighted_mpjpe(predicted, target, 1.0 / target[..., 2])


class UnlabelledStream:
    """The unlabelled samples of one epoch: a shuffle of the bank seeded by the job and the epoch, taken in
    order and reshuffled (from the same generator) when used up."""

    def __init__(self, bank: WindowBank, seed: int, epoch: int):
        self.size = len(bank)
        self.device = bank.inputs.device
        self.generator = torch.Generator().manual_seed(job_seed(seed, "unlabelled", str(epoch)))
        self.order = torch.empty(0, dtype=torch.long)

    def take(self, count: int) -> torch.Tensor:
        """The next `count` sample ids (count,)."""
        while len(self.order) < count:
            self.order = torch.cat([self.order, torch.randperm(self.size, generator=self.generator)])
        ids, self.order = self.order[:count], self.order[count:]
        return ids.to(self.device)


TERMS = ("loss_3d", "loss_traj", "loss_2d", "loss_bone")  # the history's columns train_<term> (x 1000)


class SemiSupervised(Lifting):
    """The semi-supervised objective (see the module docstring); scored as `Lifting`.

    Args:
        test_sequences, symmetry, tta, device: as `Lifting`.
        unlabelled: the unlabelled windows (2D and intrinsics; the same receptive field and flips as the
            labelled bank).
        correspondence: the 3D joints and 2D keypoints the back-projection compares.
        parents: the lifted skeleton's parents, for the bone-length term.
        warmup: epochs of supervision only.
        projection: "distorted" or "linear" (`PROJECTIONS`).
        bone_length: add the bone-length term.
        seed: the job's seed (the unlabelled draws).
    """

    trajectory = True
    loss_unit = (MM, "x1000 (summed: 3D terms in m, 2D in normalised screen units)")

    def __init__(self, test_sequences: list[Sequence], symmetry: Symmetry, unlabelled: WindowBank,
                 correspondence: Correspondence, parents: tuple[int, ...], warmup: int, projection: str,
                 bone_length: bool, seed: int, tta: bool = True, device: torch.device | str = "cpu"):
        super().__init__(test_sequences, symmetry, tta, device)
        if projection not in PROJECTIONS:
            raise ValueError(f"projection must be one of {', '.join(PROJECTIONS)}, got {projection!r}")
        if unlabelled.intrinsics is None:
            raise ValueError("the unlabelled sequences need their cameras' intrinsics")
        self.unlabelled, self.correspondence, self.parents = unlabelled, correspondence, parents
        self.warmup, self.projection, self.bone_length, self.seed = warmup, projection, bone_length, seed
        self.epoch = 0
        self.stream: UnlabelledStream | None = None
        self.sums: dict[str, torch.Tensor] = {}
        self.samples = 0

    @property
    def warming_up(self) -> bool:
        return self.epoch <= self.warmup

    def start_epoch(self, epoch: int) -> None:
        self.epoch = epoch
        self.stream = UnlabelledStream(self.unlabelled, self.seed, epoch)
        self.sums = {}
        self.samples = 0

    def loss(self, models: Models, bank: WindowBank, ids: torch.Tensor) -> torch.Tensor:
        x, target = bank.batch(ids)  # (B, RF, J_in, 2), (B, 1, J_out, 3)
        target_traj = bank.batch_trajectory(ids)  # (B, 1, 1, 3)
        n = len(ids)
        if not self.warming_up:
            drawn = self.stream.take(n)
            x = torch.cat([x, self.unlabelled.batch_inputs(drawn)])  # (2B, RF, J_in, 2)
        poses, trajectory = models.pos(x), models.traj(x)  # (B or 2B, 1, J_out, 3), (.., 1, 1, 3)
        terms = {"loss_3d": mpjpe(poses[:n], target), "loss_traj": trajectory_loss(trajectory[:n], target_traj)}
        if not self.warming_up:
            centre = self.unlabelled.centre
            keypoints = x[n:, centre:centre + 1]  # (B, 1, J_in, 2): the unlabelled 2D at the predicted frame
            terms["loss_2d"] = back_projection_loss(poses[n:], trajectory[n:], self.unlabelled.batch_intrinsics(drawn),
                                                    keypoints, self.correspondence, self.projection)
            if self.bone_length:
                terms["loss_bone"] = bone_length_loss(poses[:n], poses[n:], self.parents)
        for name, value in terms.items():  # summed on the device: no synchronisation per step
            self.sums[name] = self.sums.get(name, 0.0) + value.detach() * n
        self.samples += n
        return torch.stack(list(terms.values())).sum()

    def terms(self) -> dict[str, float]:
        """The epoch's mean of each term x 1000 (mm for the 3D terms), NaN for a term left out."""
        return {f"train_{name}": float(self.sums[name]) / self.samples * MM if name in self.sums else float("nan")
                for name in TERMS}
