#!/usr/bin/env bash
# A one-node SLURM cluster on localhost with fake GPUs, for the cluster tests (tests/test_cluster.py).
# Debian 12 (slurm-wlm 22.05), run as root; adapted from the team's verified recipe.
#
#   local_slurm.sh install   # apt-get the packages (skipped when already installed)
#   local_slurm.sh start     # write /etc/slurm/{slurm,gres}.conf, start munged, slurmctld, slurmd; wait for idle
#   local_slurm.sh status
#   local_slurm.sh stop      # cancel jobs, stop every daemon this script started (by pid file), remove the config
#
# Settings: SLURM_LOCAL_DIR (state, logs, pid files; default /tmp/poselift-slurm), SLURM_CPUS (default 4:
# more than the machine has is allowed, jobs then share cores), SLURM_FAKE_GPUS (1-4, default 4), SLURM_MEM_MB
# (the node's memory as SLURM counts it, default 65536; nothing enforces it).
#
# What matters (each seen to fail otherwise):
# - The configuration must be /etc/slurm/slurm.conf: slurmstepd ignores SLURM_CONF and `slurmd -f` and
#   waits forever for the default file (the job stays RUNNING without output).
# - A GPU gres needs a device file, or slurmd drops it and drains the node; /dev/null, /dev/zero, ... do.
#   Jobs asking for --gpus or --gres then get CUDA_VISIBLE_DEVICES and SLURM_JOB_GPUS.
# - There is no accounting database: the Snakemake plugin must use `--slurm-status-command squeue`,
#   which needs MinJobAge >= 3 x its init seconds (600 here), or it waits forever for finished jobs.
# - Every daemon forks away from its caller, so they are stopped through their pid files.
set -euo pipefail

D="${SLURM_LOCAL_DIR:-/tmp/poselift-slurm}"
CPUS="${SLURM_CPUS:-4}"
NGPU="${SLURM_FAKE_GPUS:-4}"
MEM="${SLURM_MEM_MB:-65536}"
HOST="$(hostname -s)"
MUNGE_PID=/run/munge/munged.pid

log() { printf '[local_slurm %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }

wait_for() {  # wait_for <seconds> <command...>
  local end=$((SECONDS + $1)); shift
  until "$@" >/dev/null 2>&1; do
    [ $SECONDS -ge $end ] && return 1
    sleep 0.25
  done
}

install_packages() {
  if command -v slurmctld >/dev/null && command -v slurmd >/dev/null && command -v sbatch >/dev/null \
      && command -v munged >/dev/null; then
    log "SLURM and munge already installed"; return
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends slurmctld slurmd slurm-client munge
}

write_config() {
  mkdir -p "$D"/{state,spool,log,run} /etc/slurm
  local devices=(/dev/null /dev/zero /dev/full /dev/urandom) i
  : > /etc/slurm/gres.conf
  for i in $(seq 0 $((NGPU - 1))); do
    echo "NodeName=$HOST Name=gpu File=${devices[$i]}" >> /etc/slurm/gres.conf
  done
  cat > /etc/slurm/slurm.conf <<CONF
ClusterName=poselift
SlurmctldHost=$HOST(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
StateSaveLocation=$D/state
SlurmdSpoolDir=$D/spool
SlurmctldPidFile=$D/run/slurmctld.pid
SlurmdPidFile=$D/run/slurmd.pid
SlurmctldLogFile=$D/log/slurmctld.log
SlurmdLogFile=$D/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
DefMemPerCPU=1000
SchedulerType=sched/backfill
SchedulerParameters=sched_interval=2
ReturnToService=2
MinJobAge=600
SlurmctldTimeout=30
SlurmdTimeout=30
JobCompType=jobcomp/none
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
GresTypes=gpu
SlurmdParameters=config_overrides
NodeName=$HOST NodeAddr=127.0.0.1 CPUs=$CPUS Sockets=1 CoresPerSocket=$CPUS ThreadsPerCore=1 RealMemory=$MEM Gres=gpu:$NGPU State=UNKNOWN
PartitionName=debug Nodes=$HOST Default=YES MaxTime=INFINITE State=UP
PartitionName=gpu Nodes=$HOST Default=NO MaxTime=INFINITE State=UP
CONF
}

start_munge() {
  if [ ! -s /etc/munge/munge.key ]; then
    mungekey --create --keyfile=/etc/munge/munge.key
    chown munge:munge /etc/munge/munge.key
    chmod 400 /etc/munge/munge.key
  fi
  mkdir -p /run/munge && chown munge:munge /run/munge
  if [ -s $MUNGE_PID ] && kill -0 "$(cat $MUNGE_PID)" 2>/dev/null; then
    log "munged already running"; return
  fi
  runuser -u munge -- /usr/sbin/munged
  touch "$D/run/munged.started"  # ours to stop
  wait_for 10 sh -c 'munge -n | unmunge' || { log "munged did not start"; exit 1; }
}

start() {
  local t0=$SECONDS
  rm -rf "$D/state" "$D/spool"
  write_config
  start_munge
  /usr/sbin/slurmctld
  /usr/sbin/slurmd
  if ! wait_for 60 sh -c "sinfo -h -o %T | grep -qx idle"; then
    log "the node did not become idle"; sinfo -N -l || true; tail -20 "$D/log/slurmctld.log" "$D/log/slurmd.log"
    exit 1
  fi
  log "SLURM up in $((SECONDS - t0)) s (cpus=$CPUS fake_gpus=$NGPU mem_mb=$MEM)"
  sinfo
}

stop_pidfile() {  # stop_pidfile <file> <name>
  local f=$1 name=$2 pid
  [ -s "$f" ] || return 0
  pid=$(cat "$f")
  if kill -0 "$pid" 2>/dev/null; then
    kill "$pid"
    for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
    if kill -0 "$pid" 2>/dev/null; then log "$name ($pid) did not stop: SIGKILL"; kill -9 "$pid"; fi
    log "stopped $name ($pid)"
  fi
  rm -f "$f"
}

stop() {
  if command -v scancel >/dev/null && [ -s "$D/run/slurmctld.pid" ]; then scancel --user=root 2>/dev/null || true; fi
  stop_pidfile "$D/run/slurmd.pid" slurmd
  stop_pidfile "$D/run/slurmctld.pid" slurmctld
  if [ -e "$D/run/munged.started" ]; then
    stop_pidfile $MUNGE_PID munged
    rm -f "$D/run/munged.started"
  fi
  # Without a controller, SLURM's commands wait ~10 s for it when a configuration exists, and Snakemake's
  # SLURM plugin calls `scontrol show config` at every start: remove the configuration `start` wrote.
  rm -f /etc/slurm/slurm.conf /etc/slurm/gres.conf
}

status() {
  local f
  for f in "$D/run/slurmctld.pid" "$D/run/slurmd.pid" $MUNGE_PID; do
    if [ -s "$f" ] && kill -0 "$(cat "$f")" 2>/dev/null; then
      echo "running $(basename "$f" .pid) pid=$(cat "$f")"
    else
      echo "stopped $(basename "$f" .pid)"
    fi
  done
}

case "${1:-}" in
  install) install_packages ;;
  start) start ;;
  stop) stop ;;
  status) status ;;
  *) echo "usage: $0 install|start|stop|status" >&2; exit 2 ;;
esac
