"""Seeds derived from names: every random stream of the study comes from the root seed and the names
of what it is for (a job, a sequence, a camera), the same on every run and machine."""

from __future__ import annotations

import hashlib


def job_seed(root_seed: int, *names: str) -> int:
    """A seed for one job, derived from the root seed and the job's names (stable across runs and
    machines, unlike Python's `hash`)."""
    digest = hashlib.sha256(":".join([str(root_seed), *names]).encode()).digest()
    return int.from_bytes(digest[:4], "little") & 0x7FFFFFFF
