"""Human3.6M-style video of 32-joint bodies: shaded capsule people in a textured room, seen by the real cameras.

What a frame is. The body is a union of tapered capsules (a segment between two anchor points with a
radius in metres at each end) and spheres: limbs, a torso (a spine column, two flanks and a pelvis and
shoulder bar, together a thick quadrilateral), a head with eyes, nose and ears and hair over its top and
back (placed with the head's own frame, so that a detector can tell the face from the back of the head),
hands and feet.
Anchors are the joints of the Human3.6M tree or mixtures of them. Clothes and skin colours come from a
per-subject `BodyStyle`. Every anchor goes through the camera's full model, radial and tangential
distortion included (`project_world_to_pixels`); a radius becomes `f r / z` pixels at its anchor's
depth z. Pixels are shaded as the capsule's surface would be under one light (bright along the axis,
darker at the rim), hidden surfaces are removed with a per-pixel z-buffer, and parts are drawn far to
near so that their anti-aliased rims (half a video pixel wide) blend over what lies behind them.
The room (`background_image`) is a box around the capture area, ray-cast once per camera: tiled
floor, panelled walls with a skirting board, ceiling, smooth noise, vignetting; it depends on the seed,
the subject and the camera, never on the frame.

Pixel frames. A camera's calibration is for its full resolution (1000x1002 or 1000x1000). A video at
`scale` is `round(res * scale)` pixels a side, and its intrinsics are the full-resolution ones scaled by
`scale`: a point at full-resolution pixel (u, v) is at (u, v) * scale in the video. Pixel (c, r) covers
[c, c + 1) x [r, r + 1), its centre at (c + 0.5, r + 0.5), in both frames. Every box this module returns
(and every keypoint the pipeline writes) is in full-resolution pixels, whatever the video's size.

Speed: about 2-3 ms per 250x250 frame on one CPU thread (`benchmarks/render_speed.py`); the work per part
is vectorised over the part's bounding box.
"""

from __future__ import annotations

import colorsys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

import numpy as np
from PIL import Image

from poselift.datasets.h36m.skeleton import H36M_32
from poselift.geometry.cameras import Camera, project_world_to_pixels, qinverse, qrot, world_to_camera
from poselift.seeding import job_seed

SKELETON = H36M_32  # the joints a body is drawn from: (T, 32, 3) world poses, metres
_JOINT = {name: j for j, name in enumerate(H36M_32.names)}

NEAR = 0.05  # metres: a part with an anchor closer to the camera plane than this (or behind it) is not drawn
_LIGHT = np.array([-0.35, -0.55, -0.76]) / np.linalg.norm([-0.35, -0.55, -0.76])  # towards the light, camera axes
_AMBIENT, _DIFFUSE = 0.38, 0.72  # shade = ambient + diffuse * max(n . light, 0)


@dataclass(frozen=True)
class BodyStyle:
    """One subject's look: colours RGB in [0, 1], and a girth that multiplies every part's radius."""

    skin: tuple[float, float, float]
    hair: tuple[float, float, float]
    shirt: tuple[float, float, float]
    trousers: tuple[float, float, float]
    shoes: tuple[float, float, float]
    long_sleeves: bool  # forearms in the shirt's colour, else bare (skin)
    girth: float  # about 0.9 (slim) to 1.15 (broad)

    def colour(self, key: str) -> tuple[float, float, float]:
        if key == "sleeve":
            return self.shirt if self.long_sleeves else self.skin
        if key == "eyes":
            return (0.06, 0.05, 0.05)
        return getattr(self, key)


_SKIN_TONES = ((0.96, 0.80, 0.69), (0.90, 0.71, 0.57), (0.78, 0.57, 0.42), (0.60, 0.42, 0.30), (0.42, 0.28, 0.20))
_HAIR = ((0.07, 0.06, 0.05), (0.23, 0.14, 0.08), (0.45, 0.30, 0.15), (0.76, 0.63, 0.38), (0.55, 0.55, 0.55))
_TROUSERS = ((0.20, 0.27, 0.42), (0.10, 0.10, 0.11), (0.40, 0.40, 0.42), (0.60, 0.55, 0.40), (0.35, 0.25, 0.18),
             (0.12, 0.15, 0.30))
