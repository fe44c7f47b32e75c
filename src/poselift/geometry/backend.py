"""One framework for the geometry and the metrics: torch, callable with NumPy arrays too."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TypeVar

import numpy as np
import torch

F = TypeVar("F", bound=Callable)


def numpy_compatible(func: F) -> F:
    """Let a torch function take NumPy arrays: NumPy in, NumPy out (dtype kept), torch in, torch out."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        if not any(isinstance(a, np.ndarray) for a in (*args, *kwargs.values())):
            return func(*args, **kwargs)
        dtype = next(a.dtype for a in (*args, *kwargs.values()) if isinstance(a, np.ndarray))

        def to_torch(a):
            return torch.from_numpy(np.ascontiguousarray(a)) if isinstance(a, np.ndarray) else a

        result = func(*(to_torch(a) for a in args), **{k: to_torch(v) for k, v in kwargs.items()})

        def to_numpy(r):
            if isinstance(r, torch.Tensor):
                out = r.detach().cpu().numpy()
                return out.astype(dtype, copy=False) if out.dtype.kind == "f" and dtype.kind == "f" else out
            return r

        if isinstance(result, tuple):
            return tuple(to_numpy(r) for r in result)
        return to_numpy(result)

    return wrapper  # type: ignore[return-value]
