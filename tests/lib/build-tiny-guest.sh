#!/bin/sh
# build-tiny-guest.sh OUTDIR
#
# Builds a tiny guest for system tests from what Debian 12 ships
# (linux-image-amd64, busybox-static, cpio, python3):
#   OUTDIR/vmlinux            uncompressed kernel (boots ~3x faster under TCG, PVH entry)
#   OUTDIR/vmlinuz            the distribution's bzImage
#   OUTDIR/initramfs.cpio.gz  busybox userland with virtio modules
# The guest brings up eth0 (kernel arg guestip=dhcp | a.b.c.d/n, guestgw=),
# answers ping, echoes on tcp/7 and serves http on 80, where /cgi-bin/id
# prints its boot_id, uptime and a counter bumped every second (also written
# to /dev/vda when there is one). It prints "GUEST-READY ..." on the console.
# Minimum memory ~88 MiB; use 96-128 MiB.
#
# The result is cached: nothing is rebuilt while OUTDIR/.stamp names the
# same kernel version and the same version of this script. Standalone: it
# needs no other file of the project. Set KVER to pick a kernel.
set -eu
OUT=${1:?usage: build-tiny-guest.sh OUTDIR}
if [ -z "${KVER:-}" ]; then
  KVER=$(ls /boot/vmlinuz-* 2>/dev/null | sed 's|/boot/vmlinuz-||' | sort -V | tail -1)
fi
[ -n "$KVER" ] && [ -r "/boot/vmlinuz-$KVER" ] || { echo "no kernel in /boot: install linux-image-amd64" >&2; exit 1; }
[ -x /bin/busybox ] || { echo "no /bin/busybox: install busybox-static" >&2; exit 1; }
SELF=$(sha256sum "$0" | cut -c1-16)
STAMP="$KVER $SELF"
if [ -f "$OUT/.stamp" ] && [ "$(cat "$OUT/.stamp")" = "$STAMP" ] &&
   [ -s "$OUT/vmlinux" ] && [ -s "$OUT/initramfs.cpio.gz" ]; then
  exit 0
fi
mkdir -p "$OUT"
R=$(mktemp -d)
trap 'rm -rf "$R"' EXIT
mkdir -p $R/bin $R/sbin $R/proc $R/sys $R/dev $R/tmp $R/lib/modules $R/www/cgi-bin $R/etc
cp /bin/busybox $R/bin/busybox
for a in $(/bin/busybox --list); do [ "$a" = busybox ] || ln -s busybox $R/bin/$a; done
MODS="virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci failover net_failover virtio_net e1000 virtio_blk"
for m in $MODS; do
  f=$(modinfo -k "$KVER" -n $m 2>/dev/null) || continue
  case $f in (builtin*) continue;; esac
  case $f in
    (*.ko.xz) xz -dc "$f" > $R/lib/modules/$m.ko;;
    (*.ko.zst) zstd -qdc "$f" > $R/lib/modules/$m.ko;;
    (*) cp "$f" $R/lib/modules/$m.ko;;
  esac
done
cat > $R/init <<EOS
#!/bin/sh
export PATH=/bin
mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev 2>/dev/null
for m in $MODS; do
  [ -f /lib/modules/\$m.ko ] && insmod /lib/modules/\$m.ko 2>/dev/null
done
EOS
cat >> $R/init <<'EOS'
IP=; GW=
for kv in $(cat /proc/cmdline); do
  case $kv in guestip=*) IP=${kv#guestip=};; guestgw=*) GW=${kv#guestgw=};; esac
done
ip link set lo up
i=0; while ! ip link show eth0 >/dev/null 2>&1 && [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done
ip link set eth0 up
if [ "$IP" = dhcp ]; then
  udhcpc -i eth0 -s /bin/dhcp.script -t 20 -T 1 -q -n && IP="dhcp:$(ip -4 -o addr show eth0 | awk '{print $4}')"
elif [ -n "$IP" ]; then ip addr add $IP dev eth0; fi
[ -n "$GW" ] && ip route add default via $GW
echo 0 > /tmp/counter
nc -ll -p 7 -e /bin/cat &
cat > /www/cgi-bin/id <<'EOC'
#!/bin/sh
echo "Content-Type: text/plain"; echo
echo "boot_id=$(cat /proc/sys/kernel/random/boot_id) uptime=$(cut -d' ' -f1 /proc/uptime) counter=$(cat /tmp/counter) vda=$(dd if=/dev/vda bs=32 count=1 2>/dev/null | tr -d '\000')"
EOC
chmod +x /www/cgi-bin/id
httpd -p 80 -h /www
( n=0; while :; do n=$((n+1)); echo $n > /tmp/counter; [ -b /dev/vda ] && echo "disk-counter=$n" | dd of=/dev/vda bs=512 count=1 conv=sync,fsync 2>/dev/null; sleep 1; done ) &
echo "GUEST-READY ip=$IP boot_id=$(cat /proc/sys/kernel/random/boot_id) uptime=$(cut -d' ' -f1 /proc/uptime)" > /dev/console
exec sh -c 'while :; do sleep 3600; done'
EOS
chmod +x $R/init
cat > $R/bin/dhcp.script <<'EOS'
#!/bin/sh
case "$1" in bound|renew) ip addr flush dev $interface; ip addr add $ip/${mask:-24} dev $interface
  [ -n "$router" ] && ip route replace default via ${router%% *} dev $interface;; esac
EOS
chmod +x $R/bin/dhcp.script
(cd $R && find . | cpio -o -H newc --quiet | gzip -1) > "$OUT/initramfs.cpio.gz.tmp"
cp "/boot/vmlinuz-$KVER" "$OUT/vmlinuz.tmp"
python3 - "$OUT/vmlinuz.tmp" "$OUT/vmlinux.tmp" <<'PY'
import lzma, sys
d = open(sys.argv[1], 'rb').read()
i = d.find(b'\xfd7zXZ\x00')
if i < 0:
    sys.exit("the kernel image is not xz-compressed: cannot extract vmlinux")
open(sys.argv[2], 'wb').write(lzma.LZMADecompressor(format=lzma.FORMAT_XZ).decompress(d[i:]))
PY
mv "$OUT/initramfs.cpio.gz.tmp" "$OUT/initramfs.cpio.gz"
mv "$OUT/vmlinuz.tmp" "$OUT/vmlinuz"
mv "$OUT/vmlinux.tmp" "$OUT/vmlinux"
chmod 644 "$OUT/vmlinux" "$OUT/vmlinuz" "$OUT/initramfs.cpio.gz"
echo "$STAMP" > "$OUT/.stamp"
