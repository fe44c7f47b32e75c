"""Geometry every data set shares: skeletons, 2D keypoint layouts, cameras and projection."""