_SHOES = ((0.10, 0.10, 0.10), (0.85, 0.85, 0.85), (0.30, 0.20, 0.12))


def _jitter(rng: np.random.Generator, colour: tuple[float, ...], amount: float) -> tuple[float, float, float]:
    return tuple(float(c) for c in np.clip(np.asarray(colour) * rng.uniform(1 - amount, 1 + amount, 3), 0, 1))


def body_style(seed: int, subject: str) -> BodyStyle:
    """The subject's clothes, skin, hair and girth, from the root seed and its name (the same on every run)."""
    rng = np.random.default_rng(job_seed(seed, "render", "style", subject))
    shirt = colorsys.hsv_to_rgb(rng.uniform(0, 1), rng.uniform(0.25, 0.8), rng.uniform(0.3, 0.9))
    return BodyStyle(
        skin=_jitter(rng, _SKIN_TONES[rng.integers(len(_SKIN_TONES))], 0.05),
        hair=_jitter(rng, _HAIR[rng.integers(len(_HAIR))], 0.1),
        shirt=tuple(float(c) for c in shirt),
        trousers=_jitter(rng, _TROUSERS[rng.integers(len(_TROUSERS))], 0.1),
        shoes=_jitter(rng, _SHOES[rng.integers(len(_SHOES))], 0.1),
        long_sleeves=bool(rng.random() < 0.5),
        girth=float(rng.uniform(0.92, 1.12)),
    )


# An anchor: joint weights (a joint, or a mixture of two) plus an offset in metres in the head's frame
# (forward, left, up), which only the face and hair use.
_Anchor = tuple[Mapping[str, float], tuple[float, float, float]]


_NO_OFFSET = (0.0, 0.0, 0.0)


def _at(joint: str) -> _Anchor:
    return {joint: 1.0}, _NO_OFFSET


def _mix(j0: str, j1: str, w: float, offset: tuple[float, float, float] = _NO_OFFSET) -> _Anchor:
    return {j0: 1 - w, j1: w}, offset


def _head(w: float, forward: float = 0.0, left: float = 0.0) -> _Anchor:
    """A point of the head: `w` of the way from the neck/nose joint to the head joint, then offset (metres)."""
    return _mix("Neck/Nose", "Head", w, (forward, left, 0.0))


def _mirror(name: str) -> str:
    return "R" + name[1:] if name.startswith("L") else "L" + name[1:] if name.startswith("R") else name


