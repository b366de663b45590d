# labctl up --recipe @DATADIR@/tests/data/e2e.lab: lab e2e, flavor container, 2 nodes, 1 guest
# The commands each step runs (as root), in order:
# 1. Check the host (CPU, memory, disk, tools)
labctl check --recipe @DATADIR@/tests/data/e2e.lab
# 2. Create the lab bridge lab-e2e with the gateway address
ip link add lab-e2e type bridge
ip link set dev lab-e2e alias labctl:e2e
ip addr replace 10.99.0.1/24 dev lab-e2e
ip link set lab-e2e up
# 3. Create the sparse backing file
truncate -s 268435456 /var/lib/labctl/e2e/e2e.img
setfattr -n user.labctl.lab -v e2e /var/lib/labctl/e2e/e2e.img
# 4. Run the iSCSI target daemon (tgtd)
# only when no tgtd answers on control port 0 (the tgt service):
tgtd -f -C 0 --iscsi portal=10.99.0.1:3260
# 5. Create the iSCSI target
# tid: the first free one (1 on an empty tgtd)
tgtadm --lld iscsi --op new --mode target --tid 1 -T iqn.2026-01.labctl.lab:e2e
# 6. Add LUN 1 on the backing file
tgtadm --lld iscsi --op new --mode logicalunit --tid 1 --lun 1 -b /var/lib/labctl/e2e/e2e.img --bstype rdwr
# 7. Admit only the lab's own initiators to the target
tgtadm --lld iscsi --op bind --mode target --tid 1 -I 10.99.0.0/24
# 8. Attach the iSCSI disk on this host
iscsiadm -m discovery -t sendtargets -p 10.99.0.1:3260
iscsiadm -m node -T iqn.2026-01.labctl.lab:e2e -p 10.99.0.1:3260 --login
# then wait (up to 30 s) for /dev/disk/by-path/ip-10.99.0.1:3260-iscsi-iqn.2026-01.labctl.lab:e2e-lun-1
# without a kernel iSCSI initiator: qemu-storage-daemon FUSE export + losetup instead
# 9. Make the iSCSI disk an LVM physical volume
# refused if the disk carries any signature (blkid -p) that is not this lab's
blkid -p -o export /dev/disk/by-path/ip-10.99.0.1:3260-iscsi-iqn.2026-01.labctl.lab:e2e-lun-1
pvcreate --devices /dev/disk/by-path/ip-10.99.0.1:3260-iscsi-iqn.2026-01.labctl.lab:e2e-lun-1 /dev/disk/by-path/ip-10.99.0.1:3260-iscsi-iqn.2026-01.labctl.lab:e2e-lun-1
# 10. Create the volume group
vgcreate --devices /dev/disk/by-path/ip-10.99.0.1:3260-iscsi-iqn.2026-01.labctl.lab:e2e-lun-1 --addtag labctl:e2e vg_iscsi /dev/disk/by-path/ip-10.99.0.1:3260-iscsi-iqn.2026-01.labctl.lab:e2e-lun-1
pvchange --devices /dev/disk/by-path/ip-10.99.0.1:3260-iscsi-iqn.2026-01.labctl.lab:e2e-lun-1 --addtag labctl:e2e /dev/disk/by-path/ip-10.99.0.1:3260-iscsi-iqn.2026-01.labctl.lab:e2e-lun-1
# 11. Create the logical volume lv_node1
lvcreate --devices /dev/disk/by-path/ip-10.99.0.1:3260-iscsi-iqn.2026-01.labctl.lab:e2e-lun-1 -y -L 4194304b -n lv_node1 --addtag labctl:e2e vg_iscsi
# 12. Create the logical volume lv_node2
lvcreate --devices /dev/disk/by-path/ip-10.99.0.1:3260-iscsi-iqn.2026-01.labctl.lab:e2e-lun-1 -y -L 4194304b -n lv_node2 --addtag labctl:e2e vg_iscsi
# 13. Create the logical volume lv_tiny
lvcreate --devices /dev/disk/by-path/ip-10.99.0.1:3260-iscsi-iqn.2026-01.labctl.lab:e2e-lun-1 -y -L 16777216b -n lv_tiny --addtag labctl:e2e vg_iscsi
# 14. Create the network namespace of node node1
ip netns add labctl-e2e-node1
ip -n labctl-e2e-node1 link set lo up
ip link add lce2e2e52bb2 type veth peer name eth0 address 52:54:00:e2:e2:e5 netns labctl-e2e-node1
ip link set lce2e2e52bb2 master lab-e2e up
ip -n labctl-e2e-node1 link add br0 address 52:54:00:e2:e2:e5 type bridge
ip -n labctl-e2e-node1 link set eth0 master br0 up
ip -n labctl-e2e-node1 addr add 10.99.0.11/24 dev br0
ip -n labctl-e2e-node1 link set br0 up
# 15. Create the network namespace of node node2
ip netns add labctl-e2e-node2
ip -n labctl-e2e-node2 link set lo up
ip link add lcbc427bb93f type veth peer name eth0 address 52:54:00:bc:42:7b netns labctl-e2e-node2
ip link set lcbc427bb93f master lab-e2e up
ip -n labctl-e2e-node2 link add br0 address 52:54:00:bc:42:7b type bridge
ip -n labctl-e2e-node2 link set eth0 master br0 up
ip -n labctl-e2e-node2 addr add 10.99.0.12/24 dev br0
ip -n labctl-e2e-node2 link set br0 up
# 16. Start virtlogd and libvirtd of node node1
mkdir -p /var/lib/labctl/e2e/nodes/node1/{run,lib,cache,log,etc} /run/libvirt
cp -a /etc/libvirt/. /var/lib/labctl/e2e/nodes/node1/etc
rm -f /var/lib/labctl/e2e/nodes/node1/etc/qemu/networks/autostart/*
cat > /var/lib/labctl/e2e/nodes/node1/etc/libvirtd.conf <<'EOF'
# written by labctl for node node1 of lab e2e
listen_tls = 0
listen_tcp = 1
# TCP without authentication, only on the lab's private network
listen_addr = "10.99.0.11"
auth_tcp = "none"
auth_unix_rw = "none"
host_uuid = "f69a3981-8d95-4834-85b3-e1d5ec9f0661"
log_outputs = "3:file:/var/log/libvirt/libvirtd.log"
EOF
cat >> /var/lib/labctl/e2e/nodes/node1/etc/qemu.conf <<'EOF'
# --- labctl: node node1 of lab e2e ---
migration_host = "10.99.0.11"
cgroup_controllers = [ ]
EOF
cp -a /var/cache/labctl/qemu-capabilities/. /var/lib/labctl/e2e/nodes/node1/cache/   # seed the QEMU capabilities cache
setsid ip netns exec labctl-e2e-node1 unshare --mount --uts --propagation private sh -c 'mount --bind '\''/var/lib/labctl/e2e/nodes/node1/run'\'' /run/libvirt && mount --bind '\''/var/lib/labctl/e2e/nodes/node1/lib'\'' /var/lib/libvirt && mount --bind '\''/var/lib/labctl/e2e/nodes/node1/cache'\'' /var/cache/libvirt && mount --bind '\''/var/lib/labctl/e2e/nodes/node1/log'\'' /var/log/libvirt && mount --bind '\''/var/lib/labctl/e2e/nodes/node1/etc'\'' /etc/libvirt && hostname '\''node1'\'' && exec virtlogd -p /run/libvirt/virtlogd.pid' &
setsid nsenter -t $! -m -u -n labctl reap -- taskset -c 0 libvirtd --listen -p /run/libvirt/libvirtd.pid &
# 17. Start virtlogd and libvirtd of node node2
mkdir -p /var/lib/labctl/e2e/nodes/node2/{run,lib,cache,log,etc} /run/libvirt
cp -a /etc/libvirt/. /var/lib/labctl/e2e/nodes/node2/etc
rm -f /var/lib/labctl/e2e/nodes/node2/etc/qemu/networks/autostart/*
cat > /var/lib/labctl/e2e/nodes/node2/etc/libvirtd.conf <<'EOF'
# written by labctl for node node2 of lab e2e
listen_tls = 0
listen_tcp = 1
# TCP without authentication, only on the lab's private network
listen_addr = "10.99.0.12"
auth_tcp = "none"
auth_unix_rw = "none"
host_uuid = "549e70d3-3066-40d4-8359-e21bb7d19867"
log_outputs = "3:file:/var/log/libvirt/libvirtd.log"
EOF
cat >> /var/lib/labctl/e2e/nodes/node2/etc/qemu.conf <<'EOF'
# --- labctl: node node2 of lab e2e ---
migration_host = "10.99.0.12"
cgroup_controllers = [ ]
EOF
cp -a /var/cache/labctl/qemu-capabilities/. /var/lib/labctl/e2e/nodes/node2/cache/   # seed the QEMU capabilities cache
setsid ip netns exec labctl-e2e-node2 unshare --mount --uts --propagation private sh -c 'mount --bind '\''/var/lib/labctl/e2e/nodes/node2/run'\'' /run/libvirt && mount --bind '\''/var/lib/labctl/e2e/nodes/node2/lib'\'' /var/lib/libvirt && mount --bind '\''/var/lib/labctl/e2e/nodes/node2/cache'\'' /var/cache/libvirt && mount --bind '\''/var/lib/labctl/e2e/nodes/node2/log'\'' /var/log/libvirt && mount --bind '\''/var/lib/labctl/e2e/nodes/node2/etc'\'' /etc/libvirt && hostname '\''node2'\'' && exec virtlogd -p /run/libvirt/virtlogd.pid' &
setsid nsenter -t $! -m -u -n labctl reap -- taskset -c 0 libvirtd --listen -p /run/libvirt/libvirtd.pid &
# 18. Find the place of guest tiny's disk on the shared LUN
pvs --devices "$PV" -o pv_name,pe_start,vg_extent_size --units b "$PV"
lvs --devices "$PV" --segments -o lv_name,seg_size,seg_pe_ranges --units b vg_iscsi/lv_tiny
# the guest's disk: the LUN from pe_start + first extent x extent size, seg_size bytes (a <slice> in its domain XML)
# 19. Define guest tiny
cat > tiny.xml <<'EOF'
<domain type='qemu'>
  <name>tiny</name>
  <uuid>735b2624-c7ea-4772-8411-c57fd186cd03</uuid>
  <metadata>
    <labctl:lab xmlns:labctl='https://labctl.example/xmlns/1' name='e2e' guest='tiny'/>
  </metadata>
  <memory unit='MiB'>96</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64' machine='pc'>hvm</type>
    <kernel>@DATADIR@/tests/data/tiny-guest/vmlinux</kernel>
    <initrd>@DATADIR@/tests/data/tiny-guest/initramfs.cpio.gz</initrd>
    <cmdline>console=ttyS0 quiet guestip=10.99.0.51/24</cmdline>
  </os>
  <features><acpi/></features>
  <cpu mode='custom' match='exact'><model fallback='forbid'>qemu64</model></cpu>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>restart</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
    <interface type='bridge'><source bridge='br0'/><mac address='52:54:00:b3:d5:25'/><model type='virtio'/></interface>
    <disk type='network' device='disk'>
      <driver name='qemu' type='raw' cache='none'/>
      <source protocol='iscsi' name='iqn.2026-01.labctl.lab:e2e/1'>
        <host name='10.99.0.1' port='3260'/>
        <slices><slice type='storage' offset='$OFFSET' size='16777216'/></slices>
      </source>
      <target dev='vda' bus='virtio'/>
    </disk>
    <serial type='pty'/>
    <console type='pty'/>
    <controller type='usb' model='none'/>
    <memballoon model='none'/>
  </devices>
</domain>
EOF
virsh -c 'qemu+unix:///system?socket=/var/lib/labctl/e2e/nodes/node1/run/libvirt-sock' define tiny.xml
# 20. Start guest tiny and wait until it answers ping
virsh -c 'qemu+unix:///system?socket=/var/lib/labctl/e2e/nodes/node1/run/libvirt-sock' start tiny
until ping -c1 -W1 10.99.0.51; do sleep 0.5; done
# 21. Save the clean state of guest tiny (for reset)
virsh -c 'qemu+unix:///system?socket=/var/lib/labctl/e2e/nodes/node1/run/libvirt-sock' save tiny /var/lib/labctl/e2e/guests/tiny.clean --running
virsh -c 'qemu+unix:///system?socket=/var/lib/labctl/e2e/nodes/node1/run/libvirt-sock' restore /var/lib/labctl/e2e/guests/tiny.clean --running
# 22. Check that every node and guest answers
labctl status
