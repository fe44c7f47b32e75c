"""Walking: the gait cycle as joint-angle curves, speed-dependent stride and cadence, and floor paths.

The sagittal curves (hip, knee, foot over a cycle from heel strike) have the shape of clinical gait
data: hip from ~-12 deg (push-off) to ~+24 deg (late swing), extending at an even rate in stance;
knee with a small stance bump and ~60 deg in swing; the foot striking with the heel, flat in
mid-stance, rolling onto the toes to push off. The arms swing against the legs, the pelvis turns,
rolls and shifts over the stance foot. Stride length grows with speed as speed^0.6 and cadence as
speed^0.4 (the usual split); the stride at full amplitude is matched to the leg, and `footing`
holds each stance foot still.

Floor paths are closed loops the walker follows at its speed, turning as they turn, so it stays in
the capture volume for any number of frames.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from poselift.datasets.synthetic.signals import cycle_curve, integrate

Knots = tuple[tuple[float, float], ...]  # (phase in cycles, value) through which `cycle_curve` passes

# Walking, per leg, phase in cycles from its heel strike -> degrees.
HIP_FLEX = ((0.0, 21.0), (0.3, 4.5), (0.55, -12.0), (0.87, 24.0))  # stance: extends at an even rate
KNEE = ((0.0, 4.0), (0.15, 17.0), (0.4, 3.0), (0.72, 60.0))
# The foot's pitch against the floor (toes up +): heel strike, flat through mid-stance, heel off
# and toe-off, toes up again in swing. The ankle angle follows from it, the hip and the knee.
FOOT_PITCH = ((0.0, 12.0), (0.1, 0.0), (0.38, 0.0), (0.62, -50.0), (0.85, 8.0))
TOE = ((0.4, 0.0), (0.62, 45.0), (0.78, 0.0))
# The arm on the same side swings forward while this leg pushes off (+1 forward, -1 back).
ARM = ((0.37, 1.0), (0.87, -1.0))
# Over the left leg's cycle: the pelvis shifts over the stance foot and its swing side drops and turns forward.
PELVIS_SHIFT = ((0.3, 1.0), (0.8, -1.0))
PELVIS_TURN = ((0.37, 1.0), (0.87, -1.0))

# Stride (one full cycle, two steps) at full amplitude per mm of leg (hip to ankle): chosen with the
# curves above for the least foot slide left after `footing` (walking at ~1.1 m/s takes ~107 steps/min).
STRIDE_PER_LEG = 1.6


@dataclass(frozen=True)
class GaitCycle:
    """The curves of one gait over a cycle (see the knots of walking above): per leg from its foot strike,
    hip, knee, the foot's pitch against the floor, toes (degrees) and the arm on its side (+1 forward);
    the pelvis over the left leg's cycle."""

    hip_flex: Knots
    knee: Knots
    foot_pitch: Knots
    toe: Knots
    arm: Knots
    pelvis_shift: Knots
    pelvis_turn: Knots


WALK = GaitCycle(HIP_FLEX, KNEE, FOOT_PITCH, TOE, ARM, PELVIS_SHIFT, PELVIS_TURN)


@dataclass(frozen=True)
class Gait:
    """A walker's gait at full amplitude: cycles per second and the speed it gives."""

    cadence: float  # gait cycles per second (one cycle = two steps)
    stride: float  # mm per cycle

    @property
    def speed(self) -> float:
        """mm/s at full amplitude."""
        return self.cadence * self.stride


def gait_timing(gait: Gait, speed: np.ndarray, fps: float) -> tuple[np.ndarray, np.ndarray]:
    """Gait phase (N,), cycles, and amplitude (N,) in [0, ~1.2] that move a walker at `speed` (N,), mm/s,
    sampled at `fps`.

    Amplitude scales the stride (and every gait curve) as (speed / full speed)^0.6, cadence takes
    the rest; standing still, the phase keeps running at a slow cadence with amplitude 0.
    """
    relative = np.clip(np.asarray(speed, dtype=np.float64) / gait.speed, 0.0, 2.0)
    amplitude = relative**0.6
    cadence = np.where(amplitude > 1e-3, gait.cadence * relative / np.maximum(amplitude, 1e-3), 0.6 * gait.cadence)
    cadence = np.maximum(cadence, 0.6 * gait.cadence)
    return integrate(cadence, fps), amplitude


def add_gait(controls: dict[str, np.ndarray], phase: np.ndarray, amplitude: np.ndarray, arm_swing: float,
             pelvis: float = 1.0, cycle: GaitCycle = WALK) -> None:
    """Add a gait cycle (phase (N,), cycles of the left leg; amplitude (N,)) to the controls, in place.

    arm_swing: mm the hands swing forward and back at full amplitude; pelvis: scale of its motion;
    cycle: the gait's curves (walking unless told).
    """
    for side, offset in (("l", 0.0), ("r", 0.5)):
        leg = phase + offset
        hip, knee = cycle_curve(leg, cycle.hip_flex), cycle_curve(leg, cycle.knee)
        controls[f"{side}_hip_flex"] = controls[f"{side}_hip_flex"] + amplitude * hip
        controls[f"{side}_knee"] = controls[f"{side}_knee"] + amplitude * knee
        pitch = cycle_curve(leg, cycle.foot_pitch)
        controls[f"{side}_ankle"] = controls[f"{side}_ankle"] + amplitude * (knee - hip + pitch)
        controls[f"{side}_toe"] = controls[f"{side}_toe"] + amplitude * cycle_curve(leg, cycle.toe)
        swing = amplitude * arm_swing * cycle_curve(leg, cycle.arm)
        hand = controls[f"{side}_hand"].copy()
        hand[:, 0] += swing
        hand[:, 2] += 0.25 * np.abs(swing)  # the hand rises a little at both ends of its arc
        controls[f"{side}_hand"] = hand
    shift = cycle_curve(phase, cycle.pelvis_shift)
    turn = cycle_curve(phase, cycle.pelvis_turn)
    controls["sway_y"] = controls["sway_y"] + amplitude * pelvis * 22.0 * shift
    controls["pelvis_roll"] = controls["pelvis_roll"] - amplitude * pelvis * 3.0 * shift
    controls["pelvis_yaw"] = controls["pelvis_yaw"] + amplitude * pelvis * 5.0 * turn
    controls["spine_twist"] = controls["spine_twist"] - amplitude * pelvis * 8.0 * turn
    controls["spine_flex"] = controls["spine_flex"] + 3.0 * amplitude


