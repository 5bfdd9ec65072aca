#!/bin/bash
# The second README command: install, build, and run every test suite but
# `slow` and the benchmarks. Ends with one line "N passed, N failed, N skipped".
#
#   build/           the whole project (app + hypervisor), default options
#   build-asan/      hypervisor/ only, under AddressSanitizer + UBSan
#   build-asan-app/  the app's libraries (core, display, creator) under
#                    AddressSanitizer + UBSan, running their
#                    own test programs (not every UI test: time)
set -uo pipefail
cd "$(dirname "$0")/.."

build-aux/install-deps.sh || { echo "install-deps failed"; echo "0 passed, 1 failed, 0 skipped"; exit 1; }

setup() { # dir, options...
  local dir=$1; shift
  if [ -f "$dir/build.ninja" ]; then
    meson setup --reconfigure "$dir" "$@"
  else
    meson setup "$dir" "$@"
  fi
}

status=0
setup build && meson compile -C build || status=1
setup build-asan -Dapp=false -Db_sanitize=address,undefined -Db_lundef=false \
  && meson compile -C build-asan || status=1
setup build-asan-app -Dhypervisor=false -Db_sanitize=address,undefined -Db_lundef=false \
  && meson compile -C build-asan-app || status=1

# The test programs of the app's own libraries: core (unit), display, creator.
asan_app_tests=(machine-config libvirt-provider libvirt-networks creator-model disk-creator
                display-vnc display-spice display-auth display-libvirt display-serial display-input display-teardown
                creator-ui)

rm -f build/meson-logs/testlog.json build-asan/meson-logs/testlog.json \
  build-asan-app/meson-logs/testlog.json
if [ $status -eq 0 ]; then
  meson test -C build --no-suite slow --print-errorlogs --num-processes 2 || status=1
  ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    meson test -C build-asan --no-suite slow --print-errorlogs --num-processes 2 || status=1
  # LeakSanitizer is off for the app's build: GLib and GTK are built without
  # frame pointers, so a leak through g_malloc() comes with a one-frame stack
  # that can be neither attributed nor suppressed (the VMM's build above
  # keeps it on).  ASan's memory errors and UBSan stop the test with a stack.
  # G_SLICE: every GSlice block is a malloc ASan can see.
  ASAN_OPTIONS=detect_leaks=0 \
  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 G_SLICE=always-malloc \
    meson test -C build-asan-app --print-errorlogs --num-processes 1 --timeout-multiplier 3 \
      "${asan_app_tests[@]}" || status=1
fi

python3 build-aux/count-tests.py build/meson-logs/testlog.json build-asan/meson-logs/testlog.json \
  build-asan-app/meson-logs/testlog.json
counted=$?
[ $status -eq 0 ] && [ $counted -eq 0 ]