# (part, colour key, anchor a, anchor b, radius at a, radius at b in metres); right side first, the left
# side is its mirror image. A sphere has a == b. Face and hair follow the 32-joint tree's head: the neck/nose
# joint at the nose, the head joint about 6 cm below the top of the skull.
_SIDE = (
    ("thigh", "trousers", _at("RHip"), _at("RKnee"), 0.075, 0.056),
    ("shin", "trousers", _at("RKnee"), _at("RFoot"), 0.056, 0.042),
    ("foot", "shoes", _at("RFoot"), _at("RToe"), 0.046, 0.038),
    ("toes", "shoes", _at("RToe"), _at("RToeSite"), 0.037, 0.03),
    ("flank", "shirt", ({"RHip": 0.6, "Spine": 0.4}, _NO_OFFSET), _mix("RShoulder", "Thorax", 0.3), 0.06, 0.06),
    ("upper_arm", "shirt", _at("RShoulder"), _at("RElbow"), 0.053, 0.042),
    ("forearm", "sleeve", _at("RElbow"), _at("RWrist"), 0.04, 0.031),
    ("hand", "skin", _at("RWrist"), _at("RHand"), 0.032, 0.036),
    ("fingers", "skin", _at("RHand"), _at("RHandSite"), 0.032, 0.02),
    ("thumb", "skin", _at("RThumb"), _at("RThumbSite"), 0.015, 0.012),
    ("eye", "eyes", _head(0.38, 0.074, -0.03), _head(0.38, 0.074, -0.03), 0.014, 0.014),
    ("ear", "skin", _head(0.4, 0.0, -0.08), _head(0.4, 0.0, -0.08), 0.022, 0.022),
)
_MIDDLE = (
    ("pelvis", "trousers", _at("RHip"), _at("LHip"), 0.075, 0.075),
    ("waist", "trousers", _at("Hip"), _mix("Hip", "Spine", 0.45), 0.11, 0.115),
    ("belly", "shirt", _mix("Hip", "Spine", 0.45), _at("Spine"), 0.115, 0.125),
    ("chest", "shirt", _at("Spine"), _at("Thorax"), 0.125, 0.08),
    ("shoulders", "shirt", _at("RShoulder"), _at("LShoulder"), 0.062, 0.062),
    ("neck", "skin", _at("Thorax"), _at("Neck/Nose"), 0.05, 0.046),
    ("cranium", "skin", _head(0.75), _head(0.75), 0.088, 0.088),  # with the hair (_HAIR_DIRECTION)
    ("jaw", "skin", _head(0.15, 0.025), _head(0.15, 0.025), 0.062, 0.062),
    ("nose", "skin", _head(0.15, 0.085), _head(0.15, 0.085), 0.016, 0.016),
)


def _mirrored(anchor: _Anchor) -> _Anchor:
    weights, (forward, left, up) = anchor
    return {_mirror(j): w for j, w in weights.items()}, (forward, -left, up)


PARTS = (*((f"right_{n}", c, a, b, ra, rb) for n, c, a, b, ra, rb in _SIDE),
         *((f"left_{n}", c, _mirrored(a), _mirrored(b), ra, rb) for n, c, a, b, ra, rb in _SIDE),
         *_MIDDLE)  # (part, colour key, anchor a, anchor b, radius a m, radius b m)


def _anchor_arrays(anchors: list[_Anchor]) -> tuple[np.ndarray, np.ndarray]:
    weights = np.zeros((len(anchors), SKELETON.num_joints))  # (P, 32)
    for p, (mix, _) in enumerate(anchors):
        for joint, w in mix.items():
            weights[p, _JOINT[joint]] = w
    return weights, np.array([offset for _, offset in anchors])  # (P, 32), (P, 3) metres (forward, left, up)


_WEIGHTS_A, _OFFSETS_A = _anchor_arrays([p[2] for p in PARTS])
_WEIGHTS_B, _OFFSETS_B = _anchor_arrays([p[3] for p in PARTS])
_RADII = np.array([[p[4], p[5]] for p in PARTS])  # (P, 2), metres at anchors a and b
_CRANIUM = [p[0] for p in PARTS].index("cranium")
# The hair covers the cranium where its normal is within about 100 degrees of this direction of the head's
# frame (up, tilted back 31 degrees), with a soft hairline: from the forehead to the nape, down to the ears.
_HAIR_DIRECTION = np.array([-0.6, 0.0, 1.0]) / np.linalg.norm([-0.6, 0.0, 1.0])  # (forward, left, up)
_HAIR_COS, _HAIR_SOFT = -0.2, 0.1


@dataclass(frozen=True)
class BodyParts:
    """Every part of a body in every frame, in one camera's full-resolution pixel frame."""

    a: np.ndarray  # (T, P, 2) full-resolution pixels: anchor a of each part, distorted as the camera sees it
    b: np.ndarray  # (T, P, 2)
    radius_px: np.ndarray  # (T, P, 2) full-resolution pixels at a and b
    depth: np.ndarray  # (T, P, 2) metres, camera z of a and b
    radius_m: np.ndarray  # (P, 2) metres at a and b
    drawn: np.ndarray  # (T, P) bool: both anchors in front of the camera (z > NEAR)
    hair: np.ndarray  # (T, 3) unit vector, camera axes: the direction of the head's normals that the hair centres on


