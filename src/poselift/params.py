"""Parameters: validation against the study's JSON schema, experiment settings and job seeds.

The schema file itself lives with the pipeline (`schemas/params.schema.yaml`); functions here take
it as a dict.
"""

from __future__ import annotations

import copy
import hashlib

import jsonschema


class ParamsError(ValueError):
    """Parameters that do not satisfy the schema."""


def validate(params: dict, schema: dict, partial: bool = False) -> None:
    """Check `params` against `schema`; with `partial`, only the top-level sections present.

    Stages receive only the sections they read (so that a change elsewhere does not rerun them);
    each section present is still checked in full, and unknown sections are errors.
    """
    if partial:
        unknown = set(params) - set(schema.get("properties", {}))
        if unknown:
            raise ParamsError(f"unknown parameter section(s): {', '.join(sorted(unknown))}")
        schema = {**schema, "required": [k for k in schema.get("required", []) if k in params]}
    validator = jsonschema.Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(params), key=lambda e: list(e.absolute_path))
    if errors:
        lines = [f"  - {'.'.join(str(p) for p in e.absolute_path) or '(top level)'}: {e.message}" for e in errors]
        raise ParamsError("invalid parameters:\n" + "\n".join(lines))


def experiment_settings(params: dict, experiment: str) -> dict:
    """The training settings of one experiment: `train` defaults overridden by the experiment's keys."""
    experiments = params["experiments"]
    if experiment not in experiments:
        raise ParamsError(f"unknown experiment {experiment!r}; defined: {', '.join(experiments)}")
    settings = copy.deepcopy(params["train"])
    settings.update(copy.deepcopy(experiments[experiment] or {}))
    return settings


def job_seed(root_seed: int, *names: str) -> int:
    """A seed for one job, derived from the root seed and the job's names (stable across runs and
    machines, unlike Python's `hash`)."""
    digest = hashlib.sha256(":".join([str(root_seed), *names]).encode()).digest()
    return int.from_bytes(digest[:4], "little") & 0x7FFFFFFF
