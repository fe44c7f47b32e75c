"""The cluster profiles, for real: the tiny study on a one-node SLURM cluster, and LSF's submission lines.

SLURM: installs SLURM from Debian, starts a one-node cluster with fake GPUs (tests/cluster/local_slurm.sh),
runs the tiny study through `--profile profiles/slurm`, checks that every job ran on the cluster, that
training and evaluation jobs got a GPU, and that the outputs are right, then stops every daemon it started.
It needs root and changes the system (packages, /etc/slurm), so it runs only when POSELIFT_CLUSTER_TESTS=1
(CI sets it in .ci/run).

LSF cannot be installed anywhere; tests/cluster/lsfmock.py stands in for its commands, runs the jobs on
this machine and records every bsub line. That test needs nothing from the system and always runs.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest
from workflow_utils import REPO, copy_repo, environment, run, snakemake

from poselift.datasets.h36m.names import ACTIONS

MODELS = ["baseline", *ACTIONS]
CLUSTER_SCRIPTS = REPO / "tests" / "cluster"
SWITCHED_ON = os.environ.get("POSELIFT_CLUSTER_TESTS") == "1"
LSF_COMMANDS = ("bsub", "bjobs", "bkill", "bhist", "badmin", "lsclusters")


# --- SLURM -----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def slurm_cluster(tmp_path_factory):
    """A running one-node SLURM cluster with 4 CPUs and 4 fake GPUs; every daemon stopped afterwards."""
    if not SWITCHED_ON:
        pytest.skip("cluster test: installs SLURM from Debian and starts its daemons; "
                    "runs only with POSELIFT_CLUSTER_TESTS=1 (set by .ci/run)")
    if os.geteuid() != 0:
        pytest.fail("POSELIFT_CLUSTER_TESTS=1, but the SLURM test needs root (apt-get, daemons, /etc/slurm)")
    script = str(CLUSTER_SCRIPTS / "local_slurm.sh")
    env = dict(os.environ, SLURM_LOCAL_DIR=str(tmp_path_factory.mktemp("slurm")), SLURM_CPUS="4",
               SLURM_FAKE_GPUS="4")

    def slurm(command: str, timeout: int) -> str:
        return run(["bash", script, command], REPO, timeout, env)

    slurm("install", timeout=600)
    try:
        slurm("start", timeout=120)
        yield env
    finally:
        slurm("stop", timeout=120)
        status = slurm("status", timeout=30)
        assert "running slurmctld" not in status
        assert "running slurmd" not in status


def slurm_jobs() -> list[dict]:
    """Every job the cluster still knows (MinJobAge keeps finished ones for 10 minutes)."""
    ids = subprocess.run(["squeue", "-h", "--states=all", "-o", "%i"], capture_output=True, text=True,
                         check=True, timeout=60).stdout.split()
    jobs = []
    for job_id in ids:
        text = subprocess.run(["scontrol", "show", "job", job_id], capture_output=True, text=True, check=True,
                              timeout=60).stdout
        jobs.append(dict(re.findall(r"(\w[\w:/]*)=(\S*)", text)))
    return jobs


@pytest.mark.slow
@pytest.mark.cluster
def test_tiny_study_runs_on_slurm_with_gpus(slurm_cluster, tmp_path):
    workdir = copy_repo(tmp_path / "repo")
    output = snakemake(workdir, "--profile", "profiles/slurm", "--slurm-status-command", "squeue",
                       "--slurm-init-seconds-before-status-checks", "1", "--slurm-keep-successful-logs",
                       timeout=1200)
    assert "steps (100%) done" in output

    # Outputs: a report, and one parsed summary per model.
    results = workdir / "results"
    assert (results / "report.md").stat().st_size > 0
    for model in MODELS:
        summary = json.loads((results / "metrics" / "tiny" / f"{model}.json").read_text())
        assert summary["model"] == model
        assert summary["average"]["mpjpe"] > 0

    # Every job ran on the cluster: SLURM knows 37 completed jobs, one log each.
    jobs = [job for job in slurm_jobs() if job.get("WorkDir") == str(workdir)]
    assert len(jobs) == 37
    assert {job["JobState"] for job in jobs} == {"COMPLETED"}
    gpu_jobs = [job for job in jobs if "gpu" in job.get("TresPerJob", "") + job.get("TresPerNode", "")]
    assert len(gpu_jobs) == 32  # 16 train + 16 evaluate
    assert {job["Partition"] for job in gpu_jobs} == {"gpu"}
    assert {job["Partition"] for job in jobs if job not in gpu_jobs} == {"debug"}  # the cluster's default
    logs = workdir / ".snakemake" / "slurm_logs"
    for rule, count in {"synthesize": 1, "prepare": 1, "keypoints": 1, "train": 16, "evaluate": 16,
                        "animate": 1, "report": 1}.items():
        assert len(list((logs / f"rule_{rule}").rglob("*.log"))) == count, rule

    # Inside the training jobs, SLURM assigned a (fake) GPU: train prints CUDA_VISIBLE_DEVICES.
    for model in MODELS:
        log = (results / "logs" / "train" / "tiny" / f"{model}.log").read_text()
        assert re.search(r"CUDA_VISIBLE_DEVICES=[0-3]\b", log), f"train {model}: no GPU assigned:\n{log[:2000]}"


# --- LSF (mock) -----------------------------------------------------------------------------------


@pytest.fixture
def mock_lsf(tmp_path) -> dict:
    """PATH and MOCK_LSF_DIR for the LSF mock: its commands first on PATH."""
    bindir = tmp_path / "lsf-bin"
    bindir.mkdir()
    mock = bindir / "lsfmock.py"
    shutil.copy(CLUSTER_SCRIPTS / "lsfmock.py", mock)
    mock.chmod(0o755)
    for name in LSF_COMMANDS:
        (bindir / name).symlink_to(mock)
    return {"bin": str(bindir), "MOCK_LSF_DIR": str(tmp_path / "lsf-state")}


def bsub_options(line: str) -> dict[str, list[str]]:
    """The options of one recorded bsub command line (the last word, the job's command, left out)."""
    words = shlex.split(line)[1:-1]
    options: dict[str, list[str]] = {}
    for flag, value in zip(words, [*words[1:], ""], strict=True):
        if flag.startswith("-"):
            options.setdefault(flag, []).append(value)
    return options


@pytest.mark.slow
def test_lsf_profile_submits_gpu_jobs_to_the_gpu_queue(mock_lsf, tmp_path):
    workdir = copy_repo(tmp_path / "repo")
    # The data jobs run here; LSF gets keypoints (a CPU job), one training job and its evaluation.
    snakemake(workdir, "--cores", "2", "results/data/data_2d_h36m_gt.npz", timeout=300)
    env = environment(workdir, MOCK_LSF_DIR=mock_lsf["MOCK_LSF_DIR"])
    env["PATH"] = f"{mock_lsf['bin']}{os.pathsep}{env['PATH']}"
    snakemake(workdir, "--profile", "profiles/lsf", "results/metrics/tiny/Walking.json", timeout=600, env=env)

    calls = (Path(mock_lsf["MOCK_LSF_DIR"]) / "bsub_calls.log").read_text().splitlines()
    by_rule = {re.search(r"Snakemake_rule_(\w+?)(?::|___)", line).group(1): bsub_options(line) for line in calls}
    assert sorted(by_rule) == ["evaluate", "keypoints", "train"]
    for rule in ("train", "evaluate"):
        options = by_rule[rule]
        assert options["-gpu"] == ["num=1"], rule
        assert options["-q"] == ["gpu"], rule
        assert options["-W"] == ["120" if rule == "train" else "60"], rule
        assert "rusage[mem=8000.0]" in options["-R"], rule  # 8000 MB over 1 thread
        assert options["-n"] == ["1"], rule
    assert "-gpu" not in by_rule["keypoints"]
    assert by_rule["keypoints"]["-q"] == ["normal"]  # the cluster's DEFAULT_QUEUE
    assert "rusage[mem=4000.0]" in by_rule["keypoints"]["-R"]

    # The training job ran (here, under the mock) with the GPU that -gpu asked for.
    log = (workdir / "results" / "logs" / "train" / "tiny" / "Walking.log").read_text()
    assert "CUDA_VISIBLE_DEVICES=0" in log
    assert json.loads((workdir / "results" / "metrics" / "tiny" / "Walking.json").read_text())["model"] == "Walking"