def _normalise(v: np.ndarray) -> np.ndarray:
    return v / np.maximum(np.linalg.norm(v, axis=-1, keepdims=True), 1e-9)


def _head_frame(positions: np.ndarray) -> np.ndarray:
    """(T, 3, 3) rows forward, left, up of each frame's head: up from the thorax to the head, left from the
    right to the left shoulder made orthogonal to it."""
    up = _normalise(positions[:, _JOINT["Head"]] - positions[:, _JOINT["Thorax"]])  # (T, 3)
    across = positions[:, _JOINT["LShoulder"]] - positions[:, _JOINT["RShoulder"]]
    left = _normalise(across - np.sum(across * up, axis=-1, keepdims=True) * up)
    return np.stack([np.cross(left, up), left, up], axis=1)


def body_parts(positions_world: np.ndarray, camera: Camera, style: BodyStyle) -> BodyParts:
    """The parts of bodies `positions_world` (T, 32, 3), metres, world frame, as `camera` sees them."""
    positions = np.asarray(positions_world, dtype=np.float64)
    if positions.ndim != 3 or positions.shape[1:] != (SKELETON.num_joints, 3):
        raise ValueError(f"expected poses (T, {SKELETON.num_joints}, 3), got shape {positions.shape}")
    frame = _head_frame(positions)  # (T, 3, 3)
    anchors = np.stack([_WEIGHTS_A @ positions + _OFFSETS_A @ frame,
                        _WEIGHTS_B @ positions + _OFFSETS_B @ frame], axis=2)  # (T, P, 2, 3) metres, world
    t, p = anchors.shape[:2]
    flat = anchors.reshape(t, p * 2, 3)
    pixels = project_world_to_pixels(flat, camera).astype(np.float64).reshape(t, p, 2, 2)  # (T, P, 2 anchors, 2)
    depth = world_to_camera(flat.astype(np.float32), camera.orientation, camera.translation)[..., 2]
    depth = depth.astype(np.float64).reshape(t, p, 2)  # (T, P, 2) metres
    drawn = (depth > NEAR).all(axis=-1)
    focal_px = float(np.mean(camera.intrinsic[:2])) * camera.res_w / 2  # normalised units -> full-resolution px
    radius_m = _RADII * style.girth  # (P, 2)
    radius_px = focal_px * radius_m / np.where(depth > NEAR, depth, np.inf)  # (T, P, 2); 0 where not drawn
    hair = qrot(qinverse(camera.orientation), (_HAIR_DIRECTION @ frame).astype(np.float32))  # world -> camera axes
    return BodyParts(pixels[:, :, 0], pixels[:, :, 1], radius_px, depth, radius_m, drawn, hair.astype(np.float64))


def _part_boxes(parts: BodyParts) -> np.ndarray:
    """(T, P, 4) x0 y0 x1 y1 of each part, the box of its two end discs (which bounds the capsule)."""
    r = parts.radius_px  # (T, P, 2)
    lo = np.minimum(parts.a - r[..., :1], parts.b - r[..., 1:])  # (T, P, 2)
    hi = np.maximum(parts.a + r[..., :1], parts.b + r[..., 1:])
    return np.concatenate([lo, hi], axis=-1)


def person_boxes_gt(positions_world: np.ndarray, camera: Camera, style: BodyStyle) -> np.ndarray:
    """Ground-truth person boxes (T, 4) float32 x0 y0 x1 y1 in full-resolution pixels: the tight box of the
    rendered body (every part's extent, not just the joints), clipped to the frame, as Human3.6M's boxes
    come from its masks; a NaN row where no part is in the frame. (The anti-aliased rim of the drawing
    reaches half a video pixel beyond.)"""
    parts = body_parts(positions_world, camera, style)
    boxes = np.where(parts.drawn[..., None], _part_boxes(parts), np.nan)  # (T, P, 4)
    with np.errstate(invalid="ignore"):
        inside = ((boxes[..., 2] > 0) & (boxes[..., 0] < camera.res_w)
                  & (boxes[..., 3] > 0) & (boxes[..., 1] < camera.res_h))  # (T, P) part overlaps the frame
    boxes = np.where(inside[..., None], boxes, np.nan)
    seen = inside.any(axis=1)  # (T,)
    box = np.full((len(boxes), 4), np.nan)
    box[seen, :2] = np.nanmin(boxes[seen, :, :2], axis=1)
    box[seen, 2:] = np.nanmax(boxes[seen, :, 2:], axis=1)
    limits = np.array([camera.res_w, camera.res_h, camera.res_w, camera.res_h])
    return np.clip(box, 0, limits).astype(np.float32)


