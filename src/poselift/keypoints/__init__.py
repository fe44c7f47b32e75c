"""2D keypoints: validation of 2D/3D pairs, import of detection files, the detector-error model, error reports."""
