"""Ground-truth COCO-17 keypoints of Human3.6M bodies: the targets for fine-tuning a COCO keypoint detector.

Body joints (shoulders, elbows, wrists, hips, knees, ankles) are the 32-joint mocap joints of the same
name (`LShoulder` 17, `LElbow` 18, `LWrist` 19, `LHip` 6, `LKnee` 7, `LFoot` 8 and their right
counterparts 25, 26, 27, 1, 2, 3). They are not what COCO's annotators mark: a COCO shoulder is a point
on the skin near the acromion and a COCO hip the outside of the hip near the greater trochanter, while
the mocap joints are estimated joint centres (the mocap hips lie inside the pelvis, closer together
than COCO's). Fine-tuning on these targets teaches a detector Human3.6M's definitions, which is what a
lifter trained on Human3.6M's 3D joints wants.

Face joints (nose, eyes, ears) have no mocap marker; they are made in a head frame of each pose:

- origin o: the `Neck/Nose` joint (14), at about the height of the nose, inside the head;
- up u: the unit vector from `Neck/Nose` (14) to `Head` (15, the top of the head);
- left l: the shoulder line `LShoulder` - `RShoulder` (17 - 25), its component along u removed, made unit;
- forward f = l x u (the face's direction: the cross product of left and up is forward for a body with
  its left on its left).

A face joint is o + a f + b l + c u with these offsets (a, b, c) in metres, a plausible adult head:

    nose        (0.100,  0.000, 0.000)
    left eye    (0.070,  0.032, 0.035)   right eye (0.070, -0.032, 0.035)   (interpupillary ~64 mm)
    left ear    (-0.010, 0.075, 0.020)   right ear (-0.010, -0.075, 0.020)  (head breadth ~150 mm)

The head frame follows the shoulders, not the head's own yaw (the mocap has no marker for it), so a
turned head has its face joints where an untilted, unturned head would have them: an error of a few
centimetres of definition against COCO's annotation. A pose whose up vector is parallel to its
shoulder line has no head frame: its face joints are NaN.
"""

from __future__ import annotations

import numpy as np

from poselift.datasets.h36m.skeleton import H36M_32
from poselift.geometry.cameras import Camera, project_world_to_pixels
from poselift.geometry.layouts import LAYOUTS

COCO = LAYOUTS["coco"]
FACE = ("Nose", "LEye", "REye", "LEar", "REar")  # COCO joints 0-4, made in the head frame
# (forward, left, up) offsets in metres from the Neck/Nose joint (see the module docstring)
FACE_OFFSETS = {"Nose": (0.100, 0.0, 0.0), "LEye": (0.070, 0.032, 0.035), "REye": (0.070, -0.032, 0.035),
                "LEar": (-0.010, 0.075, 0.020), "REar": (-0.010, -0.075, 0.020)}
# COCO body joints 5-16 and the mocap joints of the same name (LShoulder, ..., RFoot: the ankles)
BODY_JOINTS = tuple(H36M_32.names.index(name) for name in COCO.names[len(FACE):])
NECK_NOSE, HEAD = H36M_32.names.index("Neck/Nose"), H36M_32.names.index("Head")
L_SHOULDER, R_SHOULDER = H36M_32.names.index("LShoulder"), H36M_32.names.index("RShoulder")


def _unit(v: np.ndarray, shortest: float = 1e-6) -> np.ndarray:
    """(..., 3) vectors made unit; NaN for those shorter than `shortest` metres (no direction: no head frame)."""
    norm = np.linalg.norm(v, axis=-1, keepdims=True)
    return np.where(norm > shortest, v / np.maximum(norm, shortest), np.nan)


def head_frame(positions_world: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(T, 32, 3) poses -> origin, forward, left, up of the head frame, each (T, 3) (see the module docstring)."""
    origin = positions_world[:, NECK_NOSE]
    up = _unit(positions_world[:, HEAD] - origin)
    shoulders = positions_world[:, L_SHOULDER] - positions_world[:, R_SHOULDER]
    left = _unit(shoulders - np.sum(shoulders * up, axis=-1, keepdims=True) * up)
    return origin, np.cross(left, up), left, up


def coco_from_h36m_32(positions_world: np.ndarray) -> np.ndarray:
    """(T, 32, 3) Human3.6M poses, world frame, metres -> (T, 17, 3) COCO-17 keypoints in the same frame:
    the body joints taken from the mocap, the face joints made in the head frame (module docstring)."""
    positions_world = np.asarray(positions_world, dtype=np.float64)
    if positions_world.ndim != 3 or positions_world.shape[1:] != (H36M_32.num_joints, 3):
        raise ValueError(f"expected Human3.6M poses (T, 32, 3), got shape {positions_world.shape}")
    origin, forward, left, up = head_frame(positions_world)
    offsets = np.array([FACE_OFFSETS[name] for name in FACE])  # (5, 3), metres: forward, left, up
    axes = np.stack([forward, left, up], axis=1)  # (T, 3 axes, 3)
    face = origin[:, None] + offsets @ axes  # (T, 5, 3)
    return np.concatenate([face, positions_world[:, list(BODY_JOINTS)]], axis=1)


def coco_keypoints_2d(positions_world: np.ndarray, camera: Camera) -> np.ndarray:
    """(T, 32, 3) poses, world frame, metres -> (T, 17, 2) COCO-17 keypoints in `camera`'s full-resolution
    pixels (float32, as `project_world_to_pixels` gives them; face joints NaN where no head frame)."""
    return project_world_to_pixels(coco_from_h36m_32(positions_world), camera)
