#!/bin/sh
# build-fake-pve.sh OUTDIR
#
# A stand-in for the Proxmox VE ISO, for the install test of the proxmox
# flavor (tests/e2e/test-e2e-proxmox.c). Built from what Debian 12
# ships (linux-image-amd64, busybox-static, isolinux, syslinux,
# syslinux-common, mtools, dosfstools, xorriso, cpio):
#
#   OUTDIR/fake-pve.iso   a BIOS-bootable ISO (isolinux, El Torito, isohybrid
#                         MBR) with /auto-installer-capable, whose boot entry
#                         starts /boot/linux26 + /boot/initrd.img with
#                         proxmox-start-auto-installer, as Proxmox's does
#   OUTDIR/fake-pve.iso.sha256
#
# The fake installer (the ISO's initramfs) does what the real one's
# unconfigured.sh and proxmox-fetch-answer do for --fetch-from partition,
# and no more:
#   - refuses to run without proxmox-start-auto-installer on the kernel
#     command line and without /auto-installer-mode.toml on the CD (the
#     prepared ISO), and reads the mode and the partition label from it;
#   - finds the file system labelled like partition_label (as given, upper
#     case, lower case: busybox findfs, where the real one looks in
#     /dev/disk/by-label), mounts it read-only, reads answer.toml;
#   - checks what it can of the answer against the machine: the disk of
#     disk-list exists, the NIC filter (ID_NET_NAME_MAC glob) matches the
#     MAC of its NIC (udev's name enx<mac>), fqdn, cidr and gateway set;
#   - writes its "installed system" to the disk: a FAT file system made
#     bootable with syslinux (no partition table), with its kernel, its
#     initramfs and the answer as /etc/answer.toml;
#   - prints progress lines on the serial console and powers the machine off.
# The installed system boots from that disk, brings up the answer's address
# (cidr, gateway) on the NIC and relays its port 8006, byte for byte (busybox
# nc), to <gateway>:<10000 + the last byte of its address>: where the e2e
# test runs the contract server (tests/lib/lab-pve-server.c) for this node,
# so that TLS ends there and the certificate on the node's 8006 is the one
# that server presents. Plain HTTP on port 80 serves /boots: how many times
# it booted from this disk, counted on the disk. The ACPI power button (read
# from the kernel's "Power Button" input device) shuts it down. A failing
# check prints "FAKE-INSTALLER: ERROR: ..." and powers off without writing
# the disk.
#
# What it does not prove: anything about the real installer (its disk
# layout, LVM, the network it configures, how long it takes, what it prints
# on the serial console: the real one prints little there), nor about
# Proxmox VE's own services (pveproxy's certificate, the API: the contract
# server stands in for those, and only while this node runs does its 8006
# answer).
#
# Cached: rebuilt only when the kernel or this script changes.
set -eu
OUT=${1:?usage: build-fake-pve.sh OUTDIR}
if [ -z "${KVER:-}" ]; then
  KVER=$(ls /boot/vmlinuz-* 2>/dev/null | sed 's|/boot/vmlinuz-||' | sort -V | tail -1)
fi
[ -n "$KVER" ] && [ -r "/boot/vmlinuz-$KVER" ] || { echo "no kernel in /boot: install linux-image-amd64" >&2; exit 1; }
for f in /bin/busybox /usr/lib/ISOLINUX/isolinux.bin /usr/lib/ISOLINUX/isohdpfx.bin \
         /usr/lib/syslinux/modules/bios/ldlinux.c32 /usr/bin/syslinux /usr/bin/mcopy /sbin/mkfs.vfat \
         /usr/bin/xorriso; do
  [ -e "$f" ] || { echo "missing $f: sudo sh scripts/install-deps" >&2; exit 1; }
done
SELF=$(sha256sum "$0" | cut -c1-16)
STAMP="$KVER $SELF"
if [ -f "$OUT/.stamp" ] && [ "$(cat "$OUT/.stamp")" = "$STAMP" ] && [ -s "$OUT/fake-pve.iso" ]; then
  exit 0
fi
mkdir -p "$OUT"
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT

