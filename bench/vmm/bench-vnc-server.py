#!/usr/bin/env python3
"""VNC server cost: glassbox-vmm's vs QEMU's, side by side, GB_BENCH_RUNS runs
(default 5) each, alternating; medians with min-max and their ratio.

The same tiny guest (tests/guests/scroll.c) scrolls a 1024x768x32 console as
fast as it can: on glassbox-vmm's display device (KVM dirty log, libvncserver)
and on QEMU's bochs-display (TCG; QEMU compares the framebuffer against its
own copy and encodes in its vnc_worker thread).  Each server is served over
a UNIX socket to the same client (bench-vnc-client: gvnc, Raw, as GbDisplay
asks a local server), for the same time.

Measured per server: rectangles and pixels received, Raw bytes, and the CPU
time of the threads that do the VNC work — glassbox-vmm's "display" thread;
QEMU's main-loop thread (framebuffer refresh and compare) plus "vnc_worker"
(encoding and sending); vCPU threads are left out on both sides.  The figure
to compare is CPU milliseconds per full-screen update (pixels / 1024x768).
The guests run at different speeds (PVM emulates every instruction, and how
fast depends on the machine's load; QEMU runs TCG), so absolute update rates
are not comparable; the cost per screenful is.  Thread CPU times come from
/proc in clock ticks (10 ms): run long enough for a few hundred ticks.

usage: bench-vnc-server.py GLASSBOX_VMM BENCH_VNC_CLIENT SCROLL_ELF [SECONDS]
"""
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

W, H = 1024, 768


def thread_cpu(pid, names):
    """CPU seconds (utime + stime) of the process's threads named in names."""
    total = 0.0
    ticks = os.sysconf("SC_CLK_TCK")
    for tid in os.listdir("/proc/%d/task" % pid):
        try:
            with open("/proc/%d/task/%s/comm" % (pid, tid)) as f:
                comm = f.read().strip()
            if comm not in names:
                continue
            with open("/proc/%d/task/%s/stat" % (pid, tid)) as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / ticks
        except OSError:
            pass
    return total


def wait_for(path, needle, timeout):
    end = time.time() + timeout
    while time.time() < end:
        try:
            with open(path, errors="replace") as f:
                if needle in f.read():
                    return True
        except OSError:
            pass
        time.sleep(0.05)
    return False


def steps(path):
    last = 0
    with open(path, errors="replace") as f:
        for line in f:
            if line.startswith("step "):
                last = int(line.split()[1])
    return last


def api(path, command):
    s = socket.socket(socket.AF_UNIX)
    s.connect(path)
    f = s.makefile("rw")
    f.readline()  # greeting
    f.write(json.dumps({"execute": command}) + "\n")
    f.flush()
    while True:
        reply = json.loads(f.readline())
        if "event" not in reply:
            s.close()
            return reply.get("return")


def measure(name, proc, pid, threads, vnc, serial, client, seconds):
    if not wait_for(serial, "scroll 1024x768", 60):
        sys.exit("%s: the guest did not start scrolling" % name)
    c = subprocess.Popen([client, vnc, str(seconds)], stdout=subprocess.PIPE, text=True)
    line = c.stdout.readline()
    if line.strip() != "start":
        sys.exit("%s: client did not connect" % name)
    cpu0, steps0, t0 = thread_cpu(pid, threads), steps(serial), time.time()
    out = c.stdout.read()
    cpu1, steps1, t1 = thread_cpu(pid, threads), steps(serial), time.time()
    c.wait()
    f = out.split()
    r = {"name": name, "rects": int(f[1]), "pixels": int(f[3]), "bytes": int(f[5]),
         "cpu": cpu1 - cpu0, "seconds": t1 - t0, "guest-steps": steps1 - steps0}
    r["screens"] = r["pixels"] / (W * H)
    return r


