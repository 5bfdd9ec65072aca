#!/bin/bash
# Assembles "Try a tiny Linux": a Linux kernel and a busybox initramfs that
# boots to a shell in seconds.  Run by Glassbox (gb-tiny-linux.c) as
#   bash -c "<this script>" tiny-linux OUTDIR
# and prints two lines: the kernel's path and the initramfs's path.
#
# The kernel is the host's /boot/vmlinuz-* when readable, else Debian's
# linux-image package fetched once with `apt-get download` and kept under
# OUTDIR/<package>_<version>/ (the same way tests/linux-guest/build-guest.sh
# builds its test guest).  Exit 77 means "cannot be built here"; the reason
# is on stderr.
set -euo pipefail

out=${1:?usage: tiny-linux OUTDIR}
mkdir -p "$out"
out=$(cd "$out" && pwd)

busybox=/bin/busybox
[ -x "$busybox" ] && "$busybox" --list >/dev/null 2>&1 || {
  echo "BusyBox (package busybox-static) is not installed" >&2; exit 77; }
ldd "$busybox" >/dev/null 2>&1 && {
  echo "/bin/busybox is not the static build (install busybox-static)" >&2; exit 77; }

# button + evdev: the ACPI power button as an input device, so that Shut
# Down (ACPI) powers the tiny Linux off.  The kernel's folder is named after
# them: one assembled before they were wanted has no such modules.
wanted="virtio_pci virtio_blk virtio_net virtio_console virtio_rng button evdev"
flavour="+button+evdev"
tmp=
root=
trap 'rm -rf ${tmp:+"$tmp"} ${root:+"$root"}' EXIT
kernel=
moddir=
kdir=

host=$(ls -1 /boot/vmlinuz-* 2>/dev/null | sort -V | tail -n 1 || true)
if [ -n "$host" ] && [ -r "$host" ]; then
  kernel=$host
  kver=${host#/boot/vmlinuz-}
  [ -d "/lib/modules/$kver" ] && moddir=/lib/modules/$kver
  kdir="$out/host-$kver$flavour"
else
  pkg=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/{print $2; exit}')
  if [ -n "$pkg" ]; then
    ver=$(apt-cache policy "$pkg" | awk '/Candidate:/{print $2}')
    kdir="$out/${pkg}_${ver}$flavour"
  else
    # apt's lists may be being rewritten (apt-get update): a kernel
    # assembled before will do.
    kdir=$(ls -1d "$out"/linux-image-*"$flavour" 2>/dev/null | sort -V | tail -n 1 || true)
    [ -n "$kdir" ] && [ -f "$kdir/.complete" ] || {
      echo "No readable kernel in /boot, and apt cannot resolve linux-image-amd64" >&2; exit 77; }
  fi
  if [ ! -f "$kdir/.complete" ]; then
    tmp=$(mktemp -d)
    (cd "$tmp" && apt-get download -q "$pkg" >/dev/null 2>&1) || {
      echo "Cannot download $pkg from the Debian archive" >&2; exit 77; }
    dpkg -x "$tmp"/*.deb "$tmp/root"
    rm -rf "$kdir"; mkdir -p "$kdir"
    cp "$tmp"/root/boot/vmlinuz-* "$kdir/vmlinuz"
    moddir=$(echo "$tmp"/root/lib/modules/*)
    depmod -b "$tmp/root" "$(basename "$moddir")"
  fi
  kernel="$kdir/vmlinuz"
fi

# Modules in load order (modules.dep lists each module's dependencies).
if [ ! -f "$kdir/.complete" ]; then
  mkdir -p "$kdir/modules"
  : > "$kdir/modules/order"
  if [ -n "$moddir" ] && [ -f "$moddir/modules.dep" ]; then
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
      [ -n "$path" ] && add "$path"
    done
    for p in ${order[@]+"${order[@]}"}; do
      base=$(basename "$p")
      cp "$moddir/$p" "$kdir/modules/$base"
      case $base in
        *.xz) xz -d -f "$kdir/modules/$base"; base=${base%.xz} ;;
        *.zst) zstd -q -d -f --rm "$kdir/modules/$base"; base=${base%.zst} ;;
      esac
      echo "$base" >> "$kdir/modules/order"
    done
  fi
  touch "$kdir/.complete"
fi

root=$(mktemp -d)
mkdir -p "$root"/{bin,sbin,dev,proc,sys,tmp,root,etc,lib/modules}
cp "$busybox" "$root/bin/busybox"
cp "$kdir"/modules/*.ko "$root/lib/modules/" 2>/dev/null || true
cp "$kdir/modules/order" "$root/etc/modules-order"
echo "tiny" > "$root/etc/hostname"
cat > "$root/init" <<'INIT'
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
hostname tiny
for m in $(cat /etc/modules-order); do insmod /lib/modules/$m 2>/dev/null; done
ip link set lo up 2>/dev/null
for i in /sys/class/net/*; do
  n=${i##*/}; [ "$n" = lo ] && continue
  ip link set "$n" up 2>/dev/null && udhcpc -q -n -t 3 -i "$n" >/dev/null 2>&1 &
done
# The ACPI power button (Shut Down): a press powers off, as a distribution's
# acpid or logind would.  QEMU's PC has two "Power Button" devices (the
# fixed-feature one and LNXPWRBN); a read of one input event from either.
for d in /sys/class/input/event*; do
  grep -q "Power Button" "$d/device/name" 2>/dev/null || continue
  ( dd if="/dev/input/${d##*/}" bs=24 count=1 of=/dev/null 2>/dev/null &&
    { echo "GLASSBOX-TINY-LINUX-POWER-BUTTON" > /dev/ttyS0 2>/dev/null; poweroff -f; } ) &
done
msg="GLASSBOX-TINY-LINUX-UP $(cut -d' ' -f1 /proc/uptime)"
echo "$msg" > /dev/ttyS0 2>/dev/null
echo "$msg"
echo "Welcome to Glassbox's tiny Linux: a kernel and BusyBox, nothing else."
echo "Try: ls /bin, cat /proc/cpuinfo, dmesg | less.  'poweroff -f' turns it off."
# A shell on the serial line too, for the serial console.
[ -c /dev/ttyS0 ] && setsid sh -c 'exec sh </dev/ttyS0 >/dev/ttyS0 2>&1' &
export HOME=/root PS1='tiny:\w# '
exec setsid cttyhack sh
INIT
chmod 0755 "$root/init"
(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) > "$out/initramfs.img.tmp"
mv "$out/initramfs.img.tmp" "$out/initramfs.img"
[ "$kernel" = "$out/vmlinuz" ] || cp "$kernel" "$out/vmlinuz"
echo "$out/vmlinuz"
echo "$out/initramfs.img"
