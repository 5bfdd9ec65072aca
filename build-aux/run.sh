#!/bin/bash
# The first README command: install what is needed, build, and start Glassbox.
# Extra arguments go to the app, e.g.  build-aux/run.sh --connect test:///default
set -euo pipefail
cd "$(dirname "$0")/.."
build-aux/install-deps.sh
if [ -f build/build.ninja ]; then meson setup --reconfigure build; else meson setup build; fi
meson compile -C build
export GSETTINGS_SCHEMA_DIR="$PWD/build/data"
exec meson devenv -C build "$PWD/build/src/glassbox" "$@"