def run_ours(vmm, client, guest, work, seconds):
    serial = os.path.join(work, "gb-serial.txt")
    apisock = os.path.join(work, "gb.sock")
    for f in (serial, apisock, apisock + ".vnc"):
        if os.path.exists(f):
            os.unlink(f)
    p = subprocess.Popen([vmm, "run", "--kernel", guest, "--memory", "32",
                          "--serial", "file=" + serial, "--api-socket", apisock,
                          "--display", "vnc"])
    try:
        r = measure("glassbox-vmm", p, p.pid, {"display"}, apisock + ".vnc", serial,
                    client, seconds)
        stats = api(apisock, "query-display")
        r["server-bytes"] = stats["bytes-sent"]
        r["dirty-pages"] = stats["dirty-pages"]
        return r
    finally:
        p.terminate()
        p.wait()


def run_qemu(qemu, client, guest, work, seconds):
    """The same guest on QEMU's bochs-display."""
    serial = os.path.join(work, "qemu-serial.txt")
    vnc = os.path.join(work, "qemu.vnc")
    if os.path.exists(vnc):
        os.unlink(vnc)
    with open(serial, "w") as out:
        q = subprocess.Popen([qemu, "-accel", "tcg", "-M", "pc", "-m", "64", "-nodefaults",
                              "-no-user-config", "-display", "none",
                              "-device", "bochs-display,xres=1024,yres=768",
                              "-kernel", guest, "-serial", "stdio", "-vnc", "unix:" + vnc],
                             stdout=out, stdin=subprocess.DEVNULL)
    try:
        return measure("qemu", q, q.pid, {"qemu-system-x86", "vnc_worker"}, vnc,
                       serial, client, seconds)
    finally:
        q.terminate()
        q.wait()


def median_range(values):
    v = sorted(values)
    n = len(v)
    mid = v[n // 2] if n % 2 else (v[n // 2 - 1] + v[n // 2]) / 2
    return mid, v[0], v[-1]


def main():
    vmm, client, guest = sys.argv[1:4]
    seconds = float(sys.argv[4]) if len(sys.argv) > 4 else 15
    runs = int(os.environ.get("GB_BENCH_RUNS", "5"))
    qemu = shutil.which("qemu-system-x86_64")
    if not os.access("/dev/kvm", os.R_OK | os.W_OK):
        print("SKIP: /dev/kvm cannot be opened: glassbox-vmm cannot run")
        return
    if qemu is None:
        print("qemu-system-x86_64 not installed: no peer to compare with")
    with open("/proc/loadavg") as f:
        load = " ".join(f.read().split()[:3])
    print("VNC server CPU per full screen (1024x768) delivered, %.0f s per run, %d runs each, "
          "alternating; load average at start %s" % (seconds, runs, load))
    print("%-14s %8s %10s %10s %9s %8s %14s" % ("server", "rects", "screens", "MB (Raw)", "guest-steps",
                                                "CPU s", "CPU ms/screen"))
    work = tempfile.mkdtemp(prefix="gb-bench-vnc-")
    results = {"glassbox-vmm": [], "qemu": []}
    try:
        for i in range(runs):
            order = [("glassbox-vmm", lambda: run_ours(vmm, client, guest, work, seconds))]
            if qemu is not None:
                order.append(("qemu", lambda: run_qemu(qemu, client, guest, work, seconds)))
            if i % 2:
                order.reverse()
            for name, fn in order:
                r = fn()
                per = 1000 * r["cpu"] / r["screens"] if r["screens"] else float("nan")
                r["cpu-ms-per-screen"] = per
                results[name].append(r)
                print("%-14s %8d %10.1f %10.1f %9d %8.2f %14.2f" % (r["name"], r["rects"], r["screens"],
                      r["bytes"] / 1e6, r["guest-steps"], r["cpu"], per), flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    ours = [r["cpu-ms-per-screen"] for r in results["glassbox-vmm"]]
    peer = [r["cpu-ms-per-screen"] for r in results["qemu"]]
    o = median_range(ours)
    print("CPU ms per screen, median (min-max): glassbox-vmm %.2f (%.2f-%.2f)" % o, end="")
    if peer:
        q = median_range(peer)
        print("   qemu %.2f (%.2f-%.2f)   ratio %.2fx" % (q + (o[0] / q[0],)))
    else:
        print()
    with open("/proc/loadavg") as f:
        print("load average at end %s" % " ".join(f.read().split()[:3]))


if __name__ == "__main__":
    main()