def video_size(camera: Camera, scale: float) -> tuple[int, int]:
    """(width, height) in pixels of a video at `scale` of the camera's full resolution."""
    if not 0 < scale <= 1:
        raise ValueError(f"scale must be in (0, 1], got {scale}")
    return max(round(camera.res_w * scale), 1), max(round(camera.res_h * scale), 1)


def _smooth_noise(rng: np.random.Generator, width: int, height: int, cells: tuple[int, ...]) -> np.ndarray:
    """(height, width) float32 smooth noise, about unit variance: octaves of random grids of `cells` cells
    across, upsampled bicubically."""
    noise = np.zeros((height, width), dtype=np.float32)
    for n in cells:
        grid = rng.standard_normal((max(round(n * height / width), 2), n)).astype(np.float32)
        noise += np.asarray(Image.fromarray(grid).resize((width, height), Image.BICUBIC))
    return noise / np.sqrt(len(cells))


def background_image(seed: int, subject: str, camera: Camera, scale: float) -> np.ndarray:
    """The room behind the subject as `camera` sees it, (h, w, 3) uint8 at `scale` (see `video_size`).

    The room (size, colours, floor tiles, wall panels) comes from the seed and the subject; each camera
    sees it from its place. Rays ignore the lens distortion (invisible on walls this plain). World frame
    z up, floor at z = 0, the capture area around the origin."""
    width, height = video_size(camera, scale)
    rng = np.random.default_rng(job_seed(seed, "render", "background", subject))
    centre = np.asarray(camera.translation, dtype=np.float64)  # (3,) metres
    half = np.array([rng.uniform(3.5, 4.5), rng.uniform(5.8, 6.6)])  # room half-width in x, y, metres
    half = np.maximum(half, np.abs(centre[:2]) + 0.5)  # the camera stands inside the room
    ceiling = max(rng.uniform(2.8, 3.4), centre[2] + 0.5)
    wall = np.array(colorsys.hsv_to_rgb(rng.uniform(0, 1), rng.uniform(0.05, 0.25), rng.uniform(0.45, 0.8)))
    floor = np.array(colorsys.hsv_to_rgb(rng.uniform(0, 1), rng.uniform(0.1, 0.35), rng.uniform(0.3, 0.6)))
    tile, tile_contrast = rng.uniform(0.4, 1.0), rng.uniform(0.03, 0.08)
    panel = rng.uniform(0.8, 1.6)

    # Rays through the pixel centres, camera axes, then world; full-resolution pixels -> normalised screen
    # coordinates (x in [-1, 1]) -> the z = 1 image plane.
    u = (np.arange(width) + 0.5) / scale  # (w,) full-resolution pixels
    v = (np.arange(height) + 0.5) / scale  # (h,)
    fx, fy, cx, cy = (float(c) for c in camera.intrinsic[:4])
    x = (u / camera.res_w * 2 - 1 - cx) / fx
    y = (v / camera.res_w * 2 - camera.res_h / camera.res_w - cy) / fy
    rays = np.stack(np.broadcast_arrays(x[None, :], y[:, None], np.ones((1, 1))), axis=-1)  # (h, w, 3)
    rays = qrot(np.asarray(camera.orientation, dtype=np.float64), rays)  # (h, w, 3) world directions

    # Where each ray leaves the box [-hx, hx] x [-hy, hy] x [0, ceiling]: the nearest wall, floor or ceiling.
    lo, hi = np.array([-half[0], -half[1], 0.0]), np.array([half[0], half[1], ceiling])
    with np.errstate(divide="ignore", invalid="ignore"):
        exits = np.where(rays > 0, (hi - centre) / rays, np.where(rays < 0, (lo - centre) / rays, np.inf))
    face = np.argmin(exits, axis=-1)  # (h, w): 0, 1 a wall across x or y, 2 floor or ceiling
    hit = centre + np.min(exits, axis=-1, keepdims=True) * rays  # (h, w, 3) metres

    is_floor = (face == 2) & (rays[..., 2] < 0)
    is_ceiling = (face == 2) & (rays[..., 2] >= 0)
    checker = (np.floor(hit[..., 0] / tile) + np.floor(hit[..., 1] / tile)) % 2 * 2 - 1  # (h, w) +-1
    spot = 1 - 0.3 * np.clip(np.hypot(hit[..., 0], hit[..., 1]) / 8, 0, 1)  # the capture area is lit
    along = np.where(face == 0, hit[..., 1], hit[..., 0])  # (h, w) metres along the wall
    seam = np.abs((along / panel + 0.5) % 1 - 0.5) * panel < 0.015  # 3 cm joints between wall panels
    wall_shade = (0.88 + 0.12 * hit[..., 2] / ceiling) * np.where(seam, 0.85, 1) * np.where(hit[..., 2] < 0.1, 0.6, 1)
    shade = np.where(is_floor, (1 + tile_contrast * checker) * spot, wall_shade)  # (h, w)
    colour = np.where(is_floor[..., None], floor, np.where(is_ceiling[..., None], np.full(3, 0.85), wall))

    noise_rng = np.random.default_rng(job_seed(seed, "render", "background", subject, camera.id))
    texture = 1 + 0.05 * _smooth_noise(noise_rng, width, height, (6, 17, 45))  # (h, w)
    r2 = ((u - camera.res_w / 2)[None, :] ** 2 + (v - camera.res_h / 2)[:, None] ** 2) / (camera.res_w / 2) ** 2
    vignette = 1 - 0.12 * r2  # (h, w)
    image = colour * (shade * texture * vignette)[..., None] * 255  # (h, w, 3)
    return np.clip(np.rint(image), 0, 255).astype(np.uint8)


