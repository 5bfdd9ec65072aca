#!/usr/bin/env python3
"""CPU seconds per displayed frame: GbDisplay vs remote-viewer (virt-viewer).

One TCG guest scrolls text as fast as it can on a 1920x1080 framebuffer
console (QEMU std VGA, bochs-drm); QEMU serves it over VNC on loopback.  Each
viewer in turn watches the same server for the same time.  CPU time is the
viewer process's utime+stime from /proc (all its threads, so llvmpipe's
too) plus the X server's over the same interval; frames are counted from
outside by gb-damage-count (X DAMAGE on the viewer's windows, bursts closer
than 3 ms are one frame), the same way for both.  GbDisplay also prints its
own count of frames with new tiles, shown beside the X count as a check.
Both viewers show the guest at 1:1.  GB_BENCH_RUNS rounds (default 5), the
viewer order rotating; medians with min-max and the ratio of the medians.

GbDisplay runs twice: with GTK's cairo renderer (like for like with
remote-viewer, whose GTK 3 draws with cairo on X11) and with its GL renderer,
which GTK 4.8 picks by default whenever GL works, here on Mesa's llvmpipe.

usage: bench-display.py VIEWER COUNTER BUILD_GUEST_SH OUTDIR [SECONDS]
Run under Xvfb (meson's benchmark() wraps it in xvfb-run).
GB_BENCH_ONLY=GbDisplay,remote-viewer runs only those viewers;
GB_BENCH_WRAP="perf record -g -o FILE" runs GbDisplay under a profiler.
"""
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time

# Each line is indented one column more than the one before (up to 60, then
# from 0 again), so when the console scrolls by a line nearly every text pixel
# changes: the frames are full of new pixels, not just new line numbers.
SCROLL = r'''#!/bin/sh
echo SCROLL-START > /dev/ttyS0
i=0
pad=""
while true; do
  i=$((i+1))
  pad="$pad "
  [ ${#pad} -gt 60 ] && pad=""
  echo "$pad$i the quick brown fox jumps over the lazy dog 0123456789 ABCDEFGHIJKLMNOPQRSTUVWXYZ abcdefghijklmnopqrstuvwxyz $i"
done
'''


def die_with_parent():
    import ctypes
    ctypes.CDLL("libc.so.6").prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks  # utime + stime


def free_vnc_display():
    for n in range(70, 100):
        s = socket.socket()
        try:
            s.bind(("127.0.0.1", 5900 + n))
            return n
        except OSError:
            continue
        finally:
            s.close()
    sys.exit("no free VNC port")


def wait_for(path, needle, timeout):
    end = time.time() + timeout
    while time.time() < end:
        try:
            with open(path, errors="replace") as f:
                if needle in f.read():
                    return True
        except FileNotFoundError:
            pass
        time.sleep(0.2)
    return False


def x_server_pid():
    """The Xvfb serving $DISPLAY: viewers that draw through the X server
    (GTK3's xlib surfaces) hand it part of their work, so it is counted."""
    display = os.environ.get("DISPLAY", "")
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/cmdline" % entry, "rb") as f:
                args = f.read().split(b"\0")
        except OSError:
            continue
        if args and os.path.basename(args[0]) == b"Xvfb" and display.encode() in args:
            return int(entry)
    return None


def measure(name, argv, counter, seconds, warmup, wrapped=False, env=None):
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                            text=True, preexec_fn=die_with_parent, env=env)
    xpid = x_server_pid()
    own = {"last": (None, None)}  # (frames, tiles), replaced as one

    def reader():
        for line in proc.stdout:
            m = re.match(r"frames (\d+)(?: tiles (\d+))?", line)
            if m:
                own["last"] = (int(m.group(1)), int(m.group(2)) if m.group(2) else None)

    threading.Thread(target=reader, daemon=True).start()
    try:
        time.sleep(warmup)
        if proc.poll() is not None:
            sys.exit("%s exited early (%s)" % (name, proc.returncode))
        pid = proc.pid
        if wrapped:  # measure the viewer, not the profiler around it
            with open("/proc/%d/task/%d/children" % (pid, pid)) as f:
                pid = int(f.read().split()[-1])
        own_before, tiles_before = own["last"]
        cpu_before = cpu_seconds(pid)
        x_before = cpu_seconds(xpid) if xpid else 0.0
        out = subprocess.run([counter, str(pid), str(seconds)], capture_output=True,
                             text=True, check=True).stdout
        cpu_after = cpu_seconds(pid)
        x_after = cpu_seconds(xpid) if xpid else 0.0
        own_after, tiles_after = own["last"]
    finally:
        if wrapped:
            proc.send_signal(signal.SIGINT)  # let the profiler write its data
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                pass
        proc.kill()  # only the viewer we started, by its PID
        proc.wait()
    frames = int(re.search(r"frames (\d+)", out).group(1))
    own_frames = None if own_before is None or own_after is None else own_after - own_before
    tiles = None if tiles_before is None or tiles_after is None else tiles_after - tiles_before
    return cpu_after - cpu_before, x_after - x_before, frames, own_frames, tiles


