# bed-lib.sh — shell helpers the nested test bed's scripts share
# (linux-boot.sh, linux-core.sh): sourced from $GB_IN.
K=$GB_IN/inner-vmlinuz
I=$GB_IN/inner-initramfs.img
CMD="console=ttyS0 quiet panic=-1 gb.run=guest-check"

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

# What each thread of the VMM under `timeout` pid $1 is doing: its state,
# where it sleeps in the kernel, its system call (a vCPU inside KVM_RUN, or
# one blocked on a lock in the VMM).
dump_threads() {
  for p in /proc/[0-9]*; do
    grep -q "^PPid:[[:space:]]*$1\$" $p/status 2>/dev/null || continue
    for task in $p/task/*; do
      echo "--- $(cat $task/comm) state $(cut -d' ' -f3 $task/stat) wchan $(cat $task/wchan 2>/dev/null)" \
           "syscall $(cut -d' ' -f1-3 $task/syscall 2>/dev/null)"
      cat $task/stack 2>/dev/null
    done
  done
}

# boot NAME TIMEOUT_S VMM-OPTIONS...
boot() {
  name=$1 t=$2
  shift 2
  d=$GB_OUT/$name
  mkdir -p $d
  echo "== $name: glassbox-vmm run $*"
  t0=$(uptime_s)
  GLASSBOX_VMM_VERBOSE=1 timeout $t glassbox-vmm run --kernel $K --initrd $I \
      --serial file=$d/serial.log "$@" 2> $d/stderr.log < /dev/null &
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
  tail -4 $d/serial.log | sed "s/^/   $name| /"
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