def _draw_part(image: np.ndarray, zbuf: np.ndarray, a: np.ndarray, b: np.ndarray, radius: np.ndarray,
               depth: np.ndarray, radius_m: np.ndarray, colour: np.ndarray,
               hair: tuple[np.ndarray, np.ndarray] | None = None) -> None:
    """Draw one tapered capsule into `image` (h, w, 3) float32 0-255 and `zbuf` (h, w) metres, in place.

    a, b: (2,) video pixels; radius: (2,) video pixels at a, b; depth: (2,) metres, camera z of the axis
    at a, b; radius_m: (2,) metres; colour: (3,) RGB in [0, 1]. A pixel is shaded by the normal of the
    capsule's surface at its nearest axis point and hidden where the z-buffer holds a nearer surface.
    hair: (direction (3,) camera axes, colour (3,)): the colour of the surface whose normal lies near it."""
    h, w = zbuf.shape
    x0 = max(int(np.floor(min(a[0] - radius[0], b[0] - radius[1]) - 0.5)), 0)
    x1 = min(int(np.ceil(max(a[0] + radius[0], b[0] + radius[1]) + 0.5)), w)
    y0 = max(int(np.floor(min(a[1] - radius[0], b[1] - radius[1]) - 0.5)), 0)
    y1 = min(int(np.ceil(max(a[1] + radius[0], b[1] + radius[1]) + 0.5)), h)
    if x0 >= x1 or y0 >= y1:
        return
    px = np.arange(x0, x1, dtype=np.float32) + (0.5 - a[0])  # (bw,) pixel centres relative to a
    py = (np.arange(y0, y1, dtype=np.float32) + (0.5 - a[1]))[:, None]  # (bh, 1)
    ab = b - a
    length2 = float(ab @ ab)
    t = np.clip((px * ab[0] + py * ab[1]) / length2, 0, 1) if length2 > 1e-12 else np.zeros((y1 - y0, x1 - x0))
    dx, dy = px - t * ab[0], py - t * ab[1]  # (bh, bw) pixels from the nearest axis point
    r = radius[0] + t * (radius[1] - radius[0])  # (bh, bw) pixels
    dist = np.sqrt(dx * dx + dy * dy)
    coverage = np.clip(r - dist + 0.5, 0, 1)  # (bh, bw): anti-aliased edge, one pixel wide
    s = np.sqrt(np.clip(1 - (dist / r) ** 2, 0, 1))  # (bh, bw): the surface normal's component toward the camera
    surface = depth[0] + t * (depth[1] - depth[0]) - (radius_m[0] + t * (radius_m[1] - radius_m[0])) * s
    z = zbuf[y0:y1, x0:x1]
    shown = (coverage > 0) & (surface < z)
    if not shown.any():
        return
    lit = (_LIGHT[0] * dx + _LIGHT[1] * dy) / r - _LIGHT[2] * s  # n . light, n = (dx / r, dy / r, -s)
    shade = (_AMBIENT + _DIFFUSE * np.maximum(lit, 0))[shown][:, None]  # (n, 1)
    paint = np.broadcast_to(colour, (len(shade), 3))  # (n, 3) RGB in [0, 1]
    if hair is not None:
        direction, hair_colour = hair
        towards = ((direction[0] * dx + direction[1] * dy) / r - direction[2] * s)[shown]  # (n,) n . direction
        share = np.clip((towards - _HAIR_COS) / _HAIR_SOFT, 0, 1)[:, None]  # (n, 1)
        paint = paint + share * (hair_colour - paint)
    box = image[y0:y1, x0:x1]
    alpha = coverage[shown][:, None]  # (n, 1)
    box[shown] += alpha * (shade * paint * 255 - box[shown])
    z[shown & (coverage >= 0.5)] = surface[shown & (coverage >= 0.5)]