def main():
    viewer, counter, build_guest, outdir = sys.argv[1:5]
    seconds = float(sys.argv[5]) if len(sys.argv) > 5 else 15.0
    warmup = 6.0

    if shutil.which("remote-viewer") is None:
        print("SKIP: remote-viewer (virt-viewer) is not installed")
        return 77
    os.makedirs(outdir, exist_ok=True)
    script = os.path.join(outdir, "scroll.sh")
    with open(script, "w") as f:
        f.write(SCROLL)
    env = dict(os.environ, GB_GUEST_EXTRA_MODULES="bochs")
    r = subprocess.run(["bash", build_guest, os.path.join(outdir, "guest"), script],
                       env=env, capture_output=True, text=True)
    if r.returncode == 77:
        print("SKIP: " + r.stderr.strip())
        return 77
    r.check_returncode()

    n = free_vnc_display()
    serial = os.path.join(outdir, "serial.log")
    if os.path.exists(serial):
        os.unlink(serial)
    qemu = subprocess.Popen([
        "qemu-system-x86_64", "-accel", "tcg", "-m", "256", "-nodefaults", "-no-user-config",
        "-vga", "none", "-device", "VGA,xres=1920,yres=1080,vgamem_mb=16",
        "-display", "none", "-nic", "none", "-vnc", "127.0.0.1:%d" % n,
        "-serial", "file:" + serial,
        "-kernel", os.path.join(outdir, "guest", "vmlinuz"),
        "-initrd", os.path.join(outdir, "guest", "initramfs.img"),
        "-append", "console=ttyS0 console=tty0 vt.global_cursor_default=0 loglevel=4 gb.run=scroll.sh",
    ], preexec_fn=die_with_parent)
    try:
        if not wait_for(serial, "SCROLL-START", 180):
            sys.exit("the guest did not start scrolling")
        uri = "vnc://127.0.0.1:%d" % (5900 + n)
        results = {}
        wrap = os.environ.get("GB_BENCH_WRAP", "").split()  # e.g. a profiler
        # GTK 4 picks its GL renderer when it can; on this machine that is
        # Mesa's software rasterizer (llvmpipe).  Its cairo renderer is what a
        # machine without a GPU should use, so both are measured.
        runs = (("GbDisplay", wrap + [viewer, uri], "cairo"),
                ("GbDisplay-gl", wrap + [viewer, uri], "gl"),
                ("remote-viewer", ["remote-viewer", uri], None))
        only = os.environ.get("GB_BENCH_ONLY", "").split(",")  # e.g. to profile one
        rounds = int(os.environ.get("GB_BENCH_RUNS", "5"))
        with open("/proc/loadavg") as f:
            load = " ".join(f.read().split()[:3])
        print("display benchmark: 1920x1080 scrolling text console over VNC, %.0f s per viewer, "
              "%d rounds (viewer order rotates); load average at start %s" % (seconds, rounds, load))
        print("  CPU = the viewer process + the X server while it runs; frames counted by X DAMAGE")
        labels = {"GbDisplay": "GbDisplay (GSK cairo)", "GbDisplay-gl": "GbDisplay (GSK gl, llvmpipe)",
                  "remote-viewer": "remote-viewer"}
        for rnd in range(rounds):
            order = runs[rnd % len(runs):] + runs[:rnd % len(runs)]
            for name, argv, renderer in order:
                if only != [""] and name not in only:
                    continue
                env = dict(os.environ)
                if renderer:
                    env["GSK_RENDERER"] = renderer
                cpu, xcpu, frames, own, tiles = measure(name, argv, counter, seconds, warmup,
                                                        wrapped=bool(wrap) and renderer is not None,
                                                        env=env)
                total = cpu + xcpu
                per = total / frames if frames else float("inf")
                results.setdefault(name, []).append(per)
                extra = "" if own is None else ", own count %d" % own
                if tiles is not None and own:
                    extra += " (%.0f tiles of 128x128 each)" % (tiles / own)
                print("  %-30s %5.2f CPU s (viewer %.2f + X %.2f), %5d frames%s: %.2f ms CPU per frame"
                      % (labels[name], total, cpu, xcpu, frames, extra, per * 1000), flush=True)
    finally:
        qemu.kill()  # the QEMU this script started, by its PID
        qemu.wait()

    med = {}
    for name, values in results.items():
        v = sorted(values)
        n = len(v)
        med[name] = v[n // 2] if n % 2 else (v[n // 2 - 1] + v[n // 2]) / 2
        print("  %-30s median %.2f ms CPU per frame (%.2f-%.2f) over %d rounds"
              % (labels[name], med[name] * 1000, v[0] * 1000, v[-1] * 1000, n))
    with open("/proc/loadavg") as f:
        print("  load average at end %s" % " ".join(f.read().split()[:3]))
    if len(med) < 3:
        return 0
    ratio = med["GbDisplay"] / med["remote-viewer"]
    ratio_gl = med["GbDisplay-gl"] / med["remote-viewer"]
    print("  ratio of medians GbDisplay (cairo) / remote-viewer: %.2fx (goal <= 0.5x); "
          "with GL on llvmpipe: %.2fx" % (ratio, ratio_gl))
    return 0


if __name__ == "__main__":
    sys.exit(main())
