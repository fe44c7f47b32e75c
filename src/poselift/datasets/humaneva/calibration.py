"""Published calibration of HumanEva-I's three colour cameras C1-C3, as VideoPose3D distributes it.

Values from VideoPose3D (Pavllo et al., CVPR 2019; `common/humaneva_dataset.py`), which took the
extrinsics from HumanEva-I (Sigal, Balan and Black, IJCV 2010): orientation quaternions (w, x, y, z)
rotating camera to world and camera centres in millimetres, per subject; resolution 640 x 480. The
intrinsics are not published with VideoPose3D (its ground-truth 2D comes from HumanEva's MATLAB code,
`ConvertHumanEva.m`), so 3D poses of HumanEva-I cannot be projected here; S4 has no extrinsics.
"""

CAMERA_IDS = ("C1", "C2", "C3")
RESOLUTION = (640, 480)  # width, height in pixels, all three cameras
AZIMUTH = {"C1": 0, "C2": -90, "C3": 90}  # degrees, display only

# subject -> per camera (in CAMERA_IDS order): (orientation quaternion wxyz, translation mm, world frame)
EXTRINSICS = {
    "S1": (
        ((0.424207, -0.4983646, -0.5802981, 0.4847012), (4062.227, 663.2477, 1528.397)),
        ((0.6503354, -0.7481602, -0.0919284, 0.0941766), (844.8131, -3805.2092, 1504.9929)),
        ((0.0664734, -0.0690535, 0.7416416, -0.6639132), (-797.67377, 3916.3174, 1433.6602)),
    ),
    "S2": (
        ((0.4214752, -0.4961493, -0.5838273, 0.4851187), (4112.9121, 626.4929, 1545.2988)),
        ((0.6501393, -0.7476588, -0.0954617, 0.0959808), (923.5740, -3877.9243, 1504.5518)),
        ((0.0699353, -0.0712403, 0.7421637, -0.662742), (-781.4915, 3838.8853, 1444.9929)),
    ),
    "S3": (
        ((0.424207, -0.4983646, -0.5802981, 0.4847012), (4062.2271, 663.2477, 1528.3970)),
        ((0.6503354, -0.7481602, -0.0919284, 0.0941766), (844.8131, -3805.2092, 1504.9929)),
        ((0.0664734, -0.0690535, 0.7416416, -0.6639132), (-797.6738, 3916.3174, 1433.6602)),
    ),
}
SUBJECTS_WITHOUT_EXTRINSICS = ("S4",)