# --- a busybox root with the modules a q35 machine's disks, CD and NIC need
MODS="ahci sr_mod isofs sd_mod vfat nls_cp437 nls_ascii nls_iso8859_1 virtio_blk virtio_net virtio_pci button evdev"
skeleton () {
  R=$1
  mkdir -p $R/bin $R/sbin $R/proc $R/sys $R/dev $R/tmp $R/run $R/mnt $R/lib/modules $R/etc
  cp /bin/busybox $R/bin/busybox
  for a in $(/bin/busybox --list); do [ "$a" = busybox ] || ln -sf busybox $R/bin/$a; done
  : > $R/modules.order
  for m in $MODS; do
    for f in $(modprobe -S "$KVER" --show-depends $m 2>/dev/null | awk '$1 == "insmod" { print $2 }'); do
      b=$(basename "$f"); b=${b%.xz}; b=${b%.zst}
      [ -f $R/lib/modules/$b ] && continue
      case $f in
        (*.ko.xz) xz -dc "$f" > $R/lib/modules/$b;;
        (*.ko.zst) zstd -qdc "$f" > $R/lib/modules/$b;;
        (*) cp "$f" $R/lib/modules/$b;;
      esac
      echo "$b" >> $R/modules.order
    done
  done
  mv $R/modules.order $R/lib/modules/order
  cat > $R/bin/common.sh <<'EOS'
export PATH=/bin
mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev 2>/dev/null
for m in $(cat /lib/modules/order); do insmod /lib/modules/$m 2>/dev/null; done
say () { echo "$*" > /dev/console; }
# the value of KEY = "value" (or KEY = ["value"]) in a TOML file
toml () { sed -n "s/^[[:space:]]*$2[[:space:]]*=[[:space:]]*\[*\"\([^\"]*\)\".*/\1/p" "$1" | head -1; }
# waits up to 10 s for a block device to appear
wait_dev () { i=0; while [ ! -b "$1" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done; [ -b "$1" ]; }
EOS
}

# --- the installed system ----------------------------------------------------
S=$W/system
skeleton $S
cat > $S/init <<'EOS'
#!/bin/sh
. /bin/common.sh
say "fake-pve: booting the installed system"
wait_dev /dev/vda || { say "fake-pve: ERROR: no /dev/vda"; sleep 5; poweroff -f; }
mkdir -p /disk && mount -t vfat /dev/vda /disk
A=/disk/etc/answer.toml
FQDN=$(toml $A fqdn); CIDR=$(toml $A cidr); GW=$(toml $A gateway)
hostname "${FQDN%%.*}"
ip link set lo up
i=0; while ! ip link show eth0 >/dev/null 2>&1 && [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done
ip link set eth0 up
ip addr add "$CIDR" dev eth0
[ -n "$GW" ] && ip route add default via "$GW"
# every boot counted on the disk: what `reset` must take back
echo $(( $(cat /disk/etc/boots 2>/dev/null || echo 0) + 1 )) > /disk/etc/boots; sync
mkdir -p /www /var/log /var/run
cp /disk/etc/boots /www/boots
httpd -p 80 -h /www
# the power button (ACPI shutdown): the kernel's button driver reports it
# on an input device named "Power Button"; one event read from it is the
# press (busybox acpid is not used: it gave no sign of the press here)
printf '#!/bin/sh\necho "fake-pve: power button: shutting down" > /dev/console\nsync\numount /disk\npoweroff -f\n' \
  > /bin/power-button
chmod +x /bin/power-button
for e in /sys/class/input/event*; do
  [ "$(cat $e/device/name 2>/dev/null)" = "Power Button" ] || continue
  ( dd if=/dev/input/${e##*/} of=/dev/null bs=24 count=1 2>/dev/null && /bin/power-button ) &
done
# the API: every connection to 8006 is relayed, bytes as they are, to the
# contract server the test runs for this node on the lab network's gateway
# (port 10000 + the last byte of the node's address): TLS ends there, so
# the certificate a client sees on this node's 8006 is the one the
# contract server presents for it
ADDR=${CIDR%/*}
UP=$((10000 + ${ADDR##*.}))
printf '#!/bin/sh\nexec nc %s %s\n' "$GW" "$UP" > /bin/pve-forward
chmod +x /bin/pve-forward
( while :; do nc -ll -p 8006 -e /bin/pve-forward; sleep 1; done ) &
say "fake-pve: API on https://$ADDR:8006 ($FQDN), relayed to $GW:$UP"
exec sh -c 'while :; do sleep 3600; done'
EOS
chmod +x $S/init
(cd $S && find . | cpio -o -H newc --quiet | gzip -1) > $W/system.img

# --- the installer -------------------------------------------------------------
I=$W/installer
skeleton $I
mkdir -p $I/payload
cp "/boot/vmlinuz-$KVER" $I/payload/vmlinuz
cp $W/system.img $I/payload/initrd.img
cp /usr/lib/syslinux/modules/bios/ldlinux.c32 $I/payload/
# the installed system's disk, made on the host (no mount): FAT + syslinux
dd if=/dev/zero of=$W/disk.img bs=1M count=0 seek=64 2>/dev/null
mkfs.vfat -n PVEROOT $W/disk.img >/dev/null
syslinux --install $W/disk.img
printf 'DEFAULT pve\nPROMPT 0\nTIMEOUT 1\nLABEL pve\n  KERNEL /vmlinuz\n  INITRD /initrd.img\n  APPEND console=ttyS0 quiet\n' \
  > $W/syslinux.cfg
mcopy -i $W/disk.img $W/syslinux.cfg $I/payload/vmlinuz $I/payload/initrd.img ::/
mmd -i $W/disk.img ::/etc
gzip -1 -c $W/disk.img > $I/payload/disk.img.gz
rm -f $I/payload/vmlinuz $I/payload/initrd.img $I/payload/ldlinux.c32
cat > $I/init <<'EOS'
#!/bin/sh
. /bin/common.sh
fail () { say "FAKE-INSTALLER: ERROR: $*"; sleep 2; poweroff -f; }
say "FAKE-INSTALLER: starting (a stand-in for the Proxmox VE installer)"
grep -qw proxmox-start-auto-installer /proc/cmdline || fail "not started as the automated installer"
wait_dev /dev/sr0 || fail "no CD-ROM"
mkdir -p /cdrom /mnt/answer /target
mount -t iso9660 -o ro /dev/sr0 /cdrom || fail "cannot mount the CD"
[ -f /cdrom/auto-installer-mode.toml ] || fail "/auto-installer-mode.toml missing: the ISO was not prepared"
MODE=$(toml /cdrom/auto-installer-mode.toml mode)
LABEL=$(toml /cdrom/auto-installer-mode.toml partition_label)
[ "$MODE" = partition ] || fail "mode '$MODE': this stand-in knows only partition mode"
say "FAKE-INSTALLER: fetching the answer from the partition labelled '$LABEL'"
DEV=
UPPER=$(echo "$LABEL" | tr a-z A-Z); LOWER=$(echo "$LABEL" | tr A-Z a-z)
for i in $(seq 1 50); do
  for l in "$LABEL" "$UPPER" "$LOWER"; do
    DEV=$(findfs "LABEL=$l" 2>/dev/null)
    [ -n "$DEV" ] && break 2
  done
  sleep 0.2
done
[ -n "$DEV" ] || fail "no file system labelled $LABEL"
mount -t vfat -o ro "$DEV" /mnt/answer || fail "cannot mount $DEV"
A=/mnt/answer/answer.toml
[ -f $A ] || fail "no answer.toml on $DEV"
FQDN=$(toml $A fqdn); CIDR=$(toml $A cidr); GW=$(toml $A gateway)
DISK=$(toml $A disk-list); [ -n "$DISK" ] || DISK=$(toml $A disk_list)
FILTER=$(toml $A ID_NET_NAME_MAC)
case $FQDN in (*.*) ;; (*) fail "fqdn '$FQDN' has no domain";; esac
[ -n "$CIDR" ] && [ -n "$GW" ] || fail "the answer has no cidr or gateway"
grep -q 'root-password-hashed\|root_password_hashed' $A || fail "the answer has no root password hash"
wait_dev "/dev/$DISK" || fail "disk-list names $DISK: no such disk"
MAC=$(cat /sys/class/net/eth0/address 2>/dev/null | tr -d :)
case "enx$MAC" in ($FILTER) ;; (*) fail "the NIC filter '$FILTER' does not match enx$MAC";; esac
say "FAKE-INSTALLER: answer for $FQDN ($CIDR via $GW), disk /dev/$DISK, NIC enx$MAC"
say "FAKE-INSTALLER: installing to /dev/$DISK"
zcat /payload/disk.img.gz | dd of=/dev/$DISK bs=1M conv=fsync 2>/dev/null || fail "cannot write /dev/$DISK"
mount -t vfat /dev/$DISK /target || fail "cannot mount the new system"
cp $A /target/etc/answer.toml
umount /target; umount /mnt/answer; sync
say "FAKE-INSTALLER: installation finished, powering off"
poweroff -f
EOS
chmod +x $I/init
(cd $I && find . | cpio -o -H newc --quiet | gzip -1) > $W/installer.img

# --- the ISO -------------------------------------------------------------------
C=$W/cd
mkdir -p $C/boot $C/isolinux
cp "/boot/vmlinuz-$KVER" $C/boot/linux26
cp $W/installer.img $C/boot/initrd.img
cp /usr/lib/ISOLINUX/isolinux.bin /usr/lib/syslinux/modules/bios/ldlinux.c32 $C/isolinux/
printf 'DEFAULT auto\nPROMPT 0\nTIMEOUT 1\nLABEL auto\n  KERNEL /boot/linux26\n  INITRD /boot/initrd.img\n  APPEND console=ttyS0 quiet proxmox-start-auto-installer\n' \
  > $C/isolinux/isolinux.cfg
echo "a stand-in for the Proxmox VE ISO (labctl tests)" > $C/auto-installer-capable
xorriso -as mkisofs -quiet -o "$OUT/fake-pve.iso.tmp" -V FAKE-PVE -R -J \
  -isohybrid-mbr /usr/lib/ISOLINUX/isohdpfx.bin \
  -b isolinux/isolinux.bin -c isolinux/boot.cat -no-emul-boot -boot-load-size 4 -boot-info-table \
  $C 2>/dev/null
mv "$OUT/fake-pve.iso.tmp" "$OUT/fake-pve.iso"
chmod 644 "$OUT/fake-pve.iso"
sha256sum "$OUT/fake-pve.iso" | cut -d' ' -f1 > "$OUT/fake-pve.iso.sha256"
echo "$STAMP" > "$OUT/.stamp"
