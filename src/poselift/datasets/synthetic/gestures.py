"""Arm goals: where a hand goes for a named gesture, and where its elbow points.

Each function returns the two arm channels of one side (`l_hand`/`l_pole` or `r_hand`/`r_pole`) for
a `Timeline` key: the wrist position relative to the shoulder in the chest frame (x forward, y left,
z up; mm) and the elbow's direction. Places are given for the reference body (arm 530 mm) and scale
with the subject's arm; places on the face come from the subject's own head geometry.
"""

from __future__ import annotations

import numpy as np

from poselift.datasets.synthetic.kinematics import Body

_REFERENCE_ARM = 530.0  # mm, upper arm + forearm of the reference body


def _goal(body: Body, side: int, hand, pole) -> dict[str, np.ndarray]:
    prefix = "l" if side > 0 else "r"
    return {f"{prefix}_hand": np.asarray(hand, dtype=np.float64), f"{prefix}_pole": np.asarray(pole, dtype=np.float64)}


def _place(body: Body, side: int, forward: float, outward: float, up: float) -> np.ndarray:
    """A place relative to the shoulder (outward: away from the body's midline), scaled to the arm."""
    return np.array([forward, side * outward, up]) * body.arm / _REFERENCE_ARM


def _on_head(body: Body, side: int, point: np.ndarray) -> np.ndarray:
    """A point given in the Spine frame (on the midline; y is outwards) -> relative to the shoulder."""
    return np.array([point[0], side * point[1], point[2]]) - body.shoulder(side)


def _mouth(body: Body) -> np.ndarray:
    return body.chest_point("Neck/Nose") + np.array([45.0, 0.0, -35.0])  # Spine frame, mm


def hang(body: Body, side: int, forward: float = 40.0, outward: float = 45.0, bend: float = 0.95) -> dict:
    """Arm hanging relaxed, the elbow a little bent (bend: wrist distance as a share of the arm)."""
    return _goal(body, side, [forward * body.arm / _REFERENCE_ARM, side * outward, -bend * body.arm],
                 [-0.6, side * 0.4, -1.0])


def at_mouth(body: Body, side: int) -> dict:
    """Hand to the mouth (eating, smoking): the wrist just in front of and below the mouth."""
    return _goal(body, side, _on_head(body, side, _mouth(body) + np.array([70.0, 55.0, -75.0])),
                 [0.3, side * 0.6, -1.0])


def at_ear(body: Body, side: int) -> dict:
    """Hand at the ear (a phone call), the elbow out and down."""
    head = (body.chest_point("Neck/Nose") + body.chest_point("Head")) / 2
    return _goal(body, side, _on_head(body, side, head + np.array([15.0, 60.0, -95.0])), [0.1, side * 1.0, -0.8])


def at_chin(body: Body, side: int) -> dict:
    """Hand under the chin (thinking)."""
    return _goal(body, side, _on_head(body, side, _mouth(body) + np.array([70.0, 0.0, -110.0])),
                 [0.4, side * 0.3, -1.0])


def camera(body: Body, side: int) -> dict:
    """Both hands hold a camera in front of the eyes (call for each side)."""
    eyes = body.chest_point("Neck/Nose") + np.array([0.0, 0.0, 25.0])
    return _goal(body, side, _on_head(body, side, eyes + np.array([230.0, 75.0, -45.0])), [0.0, side * 1.0, -1.0])


def point(body: Body, side: int, azimuth: float, elevation: float) -> dict:
    """Arm stretched out pointing: azimuth outwards from straight ahead, elevation up; degrees."""
    az, el = np.radians(azimuth), np.radians(elevation)
    direction = np.array([np.cos(el) * np.cos(az), side * np.cos(el) * np.sin(az), np.sin(el)])
    return _goal(body, side, 0.97 * body.arm * direction, [0.0, side * 0.5, -1.0])


def at(body: Body, side: int, forward: float, outward: float, up: float, pole=(0.0, 1.0, -1.0)) -> dict:
    """Hand at a place relative to the shoulder (reference-body mm; outward away from the midline)."""
    return _goal(body, side, _place(body, side, forward, outward, up), [pole[0], side * pole[1], pole[2]])


def on_hip(body: Body, side: int) -> dict:
    """Hand on the hip, the elbow out to the side."""
    return at(body, side, 10.0, 60.0, -385.0, pole=(-0.5, 1.0, 0.1))


def folded(body: Body, side: int) -> dict:
    """Arms folded across the chest."""
    return at(body, side, 215.0, -255.0, -185.0, pole=(0.0, 1.0, -1.0))


def behind_back(body: Body, side: int) -> dict:
    """Hands clasped behind the lower back."""
    return at(body, side, -150.0, -90.0, -400.0, pole=(-0.4, 1.0, -0.4))


def clasped(body: Body, side: int) -> dict:
    """Hands clasped in front of the belly."""
    return at(body, side, 200.0, -110.0, -390.0, pole=(-0.2, 1.0, -1.0))


def wave(body: Body, side: int) -> dict:
    """Hand raised beside the head to wave, the upper arm out to the side."""
    return at(body, side, 80.0, 250.0, 220.0, pole=(0.0, 1.0, -0.4))


def overhead(body: Body, side: int, outward: float = 150.0) -> dict:
    """Arm raised above the head."""
    return at(body, side, 60.0, outward, 500.0, pole=(0.0, 1.0, 0.2))


def sideways(body: Body, side: int) -> dict:
    """Arm stretched out to the side at shoulder height."""
    return at(body, side, 20.0, 515.0, 0.0, pole=(0.0, 0.0, -1.0))


def biceps(body: Body, side: int) -> dict:
    """Upper arm out to the side at shoulder height, forearm up (a bodybuilder's double biceps)."""
    return at(body, side, 40.0, 290.0, 240.0, pole=(-0.2, 1.0, -0.2))


def on_lap(body: Body, side: int) -> dict:
    """Seated, the hand resting on the thigh."""
    return at(body, side, 250.0, -35.0, -395.0, pole=(-0.3, 1.0, -0.6))
