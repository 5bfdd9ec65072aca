#!/bin/sh
# a11y-session.sh DBUS-RUN-SESSION COMMAND [ARG...]
#
# Runs COMMAND (a TAP test) on a private session bus.  The bus daemon and
# the services it starts on demand (at-spi-bus-launcher, at-spi2-registryd)
# write to the stdout they inherit: registryd prints "SpiRegistry daemon is
# running with well-known name - org.a11y.atspi.Registry", which is not TAP
# and which meson reports as unknown output.  So dbus-run-session's stdout
# is our stderr, and only COMMAND's stdout is ours (through fd 3).
#
# SPDX-License-Identifier: GPL-3.0-or-later
set -e
dbus_run_session=$1
shift
exec 3>&1
exec "$dbus_run_session" -- sh -c 'exec "$@" 1>&3 3>&-' a11y-session "$@" 1>&2
