#!/bin/bash
# Builds a small Linux test guest from Debian packages:
#   OUTDIR/vmlinuz        Debian's kernel (linux-image-*-amd64)
#   OUTDIR/initramfs.img  busybox-static + the kernel's virtio/ext4 modules + /init
#
# usage: build-guest.sh OUTDIR [FILE...]
#   Each FILE is copied into the initramfs as /tests/<basename> (made executable).
#   Booting with "gb.run=<basename>" on the kernel command line runs that script
#   after the modules are loaded and then powers the guest off; without gb.run
#   the guest gives a shell on its console.
#
# GB_GUEST_EXTRA_BINARIES (opt-in; unset changes nothing): a space-separated
#   list of host executables, e.g. "/sbin/mke2fs /sbin/e2fsck", copied into
#   the initramfs as /sbin/<basename> (ahead of busybox's applets in PATH)
#   together with the shared libraries ldd finds for them.
#
# The kernel package is downloaded once with `apt-get download` and kept under
# ${XDG_CACHE_HOME:-$HOME/.cache}/glassbox/test-guests/<package>_<version>/.
# GB_GUEST_EXTRA_MODULES (opt-in, e.g. "bochs") adds more kernel modules to the
# initramfs; such a guest is cached apart, under <package>_<version>+<modules>/.
# Exit status 77 means "cannot build here" (no package reachable); the reason
# is printed on stderr so a test can skip with it.
set -euo pipefail

out=${1:?usage: build-guest.sh OUTDIR [FILE...]}
shift
mkdir -p "$out"
out=$(cd "$out" && pwd)

cache_root=${XDG_CACHE_HOME:-$HOME/.cache}/glassbox/test-guests
busybox=/bin/busybox
[ -x "$busybox" ] && "$busybox" --list >/dev/null 2>&1 || {
  echo "build-guest: /bin/busybox (busybox-static) is not installed" >&2; exit 77; }

# Which kernel: the one linux-image-amd64 points at.
pkg=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/{print $2; exit}')
[ -n "$pkg" ] || { echo "build-guest: apt cannot resolve linux-image-amd64 (run apt-get update?)" >&2; exit 77; }
ver=$(apt-cache policy "$pkg" | awk '/Candidate:/{print $2}')
kdir="$cache_root/${pkg}_${ver}"
extra=${GB_GUEST_EXTRA_MODULES:-}
if [ -n "$extra" ]; then
  kdir="$kdir+$(echo $extra | tr ' ' '+')"
fi

# Modules the tests need; their dependencies come from modules.dep.
wanted="virtio_pci virtio_blk virtio_net virtio_console virtio_rng ext4 crc32c_generic $extra"

# Test programs run in parallel and may all build a guest at once: one of
# them fills the cache, the others wait for it.
mkdir -p "$cache_root"
exec 9>"$cache_root/.lock"
flock 9
if [ ! -f "$kdir/.complete" ]; then
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  (cd "$tmp" && apt-get download -q "$pkg" >/dev/null 2>&1) || {
    echo "build-guest: cannot download $pkg from the Debian archive" >&2; exit 77; }
  dpkg -x "$tmp"/*.deb "$tmp/root"
  rm -rf "$kdir"; mkdir -p "$kdir/modules"
  cp "$tmp"/root/boot/vmlinuz-* "$kdir/vmlinuz"
  moddir=$(echo "$tmp"/root/lib/modules/*)
  kver=$(basename "$moddir")
  depmod -b "$tmp/root" "$kver"
  # Resolve the dependency closure in load order (modules.dep lists the
  # dependencies of each module, deepest last).
  order=()
  add() {
    local path=$1 line deps d
    for d in "${order[@]}"; do [ "$d" = "$path" ] && return; done
    line=$(grep -E "^${path}:" "$moddir/modules.dep" || true)
    deps=${line#*:}
    for d in $deps; do add "$d"; done
    order+=("$path")
  }
  for m in $wanted; do
    path=$(awk -F: -v m="$m" '{n=$1; sub(/.*\//,"",n); sub(/\.ko(\.[a-z]+)?$/,"",n); gsub(/-/,"_",n); if (n==m) {print $1; exit}}' "$moddir/modules.dep")
    [ -n "$path" ] && add "$path"   # empty: built into the kernel
  done
  for p in "${order[@]}"; do
    base=$(basename "$p")
    cp "$moddir/$p" "$kdir/modules/$base"
    case $base in
      *.xz) xz -d "$kdir/modules/$base"; base=${base%.xz} ;;
      *.zst) zstd -q -d --rm "$kdir/modules/$base"; base=${base%.zst} ;;
    esac
    echo "$base" >> "$kdir/modules/order"
  done
  touch "$kdir/modules/order"
  echo "$kver" > "$kdir/kernel-version"
  touch "$kdir/.complete"
fi
flock -u 9

# The initramfs is small and cheap: build it fresh into OUTDIR each time.
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/{bin,dev,proc,sys,tmp,mnt,etc,tests,lib/modules}
cp "$busybox" "$root/bin/busybox"
cp "$kdir"/modules/*.ko "$root/lib/modules/" 2>/dev/null || true
cp "$kdir/modules/order" "$root/etc/modules-order"
for f in "$@"; do
  install -m 0755 "$f" "$root/tests/$(basename "$f")"
done
for bin in ${GB_GUEST_EXTRA_BINARIES:-}; do
  [ -x "$bin" ] || { echo "build-guest: $bin (GB_GUEST_EXTRA_BINARIES) is not an executable" >&2; exit 77; }
  mkdir -p "$root/sbin"
  cp -L "$bin" "$root/sbin/$(basename "$bin")"
  # "libfoo.so => /lib/.../libfoo.so (0x…)" and "/lib64/ld-linux… (0x…)"
  for lib in $(ldd "$bin" 2>/dev/null | awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\// {print $1}'); do
    [ -e "$root$lib" ] || { mkdir -p "$root$(dirname "$lib")"; cp -L "$lib" "$root$lib"; }
  done
done
cat > "$root/init" <<'INIT'
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
for m in $(cat /etc/modules-order); do insmod /lib/modules/$m 2>/dev/null; done
echo "GLASSBOX-GUEST-UP $(cut -d' ' -f1 /proc/uptime)"
run=
for arg in $(cat /proc/cmdline); do
  case $arg in gb.run=*) run=${arg#gb.run=} ;; esac
done
if [ -n "$run" ] && [ -x "/tests/$run" ]; then
  "/tests/$run"
  echo "GLASSBOX-GUEST-DONE $?"
  sync
  poweroff -f
fi
exec setsid cttyhack sh
INIT
chmod 0755 "$root/init"
(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) > "$out/initramfs.img"
cp "$kdir/vmlinuz" "$out/vmlinuz"
echo "$out/vmlinuz"
echo "$out/initramfs.img"
