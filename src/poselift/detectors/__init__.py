"""2D detectors for video: person boxes (Mask R-CNN), COCO keypoints (CPN, Keypoint R-CNN) and their weights."""
