# bed-lib.sh — shell helpers the nested test bed's scripts share
# (linux-boot.sh, bridge-vlan.sh): sourced from $GB_IN.
K=$GB_IN/inner-vmlinuz
I=$GB_IN/inner-initramfs.img
# The inner kernel's command line: CMD `quiet` (a kernel message is a
# port write per byte, each a nested exit), CMD_VERBOSE every message,
# stamped, for the scenario whose log shows where a slow boot stopped.
CMD_VERBOSE="console=ttyS0 printk.time=1 panic=-1 gb.run=guest-check"
CMD="$CMD_VERBOSE quiet"

# GLASSBOX_BED_ONLY=NAME,… on the host (test-linux-boot.c writes it to
# $GB_IN/only): the script runs only those scenarios; without it, all.
want() {
  [ -s $GB_IN/only ] || return 0
  tr ',' '\n' < $GB_IN/only | grep -qx -- "$1"
}

uptime_s() { cut -d' ' -f1 /proc/uptime; }

# No KVM in the outer guest (QEMU without SVM, kvm_amd refused to load):
# say why in $GB_OUT/skip, which the test reads as its reason to skip.
require_kvm() {
  [ -c /dev/kvm ] && return 0
  echo "no /dev/kvm in the nested test bed's outer guest (kvm_amd did not load: $(dmesg | grep -i -m1 -e svm -e kvm))" \
    > $GB_OUT/skip
  cat $GB_OUT/skip
  exit 0
}

# Inside the outer guest only (never the host's settings): transparent
# huge pages for shmem on madvise, so that glassbox-vmm's guest RAM (a
# memfd it advises with MADV_HUGEPAGE) is mapped with 2 MiB pages and the
# inner Linux's boot takes a few hundred nested page faults, not ~22,000.
thp_advise() {
  [ "$GB_NESTED" = 1 ] || return 0
  echo advise > /sys/kernel/mm/transparent_hugepage/shmem_enabled 2>/dev/null
  echo "== shmem THP: $(cat /sys/kernel/mm/transparent_hugepage/shmem_enabled 2>/dev/null)"
}

# Inside the outer guest only (its kernel, never the host's): trace what
# KVM does when an inner guest triple-faults (kvm_exit with SVM's SHUTDOWN
# exit code 0x7f: the rIP it faulted at; AMD's KVM re-initialises the vCPU
# before we could read its registers) and every exception KVM injects.
trace_start() {
  [ "$GB_NESTED" = 1 ] || return 0
  T=/sys/kernel/tracing
  mount -t tracefs nodev $T 2>/dev/null
  [ -d $T/events/kvm ] || return 0
  echo 4096 > $T/buffer_size_kb
  echo 'exit_reason == 127' > $T/events/kvm/kvm_exit/filter &&
    echo 1 > $T/events/kvm/kvm_exit/enable
  echo 1 > $T/events/kvm/kvm_inj_exception/enable
}

trace_save() {
  [ "$GB_NESTED" = 1 ] && [ -r /sys/kernel/tracing/trace ] &&
    grep -v '^#' /sys/kernel/tracing/trace > $GB_OUT/kvm-trace.log
}