@dataclass(frozen=True)
class Loop:
    """A closed path on the floor, walked by arc length."""

    points: np.ndarray  # (M, 2), mm, world frame, the first point not repeated at the end

    def _arc(self) -> tuple[np.ndarray, np.ndarray]:
        closed = np.concatenate([self.points, self.points[:1]])
        length = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(closed, axis=0), axis=1))])
        return closed, length

    @property
    def length(self) -> float:
        return float(self._arc()[1][-1])

    def at(self, s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Position (N, 2), mm, and heading (N,), radians (continuous), at arc lengths s (N,), mm."""
        closed, length = self._arc()
        s = np.mod(s, length[-1])
        xy = np.stack([np.interp(s, length, closed[:, k]) for k in range(2)], axis=-1)
        ahead = np.mod(s + 20.0, length[-1])  # heading: the chord 2 cm ahead, smoother than one segment
        xy_ahead = np.stack([np.interp(ahead, length, closed[:, k]) for k in range(2)], axis=-1)
        delta = xy_ahead - xy
        return xy, np.unwrap(np.arctan2(delta[:, 1], delta[:, 0]))

    def curvature(self, s: np.ndarray) -> np.ndarray:
        """|Curvature| (N,), 1/mm, at arc lengths s (N,), mm, averaged over ~10 cm of path."""
        closed, length = self._arc()
        step = np.diff(closed, axis=0)
        heading = np.unwrap(np.arctan2(step[:, 1], step[:, 0]))
        middle = (length[:-1] + length[1:]) / 2
        window = 100.0  # mm
        ahead = np.interp(np.mod(middle + window / 2, length[-1]), middle, heading, period=length[-1])
        behind = np.interp(np.mod(middle - window / 2, length[-1]), middle, heading, period=length[-1])
        turn = np.abs(np.mod(ahead - behind + np.pi, 2 * np.pi) - np.pi) / window
        return np.interp(np.mod(s, length[-1]), middle, turn, period=length[-1])


def ellipse(center: tuple[float, float], axes: tuple[float, float], rotation: float, clockwise: bool,
            wobble: tuple[float, float] = (0.0, 0.0), wobble_phase: tuple[float, float] = (0.0, 0.0),
            points: int = 720) -> Loop:
    """A closed loop: an ellipse (semi-axes in mm, rotated by `rotation` radians) whose radius wobbles
    by `wobble` (relative amplitudes of the 2nd and 3rd harmonics), walked clockwise or not."""
    angle = np.linspace(0, 2 * np.pi, points, endpoint=False)
    if clockwise:
        angle = -angle
    radius = 1 + wobble[0] * np.cos(2 * angle + wobble_phase[0]) + wobble[1] * np.cos(3 * angle + wobble_phase[1])
    radius = radius / np.max(radius)
    x, y = axes[0] * radius * np.cos(angle), axes[1] * radius * np.sin(angle)
    c, s = np.cos(rotation), np.sin(rotation)
    return Loop(np.stack([center[0] + c * x - s * y, center[1] + s * x + c * y], axis=-1))


def stadium(center: tuple[float, float], half_length: float, radius: float, rotation: float, clockwise: bool,
            points: int = 720) -> Loop:
    """A closed loop of two straight stretches joined by half circles (a running track), mm."""
    straight, arc = 2 * half_length, np.pi * radius
    s = np.linspace(0, 2 * (straight + arc), points, endpoint=False)
    xy = np.empty((points, 2))
    for lap in (0, 1):  # lap 0: along +x at y = -radius, then the left turn; lap 1: back along -x
        start = lap * (straight + arc)
        sign = 1 - 2 * lap
        on_straight = (s >= start) & (s < start + straight)
        xy[on_straight, 0] = sign * (-half_length + (s[on_straight] - start))
        xy[on_straight, 1] = -sign * radius
        on_arc = (s >= start + straight) & (s < start + straight + arc)
        theta = (s[on_arc] - start - straight) / radius - np.pi / 2
        xy[on_arc, 0] = sign * (half_length + radius * np.cos(theta))
        xy[on_arc, 1] = sign * radius * np.sin(theta)
    if clockwise:
        xy[:, 1] = -xy[:, 1]
    c, s_ = np.cos(rotation), np.sin(rotation)
    return Loop(np.stack([center[0] + c * xy[:, 0] - s_ * xy[:, 1], center[1] + s_ * xy[:, 0] + c * xy[:, 1]], axis=-1))
