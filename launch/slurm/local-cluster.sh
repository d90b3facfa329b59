#!/usr/bin/env bash
# A one-node SLURM cluster on this machine, for trying the launch files on a
# workstation and for the tests (ctest -L slurm): its own munged, slurmctld and
# slurmd, a generated slurm.conf, every file under DIR, free ports, no systemd.
#   launch/slurm/local-cluster.sh up [DIR]       start (or keep) the cluster; prints SLURM_CONF
#   launch/slurm/local-cluster.sh status [DIR]   daemons, node and queue; exit 0 when up, 1 when down
#   launch/slurm/local-cluster.sh down [DIR]     cancel its jobs, stop its daemons (always safe to run)
# DIR defaults to runs/local-cluster. Then, in the same shell:
#   export SLURM_CONF=DIR/slurm.conf
#   sbatch --ntasks-per-node=2 --cpus-per-task=1 --gpus-per-node=0 launch/slurm/train.sbatch configs/train/tiny.yaml runs/t
#   sbatch --partition=urgent --exclusive --wrap true    # pre-empts jobs in the default partition
# Partitions: `local` (default) and `urgent`, whose jobs pre-empt those in
# `local`: they get their --signal at once (preempt_send_user_signal) and 60 s
# (GraceTime) before SLURM requeues them.
# Needs root (slurmd starts jobs as their user) and Debian's slurm-wlm and
# munge (scripts/setup.sh installs them). Two clusters in different folders do
# not share anything: munge socket and key, ports, state and spool are per DIR.
set -euo pipefail

usage() { echo "usage: local-cluster.sh up|down|status [DIR]" >&2; exit 2; }
(($# >= 1 && $# <= 2)) || usage
action=$1
dir=${2:-runs/local-cluster}
case "$action" in up | down | status) ;; *) usage ;; esac
if [[ "$action" == up ]]; then mkdir -p "$dir"; fi
if [[ ! -d "$dir" ]]; then
  echo "local-cluster: no cluster in $dir"
  [[ "$action" == down ]] && exit 0
  exit 1
fi
dir=$(cd "$dir" && pwd)
conf="$dir/slurm.conf"
node=$(hostname -s)
# Marks the daemons this script starts (in their environment), so that `down`
# finds exactly them, and their job step daemons, by process id.
marker="ACCOMPANIST_LOCAL_CLUSTER=$dir"

die() { echo "error: local-cluster: $*" >&2; exit 1; }

pid_alive() { [[ -f "$1" ]] && kill -0 "$(cat "$1")" 2>/dev/null; }

# Processes whose environment carries this cluster's marker.
marked_pids() {
  /usr/bin/python3 - "$marker" "$$" <<'PY'
import os, sys
want = sys.argv[1].encode()
for pid in filter(str.isdigit, os.listdir("/proc")):
    try:
        with open(f"/proc/{pid}/environ", "rb") as f:
            if want in f.read().split(b"\0") and pid != sys.argv[2]:
                print(pid)
    except OSError:
        pass
PY
}

# A free TCP port, starting from one derived from DIR (stable across restarts).
free_port() {
  /usr/bin/python3 - "$1" <<'PY'
import socket, sys
port = int(sys.argv[1])
for p in list(range(port, 65000)) + list(range(20000, port)):
    with socket.socket() as s:
        try:
            s.bind(("", p))
        except OSError:
            continue
        print(p)
        break
else:
    sys.exit("error: local-cluster: no free TCP port")
PY
}

is_up() { pid_alive "$dir/run/slurmctld.pid" && pid_alive "$dir/run/slurmd.pid" && pid_alive "$dir/munge/munged.pid"; }

cluster_status() {
  local name pidfile
  for name in munged slurmctld slurmd; do
    pidfile="$dir/run/$name.pid"
    [[ $name == munged ]] && pidfile="$dir/munge/munged.pid"
    if pid_alive "$pidfile"; then echo "$name: running (pid $(cat "$pidfile"))"; else echo "$name: stopped"; fi
  done
  if is_up; then
    echo "SLURM_CONF=$conf"
    SLURM_CONF=$conf sinfo -N -o '%N %P %T %c' || true
    SLURM_CONF=$conf squeue -o '%i %j %T %M %R' || true
    return 0
  fi
  return 1
}

cluster_down() {
  if [[ -f "$conf" ]] && pid_alive "$dir/run/slurmctld.pid"; then
    # Jobs first, so their steps end through slurmd (which signals every task).
    SLURM_CONF=$conf timeout 10 scancel --full --quiet --partition=local 2>/dev/null || true
    for _ in $(seq 1 40); do
      [[ -z "$(SLURM_CONF=$conf timeout 5 squeue -h -t R,CG,S 2>/dev/null || true)" ]] && break
      sleep 0.25
    done
  fi
  local pidfile pid
  for pidfile in "$dir/run/slurmd.pid" "$dir/run/slurmctld.pid" "$dir/munge/munged.pid"; do
    if pid_alive "$pidfile"; then kill -TERM "$(cat "$pidfile")" 2>/dev/null || true; fi
  done
  for _ in $(seq 1 40); do
    [[ -z "$(marked_pids)" ]] && break
    sleep 0.25
  done
  # What did not stop (a job step daemon, a stuck daemon): by process id.
  for pid in $(marked_pids); do kill -KILL "$pid" 2>/dev/null || true; done
  rm -f "$dir/run/slurmd.pid" "$dir/run/slurmctld.pid" "$dir/munge/munged.pid"
  echo "local-cluster: down ($dir)"
}

