"""poselift: action-based training of VideoPose3D as one reproducible study.

The library holds the science and no file paths (those live in the pipeline: Snakefile, rules/).
Subpackages, from the bottom up:

- `geometry`: skeletons, 2D keypoint layouts, cameras and projection, shared by every data set;
- `io`: VideoPose3D's npz formats, checkpoints, atomic writes and the figure writer;
- `datasets`: one description per data set (`h36m`, `humaneva`) and the embedded `synthetic` generator;
  nothing outside `datasets` names a particular data set;
- `keypoints`: 2D input: validation, import of detection files, the detector-error model, 2D error reports;
- `lifting`: the temporal model, training windows, training, evaluation and the pose metrics;
- `study`: parameters, budgets, the paper's tables, TPR, figures and the report text.
"""
