"""2D keypoint errors against the ground truth, in pixels: per joint, overall and per subject.

Keypoints of a layout other than the ground truth's are compared at the joints both layouts name
(`geometry.layouts.common_joints`); the joint definitions differ (a COCO hip is not the mocap hip
centre, an MPII pelvis is not exactly the Human3.6M root), so those errors include a definition offset.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

from poselift.geometry.layouts import Layout, common_joints
from poselift.io.formats import Poses2D


def error_stats(distances: np.ndarray) -> dict[str, float]:
    """Mean, median and 90th percentile of 2D distances (any shape), pixels."""
    d = np.asarray(distances, dtype=np.float64).ravel()
    return {"mean": float(d.mean()), "median": float(np.median(d)), "p90": float(np.percentile(d, 90))}


def keypoint_errors(pairs: Iterable[tuple[np.ndarray, np.ndarray]], names: Sequence[str]) -> dict:
    """The 2D error of keypoints against the ground truth, in pixels.

    `pairs` yields (keypoints, ground truth) of one sequence and camera, each (N, J, 2) with the same
    joints `names`. Returns {"frames": total frames, "per_joint": {name: {"mean", "median", "p90"}},
    "overall": {...}}, the statistics over all frames (and, for "overall", all joints).
    """
    distances = [np.linalg.norm(np.asarray(kp, np.float64) - np.asarray(ref, np.float64), axis=-1)
                 for kp, ref in pairs]  # each (N, J), pixels
    if not distances:
        raise ValueError("no keypoints to compare")
    d = np.concatenate(distances).astype(np.float32)  # (total frames, J)
    if d.shape[1] != len(names):
        raise ValueError(f"{d.shape[1]} joints but {len(names)} names")
    return {
        "frames": int(d.shape[0]),
        "per_joint": {name: error_stats(d[:, j]) for j, name in enumerate(names)},
        "overall": error_stats(d),
    }


def error_report(keypoints: Poses2D, layout: Layout, gt_2d: Poses2D, gt_layout: Layout,
                 joints: Sequence[str] | None = None) -> dict:
    """2D error of `keypoints` (in `layout`) against the ground truth (in `gt_layout`) at the joints both
    have, pixels: per joint, overall, per subject, and which subjects had no ground truth. `joints`: only
    these of the layout's joints, in this order (keypoints in the ground truth's layout), e.g. the joints
    another report compared."""
    if joints is not None:
        if layout.name != gt_layout.name or not set(joints) <= set(layout.names):
            raise ValueError(f"joints {list(joints)} are not all joints of the ground truth's layout "
                             f"{gt_layout.name!r}")
        names = list(joints)
        source_index = gt_index = [layout.names.index(name) for name in names]
        comparison = f"the {len(names)} {layout.name} joints {', '.join(names)}"
    elif layout.name == gt_layout.name:
        names, source_index = list(layout.names), list(range(layout.num_joints))
        gt_index = source_index
        comparison = f"all {layout.num_joints} {layout.name} joints"
    else:
        names, source_index, gt_index = common_joints(layout, gt_layout)
        if not names:
            return {"comparison": f"none: layouts {layout.name!r} and {gt_layout.name!r} share no joint"}
        comparison = (f"the {len(names)} {layout.name} keypoints with a counterpart in {gt_layout.name}; the joint "
                      f"definitions differ, so these errors include a definition offset")
    subjects = [s for s in keypoints if s in gt_2d]

    def pairs(subject):
        for action, cams in gt_2d[subject].items():
            for kp, gt in zip(keypoints[subject][action], cams, strict=True):
                n = min(len(kp), len(gt))
                yield kp[:n, source_index], gt[:n, gt_index]

    errors = keypoint_errors((p for s in subjects for p in pairs(s)), names)
    return {
        "comparison": comparison,
        **errors,
        "per_subject": {s: keypoint_errors(pairs(s), names)["overall"] for s in subjects},
        "not_compared": sorted(set(keypoints) - set(subjects)),
    }


def error_table(report: dict) -> str:
    """The report as a short text table (per joint and overall: mean, median, p90)."""
    if "per_joint" not in report:
        return f"2D error vs ground truth: {report['comparison']}"
    lines = [f"2D error vs ground truth, pixels ({report['comparison']}; {report['frames']} camera frames)",
             f"{'joint':<12}{'mean':>8}{'median':>8}{'p90':>8}"]
    rows = [*report["per_joint"].items(), ("overall", report["overall"])]
    lines += [f"{name:<12}{s['mean']:>8.2f}{s['median']:>8.2f}{s['p90']:>8.2f}" for name, s in rows]
    return "\n".join(lines)
