#!/usr/bin/env python3
"""a11y-probe.py — answers questions about a running app through AT-SPI.

Started by test-a11y.c with the app's process id; reads one command a line
on stdin and answers with lines on stdout, ending each answer with ".":

  names            every visible control that can take focus or be
                   activated, and has no accessible name: "<role>\t<path>"
  roles ROLE...    "<role>\t<name>\t<window>" of every visible object of those roles
  focus            "<role>\t<name>" of the object with the focused state
  dump             the whole tree, on stderr (for debugging a test)
  quit

The first line it prints is "ready"; "skip <reason>" when AT-SPI cannot be
used here (no GObject introspection for Atspi), or "fail <reason>" when the
app did not appear on the accessibility bus within two minutes — then it
exits.  A command that raises answers "error <what>" before its "."; the
traceback goes to stderr, which the test shows when it fails.

SPDX-License-Identifier: GPL-3.0-or-later
"""
import faulthandler
import re
import sys
import time
import traceback

# A crash in libatspi prints the Python stack on stderr.
faulthandler.enable()


def say(line):
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


try:
    import gi
    gi.require_version("Atspi", "2.0")
    from gi.repository import Atspi
except (ImportError, ValueError) as e:
    say(f"skip no AT-SPI Python bindings (gir1.2-atspi-2.0, python3-gi): {e}")
    sys.exit(0)

APP_PID = int(sys.argv[1])

# libatspi gives up on a D-Bus call after 0.8 s (15 s while an app starts)
# and raises: on a loaded machine the registry, activated by the first call,
# or the app, busy drawing, can take longer than that.
Atspi.set_timeout(30000, 60000)

# How long the app may take to appear on the accessibility bus: the bus
# launcher, the accessibility bus and the registry are started on demand.
START_DEADLINE_S = 120

# GTK 4.8 names an icon-only button after the type of its child when
# nothing else names it: that is no name to a screen reader user.
TYPE_NAME = re.compile(r"^(Gtk|Adw|Gb|Vte)[A-Z][A-Za-z]+$")

RAW_MNEMONIC = re.compile(r"(^|\s|\()_\w")

# Roles that are containers or text, never a control on their own.
PASSIVE = {
    Atspi.Role.LABEL, Atspi.Role.PANEL, Atspi.Role.FILLER,
    Atspi.Role.SCROLL_PANE, Atspi.Role.VIEWPORT, Atspi.Role.SEPARATOR,
    Atspi.Role.IMAGE, Atspi.Role.ICON, Atspi.Role.STATIC, Atspi.Role.SECTION,
    Atspi.Role.GROUPING, Atspi.Role.FRAME, Atspi.Role.DIALOG,
    Atspi.Role.WINDOW, Atspi.Role.APPLICATION, Atspi.Role.SCROLL_BAR,
    Atspi.Role.PROGRESS_BAR, Atspi.Role.HEADING, Atspi.Role.PARAGRAPH,
    Atspi.Role.UNKNOWN, Atspi.Role.INVALID, Atspi.Role.DOCUMENT_FRAME,
    Atspi.Role.PAGE_TAB_LIST, Atspi.Role.TOOL_BAR, Atspi.Role.STATUS_BAR,
    Atspi.Role.ANIMATION, Atspi.Role.ROW_HEADER, Atspi.Role.COLUMN_HEADER,
    # A GtkListBox of an AdwPreferencesGroup: its rows are the controls,
    # and the group's title is read before them.
    Atspi.Role.LIST,
}


def find_app():
    desktop = Atspi.get_desktop(0)
    for i in range(desktop.get_child_count()):
        app = desktop.get_child_at_index(i)
        try:
            if app is not None and app.get_process_id() == APP_PID:
                return app
        except gi.repository.GLib.Error:
            continue
    return None


def name_of(obj):
    try:
        return obj.get_name() or ""
    except Exception:
        return ""


def states(obj):
    try:
        return obj.get_state_set()
    except Exception:
        return None


def has_name(obj):
    name = name_of(obj).strip()
    return bool(name) and not TYPE_NAME.match(name)


def n_actions(obj):
    try:
        action = obj.get_action_iface()
        return action.get_n_actions() if action else 0
    except Exception:
        return 0


