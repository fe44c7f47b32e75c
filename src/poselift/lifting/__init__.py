"""2D-to-3D lifting: the temporal model, training windows, training, evaluation and the pose metrics."""
