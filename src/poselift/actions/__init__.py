"""Which action a clip shows: the action classifier on 2D keypoint windows, and routing to per-action experts."""