def walk(obj, path, out, in_combo=False):
    # GTK 4.8 sets "showing" on windows only; "visible" follows
    # gtk_widget_get_visible(), so the pages a stack hides are walked too.
    ss = states(obj)
    if ss is None or not ss.contains(Atspi.StateType.VISIBLE):
        return
    role = obj.get_role()
    label = name_of(obj) or obj.get_role_name()
    here = f"{path}/{label}" if path else label
    # The items of a drop-down's closed popover: GTK 4.8 cannot name them
    # (GtkListItem has no accessible label before 4.12); the drop-down
    # itself is checked.
    if in_combo and role == Atspi.Role.LIST_ITEM:
        return
    out.append((obj, role, ss, here))
    in_combo = in_combo or role == Atspi.Role.COMBO_BOX
    for i in range(obj.get_child_count()):
        child = obj.get_child_at_index(i)
        if child is not None:
            walk(child, here, out, in_combo)


def all_objects():
    app = find_app()
    out = []
    if app is None:
        return out
    for i in range(app.get_child_count()):
        win = app.get_child_at_index(i)
        if win is not None:
            walk(win, "", out)
    return out


def cmd_dump():
    app = find_app()
    def rec(o, d):
        ss = states(o)
        flags = ",".join(s.value_nick for s in ss.get_states()) if ss else "?"
        sys.stderr.write(f"{'  ' * d}{o.get_role_name()} {name_of(o)!r} [{flags}]\n")
        for i in range(o.get_child_count()):
            c = o.get_child_at_index(i)
            if c is not None:
                rec(c, d + 1)
    if app is not None:
        rec(app, 0)


def cmd_names():
    for obj, role, ss, path in all_objects():
        if role in PASSIVE:
            continue
        if not (ss.contains(Atspi.StateType.FOCUSABLE) or n_actions(obj) > 0):
            continue
        if not has_name(obj):
            say(f"{obj.get_role_name()}\t{path}")
        elif RAW_MNEMONIC.search(name_of(obj)):
            # "_Cancel Cancel": GTK 4.8 reads a button's raw label before
            # its text when it has a mnemonic.
            say(f"{obj.get_role_name()}\t{path} (name shows the mnemonic underscore)")


def cmd_roles(wanted):
    # The window each object is in comes last: several windows may be open.
    for obj, role, ss, path in all_objects():
        if obj.get_role_name() in wanted:
            say(f"{obj.get_role_name()}\t{name_of(obj)}\t{path.split('/')[0]}")


def cmd_focus():
    for obj, role, ss, path in all_objects():
        if ss.contains(Atspi.StateType.FOCUSED):
            say(f"{obj.get_role_name()}\t{name_of(obj)}")


def wait_for_app():
    """Polls the registry until the app is listed; tolerates the registry
    not being up yet (its calls raise then)."""
    deadline = time.monotonic() + START_DEADLINE_S
    last_error = None
    while True:
        try:
            if find_app() is not None:
                return None
        except Exception as e:
            last_error = e
        if time.monotonic() > deadline:
            why = f"the app (pid {APP_PID}) did not appear on the accessibility bus within {START_DEADLINE_S} s"
            if last_error is not None:
                why += f" (last error: {last_error})"
            return why
        time.sleep(0.2)


def main():
    sys.stderr.write(f"a11y-probe: waiting for pid {APP_PID} on the accessibility bus\n")
    why = wait_for_app()
    if why is not None:
        sys.stderr.write(f"a11y-probe: {why}\n")
        say(f"fail {why}")
        sys.exit(1)
    sys.stderr.write("a11y-probe: ready\n")
    say("ready")
    for line in sys.stdin:
        words = line.split()
        if not words:
            continue
        if words[0] == "quit":
            break
        try:
            if words[0] == "names":
                cmd_names()
            elif words[0] == "roles":
                cmd_roles([w.replace("_", " ") for w in words[1:]])
            elif words[0] == "dump":
                cmd_dump()
            elif words[0] == "focus":
                cmd_focus()
        except Exception as e:
            traceback.print_exc()
            say(f"error {words[0]}: {e}")
        say(".")


if __name__ == "__main__":
    main()
