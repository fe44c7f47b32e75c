"""Files: VideoPose3D's npz formats and checkpoints, atomic writes, content hashes and the figure writer."""