# What each thread of the VMM started as `timeout … glassbox-vmm` (pid
# $1) is doing: its state, where it sleeps in the kernel, its system call
# (a vCPU inside KVM_RUN, or one blocked on a lock in the VMM).  GNU
# timeout (a host) runs the VMM as its child; busybox's (the outer guest)
# forks its watcher and execs the VMM in its own pid.
dump_threads() {
  for p in /proc/[0-9]*; do
    [ $p = /proc/$1 ] || grep -q "^PPid:[[:space:]]*$1\$" $p/status 2>/dev/null || continue
    [ "$(cat $p/comm 2>/dev/null)" = glassbox-vmm ] || continue
    for task in $p/task/*; do
      echo "--- $(cat $task/comm) state $(cut -d' ' -f3 $task/stat) wchan $(cat $task/wchan 2>/dev/null)" \
           "syscall $(cut -d' ' -f1-3 $task/syscall 2>/dev/null)"
      cat $task/stack 2>/dev/null
    done
  done
}

# Seconds the script has left before the outer guest is killed
# ($GB_DEADLINE, outer uptime, from nested-test-util.c; the results still
# have to be written after it).  Unset (directly on a host): none.
time_left() {
  [ -n "$GB_DEADLINE" ] || { echo 100000; return; }
  echo "$GB_DEADLINE $(uptime_s)" | awk '{ printf "%d\n", $1 - $2 }'
}

# heartbeat DIR: every 20 s until DIR/done exists, one line on the
# script's output (the outer serial log) saying how far the inner machine
# is — so that a run killed from outside still shows whether the outer
# guest was alive, whether the inner Linux was printing, and whether its
# vCPUs were moving (KVM's per-vCPU counters from query-stats in
# stats.log).  Short sleeps: nothing of it outlives DIR/done for long.
heartbeat() {
  i=0
  while [ ! -e $1/done ]; do
    sleep 1
    i=$((i + 1))
    [ $((i % 20)) = 0 ] || continue
    echo "-- $(uptime_s) s, load $(cut -d' ' -f1-3 /proc/loadavg): serial" \
         "$(cat $1/serial.log 2>/dev/null | wc -l) lines, last: $(tail -1 $1/serial.log 2>/dev/null | cut -c1-90)"
    [ -s $1/stats.log ] &&
      echo "   vCPUs: $(tail -1 $1/stats.log | grep -oE '"(halt_exits|irq_injections)": *[0-9]+' | tr '\n' ' ')"
  done
}

# What a scenario that did not end in time left behind, on the script's output
# (the test prints it): the VMM's threads, the inner console, KVM's trace.
print_hang() {
  echo "== $name: TIMED OUT (timeout $t s); what it left:"
  echo "-- threads.log (each VMM thread 5 s before its time was up):"
  cat $d/threads.log 2>/dev/null
  echo "-- stderr.log (last 20 lines):"
  tail -20 $d/stderr.log
  echo "-- serial.log (last 60 lines):"
  tail -60 $d/serial.log 2>/dev/null
  [ -s $d/stats.log ] && { echo "-- stats.log (last reply):"; tail -1 $d/stats.log | cut -c1-2000; }
  trace_save && { echo "-- kvm-trace.log (last 20 events):"; tail -20 $GB_OUT/kvm-trace.log; }
}

# boot NAME TIMEOUT_S VMM-OPTIONS...
# The timeout shrinks to what the outer guest has left, less 20 s for
# print_hang and the results.  The guest's serial port goes to
# $GB_OUT/NAME/serial.log, or where BOOT_SERIAL says (socket=PATH: the
# caller reads and types on it, and writes serial.log).
boot() {
  name=$1 t=$2
  shift 2
  d=$GB_OUT/$name
  mkdir -p $d
  left=$(($(time_left) - 20))
  if [ $left -lt $t ]; then
    echo "== $name: timeout $t s cut to $left s (the outer guest's deadline)"
    t=$left
  fi
  [ $t -gt 10 ] || t=10
  echo "== $name: at $(uptime_s) s, timeout $t s: glassbox-vmm run $*"
  t0=$(uptime_s)
  GLASSBOX_VMM_VERBOSE=1 timeout -k 5 $t glassbox-vmm run --kernel $K --initrd $I \
      --serial ${BOOT_SERIAL:-file=$d/serial.log} "$@" 2> $d/stderr.log < /dev/null &
  vmm=$!
  # A VMM still running 5 s before its time is up: what its threads do.
  # Its output goes nowhere: a `sleep` left behind when the watcher is
  # killed must not hold the script's output pipe open.
  ( sleep $((t - 5)) && dump_threads $vmm > $d/threads.log ) > /dev/null 2>&1 &
  watcher=$!
  wait $vmm
  echo $? > $d/status
  kill $watcher 2>/dev/null
  echo "$t0 $(uptime_s)" | awk '{ printf "%.1f\n", $2 - $1 }' > $d/seconds
  echo "== $name: status $(cat $d/status) after $(cat $d/seconds) s: $(tail -1 $d/stderr.log)"
  # threads.log is there when the VMM still ran 5 s before its time was
  # up: it timed out.  (Not the status: busybox's timeout passes on the
  # VMM's, and the VMM ends with 0 on SIGTERM; status then says 124, as
  # GNU timeout's would, so that no test takes the run for a clean end.)
  if [ -e $d/threads.log ]; then
    echo 124 > $d/status
    print_hang
  else
    tail -4 $d/serial.log | sed "s/^/   $name| /"
  fi
}

# wait_for_count FILE TEXT N SECONDS: TEXT on N lines
wait_for_count() {
  i=0
  # grep -c prints nothing for a file not there yet: count that as 0.
  while n=$(grep -c "$2" $1 2>/dev/null); [ "${n:-0}" -lt $3 ]; do
    i=$((i + 1))
    [ $i -gt $(($4 * 5)) ] && return 1
    sleep 0.2
  done
}

# wait_for FILE TEXT SECONDS
wait_for() {
  wait_for_count "$1" "$2" 1 "$3"
}
