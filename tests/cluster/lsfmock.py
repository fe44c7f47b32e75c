#!/usr/bin/env python3
"""A mock of LSF's commands (bsub, bjobs, bkill, bhist, badmin, lsclusters) for the LSF profile's test.

No LSF can be installed on a test machine, and Snakemake's LSF plugin calls `badmin showconf mbd` and
`lsclusters` at start-up, `bsub` to submit and `bjobs` to follow. Symlinked under those names into a
directory first on PATH, this script answers them: `bsub` runs the job locally in the background (with
CUDA_VISIBLE_DEVICES set from `-gpu "num=N"`, as an LSF GPU host would) and appends its command line to
$MOCK_LSF_DIR/bsub_calls.log, so the test can check the options the profile produces.
"""

from __future__ import annotations

import fnmatch
import os
import shlex
import subprocess
import sys
from pathlib import Path

STATE = Path(os.environ.get("MOCK_LSF_DIR", "/tmp/mock-lsf"))
JOBS = STATE / "jobs"
CLUSTER = "mockcluster"
OPTIONS_WITH_VALUE = {"-J", "-o", "-e", "-cwd", "-env", "-q", "-P", "-W", "-n", "-R", "-gpu", "-M"}


def ensure_state() -> None:
    """The directories and the lsb.params file the plugin reads (DEFAULT_QUEUE)."""
    JOBS.mkdir(parents=True, exist_ok=True)
    configdir = STATE / "conf" / "lsbatch" / CLUSTER / "configdir"
    configdir.mkdir(parents=True, exist_ok=True)
    (configdir / "lsb.params").write_text("Begin Parameters\nDEFAULT_QUEUE = normal\nEnd Parameters\n")
    logdir = STATE / "share" / CLUSTER / "logdir"
    logdir.mkdir(parents=True, exist_ok=True)
    (logdir / "lsb.events").touch()


def job_status(job: Path) -> str:
    rc = job / "rc"
    if not rc.exists():
        return "RUN"
    return "DONE" if rc.read_text().strip() == "0" else "EXIT"


def bsub(argv: list[str]) -> None:
    with open(STATE / "bsub_calls.log", "a") as calls:
        calls.write(shlex.join(["bsub", *argv]) + "\n")
    options, i = {}, 0
    while i < len(argv) - 1:
        if argv[i] in OPTIONS_WITH_VALUE:
            options.setdefault(argv[i], argv[i + 1])
            i += 2
        else:
            i += 1
    job_id = str(1000 + len(list(JOBS.iterdir())))
    job = JOBS / job_id
    job.mkdir()
    (job / "name").write_text(options.get("-J", "noname"))
    env = dict(os.environ, LSB_JOBID=job_id)
    gpu = options.get("-gpu", "")
    if "num=" in gpu:
        count = int(gpu.split("num=")[1].split(":")[0])
        env["CUDA_VISIBLE_DEVICES"] = ",".join(str(k) for k in range(count))
    log = options.get("-o", str(job / "out.log"))
    wrapped = f"( {argv[-1]} ) >> {shlex.quote(log)} 2>&1; echo $? > {shlex.quote(str(job / 'rc'))}"
    subprocess.Popen(["bash", "-c", wrapped], cwd=options.get("-cwd", os.getcwd()), env=env,
                     start_new_session=True, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                     stderr=subprocess.DEVNULL)
    print(f"Job <{job_id}> is submitted to queue <{options.get('-q', 'normal')}>.")


def bjobs(argv: list[str]) -> None:
    pattern = None
    for flag in ("-aJ", "-J"):
        if flag in argv:
            pattern = argv[argv.index(flag) + 1]
    for job in sorted(JOBS.iterdir()):
        if pattern is None or fnmatch.fnmatchcase((job / "name").read_text(), pattern):
            print(job.name, job_status(job))


def bkill(argv: list[str]) -> None:
    for job_id in argv:
        if (JOBS / job_id).is_dir():
            (JOBS / job_id / "rc").write_text("130\n")


def badmin(argv: list[str]) -> None:
    print("MBD configuration at mock")
    print(f"    LSB_SHAREDIR = {STATE / 'share'}")
    print(f"    LSF_CONFDIR = {STATE / 'conf'}")
    print("    LSF_UNIT_FOR_LIMITS = MB")


def lsclusters(argv: list[str]) -> None:
    print("CLUSTER_NAME   STATUS   MASTER_HOST   ADMIN   HOSTS  SERVERS")
    print(f"{CLUSTER}    ok       localhost     root    1      1")


def bhist(argv: list[str]) -> None:
    """No job history: the plugin's project guess finds nothing and submits without -P."""


COMMANDS = {"bsub": bsub, "bjobs": bjobs, "bkill": bkill, "badmin": badmin, "lsclusters": lsclusters,
            "bhist": bhist}

if __name__ == "__main__":
    ensure_state()
    COMMANDS[os.path.basename(sys.argv[0])](sys.argv[1:])
