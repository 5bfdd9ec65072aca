#!/bin/bash
# Installs every Debian 12 package Glassbox needs to build, run and test.
# Run as root on a fresh machine; safe to run again (apt-get skips what is there).
set -euo pipefail

PACKAGES=(
  # build
  meson ninja-build pkg-config gcc clang gettext python3
  libglib2.0-dev libglib2.0-bin libjson-glib-dev zlib1g-dev
  libgtk-4-dev libadwaita-1-dev libvte-2.91-gtk4-dev
  libvirt-dev libvirt-glib-1.0-dev libosinfo-1.0-dev
  libgtk-vnc-2.0-dev libspice-client-glib-2.0-dev
  libslirp-dev libvncserver-dev
  libclang-rt-14-dev libxml2-dev libxtst-dev
  acpica-tools   # iasl: the guest DSDT (hypervisor/acpi/dsdt.asl) and its test
  # data validation
  desktop-file-utils appstream
  # libvirt + QEMU (TCG) for the app and the tests
  libvirt-daemon libvirt-daemon-driver-qemu libvirt-daemon-system libvirt-clients
  # libvirt's network driver (virtual networks: tests/libvirt/test-networks-netns.c)
  dnsmasq-base iptables
  qemu-system-x86 qemu-utils ovmf seabios
  osinfo-db osinfo-db-tools libosinfo-bin
  # test guests: initramfs and ISO building
  cpio xorriso isolinux busybox-static kmod xz-utils zstd e2fsprogs util-linux
  # UI tests
  xvfb xauth dbus-x11 dbus fonts-noto-cjk
  # the accessibility tree as a screen reader reads it (tests/ui/a11y-probe.py)
  at-spi2-core gir1.2-atspi-2.0 python3-gi
  # tools the tests compare against / use
  iproute2 procps valgrind
  # --net passt (user-mode networking in a separate process) and its tests and benchmark
  passt
  # console widget: XTest typing in tests, X DAMAGE frame counts, the peer viewer
  libx11-dev libxtst-dev libxdamage-dev virt-viewer
  # qemu+ssh:// with a passphrase asked through the app (tests/ui/test-ssh-askpass.c:
  # an sshd the test starts on loopback in a network namespace of its own)
  openssh-server netcat-openbsd
)

export DEBIAN_FRONTEND=noninteractive
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: installing ${#missing[@]} packages: ${missing[*]}"
  apt-get update -q
  apt-get install -y -q "${missing[@]}"
fi
