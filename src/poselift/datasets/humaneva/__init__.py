"""HumanEva-I (Sigal, Balan and Black, IJCV 2010) as VideoPose3D uses it: the description `HUMANEVA`.

VideoPose3D's files (`data_3d_humaneva15.npz`, `data_2d_humaneva15_<source>.npz`) name subjects by split
(`Train/S1`, `Validate/S2`; detection files also `Unlabeled/...` for unlabelled takes and for stretches
of corrupted motion capture) and sequences by take and chunk (`Walking 1 chunk0`: a take is cut into
chunks where the mocap dropped out). 15 joints, cameras C1-C3 at 640 x 480, 60 Hz. The study follows
VideoPose3D (papers/002, Table 4): models per action (SA) against one model (MA), trained on Walk, Jog
and Box, evaluated under Protocol #2 on the Validate subjects.
"""

from __future__ import annotations

from poselift.datasets.description import Dataset, sequence_pattern
from poselift.datasets.humaneva import calibration
from poselift.geometry.cameras import Camera
from poselift.geometry.layouts import LAYOUTS
from poselift.geometry.skeleton import Skeleton

LAYOUT = LAYOUTS["humaneva15"]
# VideoPose3D's `humaneva_skeleton` (common/humaneva_dataset.py): the evaluation skeleton of HumanEva.
HUMANEVA_15 = Skeleton(parents=(-1, 0, 1, 2, 3, 1, 5, 6, 0, 8, 9, 0, 11, 12, 1),
                       joints_left=LAYOUT.keypoints_left, joints_right=LAYOUT.keypoints_right, names=LAYOUT.names)

ACTIONS = ("Walking", "Jog", "Box", "Gestures", "ThrowCatch")
STUDY_ACTIONS = ("Walking", "Jog", "Box")  # VideoPose3D: `-a Walk,Jog,Box`, the actions of its Table 4
SHORT_NAMES = {"Walking": "Walk", "Jog": "Jog", "Box": "Box", "Gestures": "Gest.", "ThrowCatch": "Throw"}
PEOPLE = ("S1", "S2", "S3")
SUBJECTS_TRAIN = tuple(f"Train/{s}" for s in PEOPLE)
SUBJECTS_TEST = tuple(f"Validate/{s}" for s in PEOPLE)
# The prefixes of VideoPose3D's camera table: unlabelled takes and corrupted stretches of labelled ones.
UNLABELED_SUBJECTS = (*(f"Unlabeled/{split}/{s}" for split in ("Train", "Validate") for s in PEOPLE),
                      *(f"Unlabeled/{s}" for s in (*PEOPLE, *calibration.SUBJECTS_WITHOUT_EXTRINSICS)))


def person(subject: str) -> str:
    """'Validate/S2' -> 'S2': the person behind a split-prefixed subject name."""
    return subject.rsplit("/", 1)[-1]


def _calibrate(subject: str) -> list[Camera]:
    extrinsics = calibration.EXTRINSICS.get(person(subject))
    w, h = calibration.RESOLUTION
    cameras = []
    for index, cam_id in enumerate(calibration.CAMERA_IDS):
        orientation, translation = extrinsics[index] if extrinsics is not None else (None, None)
        cameras.append(Camera.from_calibration(cam_id, w, h, calibration.AZIMUTH[cam_id], orientation=orientation,
                                               translation_mm=translation))
    return cameras


HUMANEVA = Dataset(
    key="humaneva",
    name="humaneva15",
    title="HumanEva-I",
    fps=60,
    skeleton=HUMANEVA_15,
    lifted_joints=tuple(range(HUMANEVA_15.num_joints)),
    lifted_skeleton=HUMANEVA_15,
    layout=LAYOUT,
    actions=ACTIONS,
    study_actions=STUDY_ACTIONS,
    short_names=SHORT_NAMES,
    subjects=(*SUBJECTS_TRAIN, *SUBJECTS_TEST),
    unlabeled_subjects=UNLABELED_SUBJECTS,
    subjects_train=SUBJECTS_TRAIN,
    subjects_test=SUBJECTS_TEST,
    camera_ids=calibration.CAMERA_IDS,
    sequence_pattern=sequence_pattern(chunked=True),
    dropped=(),
    calibrate=_calibrate,
    subject_label=person,
    notes=("The camera intrinsics are not published: the ground-truth 2D is read from VideoPose3D's "
           "data_2d_humaneva15_gt.npz (made by HumanEva's MATLAB code), never projected here.",
           "ThrowCatch of S3 is absent (damaged mocap stream), and takes are cut into chunks where the "
           "mocap dropped out, as VideoPose3D's conversion does."),
)