def iter_frames(positions_world: np.ndarray, camera: Camera, scale: float, background: np.ndarray,
                style: BodyStyle) -> Iterator[np.ndarray]:
    """Render bodies `positions_world` (T, 32, 3), metres, world frame, frame by frame: (h, w, 3) uint8
    RGB each, `background` (h, w, 3) uint8 behind (h, w from `video_size(camera, scale)`)."""
    width, height = video_size(camera, scale)
    if background.shape != (height, width, 3) or background.dtype != np.uint8:
        raise ValueError(f"background must be ({height}, {width}, 3) uint8 for camera {camera.id} at scale {scale}, "
                         f"got {background.dtype} {background.shape}")
    parts = body_parts(positions_world, camera, style)
    colours = np.array([style.colour(p[1]) for p in PARTS], dtype=np.float32)  # (P, 3)
    a, b, radius = parts.a * scale, parts.b * scale, parts.radius_px * scale  # video pixels
    hair_colour = np.array(style.hair, dtype=np.float32)
    base = background.astype(np.float32)
    for t in range(len(a)):
        image, zbuf = base.copy(), np.full((height, width), np.inf, dtype=np.float32)
        for p in np.argsort(-parts.depth[t].mean(axis=-1)):  # far to near
            if parts.drawn[t, p]:
                _draw_part(image, zbuf, a[t, p], b[t, p], radius[t, p], parts.depth[t, p], parts.radius_m[p],
                           colours[p], (parts.hair[t], hair_colour) if p == _CRANIUM else None)
        yield np.clip(np.rint(image), 0, 255).astype(np.uint8)


def render_frames(positions_world: np.ndarray, camera: Camera, scale: float, background: np.ndarray,
                  style: BodyStyle) -> np.ndarray:
    """All frames (T, h, w, 3) uint8 of `iter_frames`."""
    return np.stack(list(iter_frames(positions_world, camera, scale, background, style)))
