#!/bin/sh
# The framebuffer scenario of tests/nested/test-linux-screen.c, run by the
# nested test bed (nested-test-util.c): the stock Debian kernel with
# --display vnc at 640x480, its console on tty0 (vesafb + fbcon) as well as
# ttyS0.  Once the guest (screen-check) says its marker is drawn, a
# screendump on the control socket writes the frame to $GB_OUT/screen/
# screen.ppm; then gb-vnc-type types a command through the VNC socket into
# the guest's shell on tty1, and once its output is on the serial log a
# second screendump (typed.ppm) shows the command on the screen, and
# "stop" ends the VMM.  Left in $GB_OUT/screen: serial.log, stderr.log,
# api.log, vnc.log, status, screen.ppm, typed.ppm.
K=$GB_IN/inner-vmlinuz
I=$GB_IN/inner-initramfs.img
d=$GB_OUT/screen
sock=$d/vmm.sock
mkdir -p $d

# wait_for FILE TEXT SECONDS
wait_for() {
  i=0
  while ! grep -q "$2" $1 2>/dev/null; do
    i=$((i + 1))
    [ $i -gt $(($3 * 5)) ] && return 1
    sleep 0.2
  done
}

(
  if wait_for $d/serial.log GB-SCREEN-READY 300; then
    # Let fbcon's deferred work draw the last characters.
    sleep 2
    gb-api-call $sock "screendump={\"filename\":\"$d/screen.ppm\"}" > $d/api.log 2>&1
    gb-vnc-type $sock.vnc 'echo GB-TYPED-$((6*7)) > /dev/ttyS0\n' > $d/vnc.log 2>&1
    wait_for $d/serial.log GB-TYPED-42 60
    sleep 1
    gb-api-call $sock "screendump={\"filename\":\"$d/typed.ppm\"}" >> $d/api.log 2>&1
  fi
  gb-api-call $sock stop >> $d/api.log 2>&1
) &
helper=$!
echo "== screen: glassbox-vmm run --display vnc,width=640,height=480"
GLASSBOX_VMM_VERBOSE=1 timeout 360 glassbox-vmm run --kernel $K --initrd $I --cpus 1 --memory 256 \
    --no-rng --display vnc,width=640,height=480 --api-socket $sock --serial file=$d/serial.log \
    --cmdline "console=tty0 console=ttyS0 panic=-1 gb.run=screen-check" 2> $d/stderr.log < /dev/null
echo $? > $d/status
wait $helper
echo "== screen: status $(cat $d/status): $(tail -1 $d/stderr.log)"
grep GB- $d/serial.log | sed 's/^/   screen| /'
ls -l $d
exit 0
