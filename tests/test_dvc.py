"""DVC around the workflow: repro, push, pull into an empty workspace, and an experiment with one parameter.

The round trip runs the tiny study twice (about 4 minutes on 2 cores) in a scratch git repository made
from the workflow's files, with a local directory as the DVC remote; it runs when POSELIFT_CLUSTER_TESTS=1
(CI sets it in .ci/run), with the cluster tests.
"""

from __future__ import annotations

import json
import os
import shutil

import pytest
import yaml
from workflow_utils import REPO, copy_repo, environment, job_stats, planned_jobs, run, snakemake

GIT = ["git", "-c", "init.defaultBranch=main"]
AUTHOR = {f"GIT_{role}_{field}": value for role in ("AUTHOR", "COMMITTER")
          for field, value in (("NAME", "poselift test"), ("EMAIL", "test@poselift.invalid"))}


def test_dvc_yaml_declares_every_params_section_and_result():
    stage = yaml.safe_load((REPO / "dvc.yaml").read_text())["stages"]["study"]
    params = yaml.safe_load((REPO / "params.yaml").read_text())
    assert sorted(stage["params"]) == sorted(params)
    outs = [next(iter(out)) for out in stage["outs"]]
    assert all(out.startswith("results/") for out in outs)
    assert all(next(iter(out.values()))["persist"] for out in stage["outs"])
    for dep in stage["deps"]:
        assert (REPO / dep).exists(), dep
    assert (REPO / ".dvc" / "config").read_text().split() == ["[core]", "analytics", "=", "false"]


@pytest.mark.slow
@pytest.mark.skipif(os.environ.get("POSELIFT_CLUSTER_TESTS") != "1",
                    reason="DVC round trip (two tiny studies, minutes): runs only with POSELIFT_CLUSTER_TESTS=1 "
                           "(set by .ci/run)")
def test_push_pull_round_trip_and_an_experiment(tmp_path):
    workdir = copy_repo(tmp_path / "repo")
    env = environment(workdir, **AUTHOR)  # git and `dvc exp` commit in the scratch repository
    remote = tmp_path / "remote"
    run([*GIT, "init", "-q"], workdir, 60, env)
    run(["dvc", "remote", "add", "-d", "local", str(remote)], workdir, 60, env)
    run([*GIT, "add", "-A"], workdir, 60, env)
    run([*GIT, "commit", "-q", "-m", "tiny study"], workdir, 60, env)

    output = run(["dvc", "repro"], workdir, 900, env)
    assert job_stats(output)["train"] == 16
    assert "Data and pipelines are up to date" in run(["dvc", "status"], workdir, 120, env)
    metrics = json.loads(run(["dvc", "metrics", "show", "--json"], workdir, 120, env, stdout_only=True))
    summary = metrics[""]["data"]["results/summary.json"]["data"]
    assert summary["tiny"]["baseline"]["mpjpe"] > 0 and summary["tiny"]["ours"]["mpjpe"] > 0
    plots = json.loads(run(["dvc", "plots", "show", "--json"], workdir, 120, env, stdout_only=True))
    assert plots["data"]["results/tables/table1_mpjpe.csv"][0]["content"]["data"]["values"]
    run(["dvc", "push"], workdir, 300, env)
    run([*GIT, "add", "-A"], workdir, 60, env)
    run([*GIT, "commit", "-q", "-m", "results"], workdir, 60, env)

    # A fresh workspace: no results, no DVC cache, no Snakemake state.
    report = (workdir / "results" / "report.md").read_bytes()
    for path in ("results", ".dvc/cache", ".snakemake"):
        shutil.rmtree(workdir / path)
    run(["dvc", "pull"], workdir, 300, env)
    assert (workdir / "results" / "report.md").read_bytes() == report
    assert "Data and pipelines are up to date" in run(["dvc", "status"], workdir, 120, env)
    # The files came back with new modification times: --touch records them as Snakemake's own.
    snakemake(workdir, "--touch", "--cores", "1", timeout=120, env=env)
    assert planned_jobs(workdir) == {}
    assert "didn't change" in run(["dvc", "repro"], workdir, 120, env)

    # An experiment with another learning rate reruns training, evaluation and the report only.
    output = run(["dvc", "exp", "run", "-S", "train.lr=0.002"], workdir, 900, env)
    assert job_stats(output) == {"train": 16, "evaluate": 16, "animate": 1, "report": 1, "all": 1}
    assert yaml.safe_load((workdir / "params.yaml").read_text())["train"]["lr"] == 0.002
    assert "0.002" in run(["dvc", "exp", "show", "--md"], workdir, 120, env)

