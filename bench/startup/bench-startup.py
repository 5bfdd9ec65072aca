#!/usr/bin/env python3
"""Start-up time and memory of the first window: Glassbox vs virt-manager
and GNOME Boxes (issue 17).

Each program starts on a fresh profile (its own XDG config and data
folders, in-memory GSettings) on libvirt's test driver where it can choose
(Glassbox and virt-manager: --connect test:///default; Boxes always opens
its own qemu:///session).  gb-first-window measures from fork to the first
window mapped, waits until nothing has been drawn for 2 s, and reads the
process's VmRSS and RssAnon then.  GB_BENCH_RUNS rounds (default 5), the
order rotating; medians with min-max, the ratio of the medians, the load
average.  Glassbox runs twice: with GTK's default renderer (GL, llvmpipe
here) and with GSK_RENDERER=cairo.  A program that is not installed is
left out, said so.  The same runs also open three machines whose OS is
known (machines.xml), as a user's first window shows them.

usage: bench-startup.py GB_FIRST_WINDOW GLASSBOX_BINARY SCHEMA_DIR OUTDIR
Run under Xvfb and a D-Bus session (meson's benchmark() wraps it).
"""
import os
import shutil
import statistics
import subprocess
import sys
import tempfile

SETTLE = "2"


def programs(glassbox, schema_dir):
    fixture = "test://" + os.path.join(os.path.dirname(os.path.abspath(__file__)), "machines.xml")
    gb_env = {"GSETTINGS_SCHEMA_DIR": schema_dir}
    progs = [
        ("Glassbox", [glassbox, "--connect", "test:///default"], gb_env),
        ("Glassbox (cairo)", [glassbox, "--connect", "test:///default"], dict(gb_env, GSK_RENDERER="cairo")),
        # Three machines whose OS is known: their names come from each OS's
        # own osinfo-db file.  OSINFO_DATA_DIR makes Glassbox load the whole
        # database for them instead, as it did before (the "before" figure).
        ("Glassbox, 3 OSes", [glassbox, "--connect", fixture], gb_env),
        ("Glassbox, 3 OSes, whole osinfo db", [glassbox, "--connect", fixture],
         dict(gb_env, OSINFO_DATA_DIR="/usr/share/osinfo")),
    ]
    if shutil.which("virt-manager"):
        progs.append(("virt-manager", ["virt-manager", "--no-fork", "--connect", "test:///default"], {}))
        progs.append(("virt-manager, 3 OSes", ["virt-manager", "--no-fork", "--connect", fixture], {}))
    else:
        print("virt-manager: not installed (apt-get install virt-manager), left out")
    if shutil.which("gnome-boxes"):
        progs.append(("GNOME Boxes", ["gnome-boxes"], {}))
    else:
        print("GNOME Boxes: not installed (apt-get install gnome-boxes), left out")
    return progs


def run_once(first_window, argv, extra_env, outdir):
    home = tempfile.mkdtemp(dir=outdir)
    env = dict(os.environ)
    env.update({
        "XDG_CONFIG_HOME": os.path.join(home, "config"),
        "XDG_DATA_HOME": os.path.join(home, "data"),
        "GSETTINGS_BACKEND": "memory",
        "NO_AT_BRIDGE": "1",
        "GDK_BACKEND": "x11",
    })
    env.update(extra_env)
    try:
        out = subprocess.run([first_window, SETTLE] + argv, env=env, capture_output=True,
                             text=True, timeout=300)
    finally:
        shutil.rmtree(home, ignore_errors=True)
    for line in out.stdout.splitlines():
        f = line.split()
        if len(f) == 8 and f[0] == "window":
            return float(f[1]), float(f[3]), int(f[5]) / 1024, int(f[7]) / 1024
    sys.stderr.write("%s failed: %s\n" % (argv[0], out.stderr.strip()[-500:]))
    return None


def fmt(values, unit, digits):
    return "%.*f %s (%.*f-%.*f)" % (digits, statistics.median(values), unit,
                                    digits, min(values), digits, max(values))


def main():
    first_window, glassbox, schema_dir, outdir = sys.argv[1:5]
    rounds = int(os.environ.get("GB_BENCH_RUNS", "5"))
    os.makedirs(outdir, exist_ok=True)
    progs = programs(glassbox, schema_dir)
    with open("/proc/loadavg") as f:
        load = " ".join(f.read().split()[:3])
    print("start-up to the first window, then 2 s without drawing; %d rounds (order rotates); "
          "load average at start %s" % (rounds, load))

    results = {name: [] for name, _, _ in progs}
    for r in range(rounds):
        for k in range(len(progs)):
            name, argv, extra = progs[(r + k) % len(progs)]
            res = run_once(first_window, argv, extra, outdir)
            if res:
                results[name].append(res)
                print("  round %d %-34s window %.2f s, RSS %.0f MiB (anon %.0f MiB)"
                      % (r + 1, name, res[0], res[2], res[3]), flush=True)

    print()
    print("  %-34s %-24s %-26s %s" % ("", "first window", "RSS once drawn", "of which anon"))
    for name, _, _ in progs:
        v = results[name]
        if not v:
            print("  %-34s failed every round" % name)
            continue
        print("  %-34s %-24s %-26s %s" % (name, fmt([x[0] for x in v], "s", 2),
                                          fmt([x[2] for x in v], "MiB", 0), fmt([x[3] for x in v], "MiB", 0)))
    gb = results.get("Glassbox")
    pairs = [("Glassbox", "virt-manager"), ("Glassbox (cairo)", "virt-manager"),
             ("Glassbox, 3 OSes", "virt-manager, 3 OSes"),
             ("Glassbox, 3 OSes", "Glassbox, 3 OSes, whole osinfo db"),
             ("Glassbox", "GNOME Boxes"), ("Glassbox (cairo)", "GNOME Boxes")]
    print()
    for mine, peer in pairs:
        g, p = results.get(mine), results.get(peer)
        if g and p:
            print("  %s / %s: time %.2fx, RSS %.2fx"
                  % (mine, peer, statistics.median([x[0] for x in g]) / statistics.median([x[0] for x in p]),
                     statistics.median([x[2] for x in g]) / statistics.median([x[2] for x in p])))
    with open("/proc/loadavg") as f:
        print("  load average at end %s" % " ".join(f.read().split()[:3]))
    return 0 if gb else 1


if __name__ == "__main__":
    sys.exit(main())