cluster_up() {
  if is_up; then
    echo "local-cluster: already up"
    echo "export SLURM_CONF=$conf"
    return 0
  fi
  [[ $(id -u) == 0 ]] || die "needs root: slurmd starts each job as its user"
  local tool
  for tool in munged mungekey slurmctld slurmd sbatch srun scontrol; do
    command -v "$tool" > /dev/null || die "$tool: not found (apt-get install slurm-wlm munge, or scripts/setup.sh)"
  done
  id munge > /dev/null 2>&1 || die "user munge: missing (apt-get install munge)"
  # Unix socket paths are limited to 107 bytes; slurmd's step sockets are the longest.
  ((${#dir} <= 60)) || die "$dir: path too long for the daemons' sockets (60 characters at most)"
  cluster_down > /dev/null  # leftovers of an earlier run in the same folder
  # From here on, a failure stops what was started.
  die() { cluster_down > /dev/null 2>&1 || true; echo "error: local-cluster: $*" >&2; exit 1; }

  mkdir -p "$dir"/{state,spool,log,run,munge}
  chown munge:munge "$dir/munge"
  chmod 0755 "$dir/munge"  # munged wants its socket's folder searchable by all
  if [[ ! -s "$dir/munge/munge.key" ]]; then
    runuser -u munge -- mungekey --create --keyfile="$dir/munge/munge.key" \
      || die "$dir/munge/munge.key: mungekey failed"
  fi
  runuser -u munge -- env "$marker" munged --socket="$dir/munge/munge.socket" \
    --key-file="$dir/munge/munge.key" --pid-file="$dir/munge/munged.pid" \
    --log-file="$dir/munge/munged.log" --seed-file="$dir/munge/munged.seed" \
    || die "munged did not start (see $dir/munge/munged.log)"

  local base ctld_port slurmd_port
  base=$((20000 + $(printf '%s' "$dir" | cksum | cut -d' ' -f1) % 40000))
  ctld_port=$(free_port "$base")
  slurmd_port=$(free_port $((ctld_port + 1)))
  local cpus
  cpus=$(getconf _NPROCESSORS_ONLN)  # not nproc: it follows OMP_NUM_THREADS
  cat > "$conf" <<EOF
# Generated by launch/slurm/local-cluster.sh: a one-node cluster in $dir.
ClusterName=accompanist
SlurmctldHost=$node(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
# cred_expire also delays the restart of a requeued job (default 120 s).
AuthInfo=socket=$dir/munge/munge.socket,cred_expire=10
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/run/slurmctld.pid
SlurmdPidFile=$dir/run/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
MpiDefault=none
ReturnToService=2
SchedulerType=sched/backfill
# sched_interval: a requeued job starts as soon as its BeginTime passes.
SchedulerParameters=sched_interval=1,bf_interval=1
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
# A cancelled or timed-out job gets SIGTERM, then SIGKILL after KillWait s.
KillWait=10
InactiveLimit=0
MinJobAge=600
SlurmctldTimeout=60
SlurmdTimeout=60
# Pre-emption as on a shared cluster: a job in 'urgent' pre-empts jobs in
# 'local'; these get their --signal (e.g. B:USR1) at once, then GraceTime
# seconds to save before SLURM requeues them.
PreemptType=preempt/partition_prio
PreemptMode=REQUEUE
SlurmctldParameters=preempt_send_user_signal
NodeName=$node NodeAddr=127.0.0.1 CPUs=$cpus State=UNKNOWN
PartitionName=local Nodes=$node Default=YES MaxTime=INFINITE State=UP PriorityTier=1 GraceTime=60
PartitionName=urgent Nodes=$node MaxTime=INFINITE State=UP PriorityTier=2 PreemptMode=OFF
EOF
  export SLURM_CONF=$conf
  env "$marker" slurmctld -f "$conf" || die "slurmctld did not start (see $dir/log/slurmctld.log)"
  env "$marker" slurmd -f "$conf" -N "$node" || die "slurmd did not start (see $dir/log/slurmd.log)"
  local state=""
  for _ in $(seq 1 120); do
    state=$(sinfo -h -N -n "$node" -p local -o '%T' 2>/dev/null || true)
    [[ "$state" == idle ]] && break
    sleep 0.25
  done
  if [[ "$state" != idle ]]; then
    tail -n 5 "$dir/log/slurmctld.log" "$dir/log/slurmd.log" >&2 || true
    die "node $node did not become idle (state '${state:-none}'; logs in $dir/log)"
  fi
  echo "local-cluster: up in $dir (node $node, $cpus CPUs, ports $ctld_port/$slurmd_port)"
  echo "export SLURM_CONF=$conf"
}

case "$action" in
  up) cluster_up ;;
  down) cluster_down ;;
  status) cluster_status ;;
esac
