"""Human3.6M (Ionescu et al., TPAMI 2014) as VideoPose3D uses it: the description `H36M`."""

from __future__ import annotations

from poselift.datasets.description import Dataset, sequence_pattern
from poselift.datasets.h36m import calibration, names
from poselift.datasets.h36m.coco import coco_keypoints_2d
from poselift.datasets.h36m.raw import read_raw_tree
from poselift.datasets.h36m.skeleton import H36M_17, H36M_32, H36M_KEPT_JOINTS
from poselift.datasets.h36m.videos import h36m_boxes_path, h36m_video_path
from poselift.geometry.cameras import Camera
from poselift.geometry.layouts import LAYOUTS


def _calibrate(subject: str) -> list[Camera]:
    extrinsics = calibration.EXTRINSICS.get(subject)  # None: intrinsics only (the unlabeled S2-S4)
    cameras = []
    for index, cam_id in enumerate(calibration.CAMERA_IDS):
        intrinsics = dict(calibration.INTRINSICS[cam_id])
        orientation, translation = extrinsics[index] if extrinsics is not None else (None, None)
        cameras.append(Camera.from_calibration(cam_id, **intrinsics, orientation=orientation,
                                               translation_mm=translation))
    return cameras


H36M = Dataset(
    key="h36m",
    name="h36m",
    title="Human3.6M",
    fps=50,
    skeleton=H36M_32,
    lifted_joints=H36M_KEPT_JOINTS,
    lifted_skeleton=H36M_17,
    layout=LAYOUTS["h36m"],
    actions=names.ACTIONS,
    study_actions=names.ACTIONS,
    short_names=names.SHORT_NAMES,
    subjects=names.SUBJECTS,
    unlabeled_subjects=names.UNLABELED_SUBJECTS,
    subjects_train=names.SUBJECTS_TRAIN,
    subjects_test=names.SUBJECTS_TEST,
    camera_ids=calibration.CAMERA_IDS,
    sequence_pattern=sequence_pattern(chunked=False),
    dropped=names.DROPPED,
    calibrate=_calibrate,
    rename=names.canonical_action_name,
    read_raw=read_raw_tree,
    raw_formats=("cdf", "h5"),
    synthetic_route="cdf",
    video_path=h36m_video_path,
    boxes_path=h36m_boxes_path,
    coco_keypoints=coco_keypoints_2d,
    notes=("S11 Directions is left out for all cameras, as VideoPose3D does (its video of camera 54138969 is "
           "corrupted).",),
)
