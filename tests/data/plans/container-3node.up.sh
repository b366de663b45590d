# labctl up --recipe @DATADIR@/recipes/container-3node.lab: lab container, flavor container, 3 nodes, 1 guest
# The commands each step runs (as root), in order:
# 1. Check the host (CPU, memory, disk, tools)
labctl check --recipe @DATADIR@/recipes/container-3node.lab
# 2. Create the lab bridge lab-container with the gateway address
ip link add lab-container type bridge
ip link set dev lab-container alias labctl:container
ip addr replace 192.168.152.1/24 dev lab-container
ip link set lab-container up
# 3. Create the sparse backing file
truncate -s 1073741824 /var/lib/labctl/container/container.img
setfattr -n user.labctl.lab -v container /var/lib/labctl/container/container.img
# 4. Run the iSCSI target daemon (tgtd)
# only when no tgtd answers on control port 0 (the tgt service):
tgtd -f -C 0 --iscsi portal=192.168.152.1:3260
# 5. Create the iSCSI target
# tid: the first free one (1 on an empty tgtd)
tgtadm --lld iscsi --op new --mode target --tid 1 -T iqn.2026-01.labctl.lab:container
# 6. Add LUN 1 on the backing file
tgtadm --lld iscsi --op new --mode logicalunit --tid 1 --lun 1 -b /var/lib/labctl/container/container.img --bstype rdwr
# 7. Admit only the lab's own initiators to the target
tgtadm --lld iscsi --op bind --mode target --tid 1 -I 192.168.152.0/24
# 8. Attach the iSCSI disk on this host
iscsiadm -m discovery -t sendtargets -p 192.168.152.1:3260
iscsiadm -m node -T iqn.2026-01.labctl.lab:container -p 192.168.152.1:3260 --login
# then wait (up to 30 s) for /dev/disk/by-path/ip-192.168.152.1:3260-iscsi-iqn.2026-01.labctl.lab:container-lun-1
# without a kernel iSCSI initiator: qemu-storage-daemon FUSE export + losetup instead
# 9. Make the iSCSI disk an LVM physical volume
# refused if the disk carries any signature (blkid -p) that is not this lab's
blkid -p -o export /dev/disk/by-path/ip-192.168.152.1:3260-iscsi-iqn.2026-01.labctl.lab:container-lun-1
pvcreate --devices /dev/disk/by-path/ip-192.168.152.1:3260-iscsi-iqn.2026-01.labctl.lab:container-lun-1 /dev/disk/by-path/ip-192.168.152.1:3260-iscsi-iqn.2026-01.labctl.lab:container-lun-1
# 10. Create the volume group
vgcreate --devices /dev/disk/by-path/ip-192.168.152.1:3260-iscsi-iqn.2026-01.labctl.lab:container-lun-1 --addtag labctl:container vg_container /dev/disk/by-path/ip-192.168.152.1:3260-iscsi-iqn.2026-01.labctl.lab:container-lun-1
pvchange --devices /dev/disk/by-path/ip-192.168.152.1:3260-iscsi-iqn.2026-01.labctl.lab:container-lun-1 --addtag labctl:container /dev/disk/by-path/ip-192.168.152.1:3260-iscsi-iqn.2026-01.labctl.lab:container-lun-1
# 11. Create the logical volume lv_node1
lvcreate --devices /dev/disk/by-path/ip-192.168.152.1:3260-iscsi-iqn.2026-01.labctl.lab:container-lun-1 -y -L 8388608b -n lv_node1 --addtag labctl:container vg_container
# 12. Create the logical volume lv_node2
lvcreate --devices /dev/disk/by-path/ip-192.168.152.1:3260-iscsi-iqn.2026-01.labctl.lab:container-lun-1 -y -L 8388608b -n lv_node2 --addtag labctl:container vg_container
# 13. Create the logical volume lv_node3
lvcreate --devices /dev/disk/by-path/ip-192.168.152.1:3260-iscsi-iqn.2026-01.labctl.lab:container-lun-1 -y -L 8388608b -n lv_node3 --addtag labctl:container vg_container
# 14. Create the logical volume lv_tiny
lvcreate --devices /dev/disk/by-path/ip-192.168.152.1:3260-iscsi-iqn.2026-01.labctl.lab:container-lun-1 -y -L 16777216b -n lv_tiny --addtag labctl:container vg_container
# 15. Create the network namespace of node node1
ip netns add labctl-container-node1
ip -n labctl-container-node1 link set lo up
ip link add lc5ac9d8ef66 type veth peer name eth0 address 52:54:00:5a:c9:d8 netns labctl-container-node1
ip link set lc5ac9d8ef66 master lab-container up
ip -n labctl-container-node1 link add br0 address 52:54:00:5a:c9:d8 type bridge
ip -n labctl-container-node1 link set eth0 master br0 up
ip -n labctl-container-node1 addr add 192.168.152.11/24 dev br0
ip -n labctl-container-node1 link set br0 up
# 16. Create the network namespace of node node2
ip netns add labctl-container-node2
ip -n labctl-container-node2 link set lo up
ip link add lceea5869988 type veth peer name eth0 address 52:54:00:ee:a5:86 netns labctl-container-node2
ip link set lceea5869988 master lab-container up
ip -n labctl-container-node2 link add br0 address 52:54:00:ee:a5:86 type bridge
ip -n labctl-container-node2 link set eth0 master br0 up
ip -n labctl-container-node2 addr add 192.168.152.12/24 dev br0
ip -n labctl-container-node2 link set br0 up
# 17. Create the network namespace of node node3
ip netns add labctl-container-node3
ip -n labctl-container-node3 link set lo up
ip link add lc84db2798d5 type veth peer name eth0 address 52:54:00:84:db:27 netns labctl-container-node3
ip link set lc84db2798d5 master lab-container up
ip -n labctl-container-node3 link add br0 address 52:54:00:84:db:27 type bridge
ip -n labctl-container-node3 link set eth0 master br0 up
ip -n labctl-container-node3 addr add 192.168.152.13/24 dev br0
ip -n labctl-container-node3 link set br0 up
# 18. Start virtlogd and libvirtd of node node1
mkdir -p /var/lib/labctl/container/nodes/node1/{run,lib,cache,log,etc} /run/libvirt
cp -a /etc/libvirt/. /var/lib/labctl/container/nodes/node1/etc
rm -f /var/lib/labctl/container/nodes/node1/etc/qemu/networks/autostart/*
cat > /var/lib/labctl/container/nodes/node1/etc/libvirtd.conf <<'EOF'
# written by labctl for node node1 of lab container
listen_tls = 0
listen_tcp = 1
# TCP without authentication, only on the lab's private network
listen_addr = "192.168.152.11"
auth_tcp = "none"
auth_unix_rw = "none"
host_uuid = "25ba6970-dbad-4431-8f00-33b387b814ca"
log_outputs = "3:file:/var/log/libvirt/libvirtd.log"
EOF
cat >> /var/lib/labctl/container/nodes/node1/etc/qemu.conf <<'EOF'
# --- labctl: node node1 of lab container ---
migration_host = "192.168.152.11"
cgroup_controllers = [ ]
EOF
cp -a /var/cache/labctl/qemu-capabilities/. /var/lib/labctl/container/nodes/node1/cache/   # seed the QEMU capabilities cache
setsid ip netns exec labctl-container-node1 unshare --mount --uts --propagation private sh -c 'mount --bind '\''/var/lib/labctl/container/nodes/node1/run'\'' /run/libvirt && mount --bind '\''/var/lib/labctl/container/nodes/node1/lib'\'' /var/lib/libvirt && mount --bind '\''/var/lib/labctl/container/nodes/node1/cache'\'' /var/cache/libvirt && mount --bind '\''/var/lib/labctl/container/nodes/node1/log'\'' /var/log/libvirt && mount --bind '\''/var/lib/labctl/container/nodes/node1/etc'\'' /etc/libvirt && hostname '\''node1'\'' && exec virtlogd -p /run/libvirt/virtlogd.pid' &
setsid nsenter -t $! -m -u -n labctl reap -- taskset -c 0 libvirtd --listen -p /run/libvirt/libvirtd.pid &
# 19. Start virtlogd and libvirtd of node node2
mkdir -p /var/lib/labctl/container/nodes/node2/{run,lib,cache,log,etc} /run/libvirt
cp -a /etc/libvirt/. /var/lib/labctl/container/nodes/node2/etc
rm -f /var/lib/labctl/container/nodes/node2/etc/qemu/networks/autostart/*
cat > /var/lib/labctl/container/nodes/node2/etc/libvirtd.conf <<'EOF'
# written by labctl for node node2 of lab container
listen_tls = 0
listen_tcp = 1
# TCP without authentication, only on the lab's private network
listen_addr = "192.168.152.12"
auth_tcp = "none"
auth_unix_rw = "none"
host_uuid = "c669e1dd-6a1f-4f97-8e84-6d7e9ab3c729"
log_outputs = "3:file:/var/log/libvirt/libvirtd.log"
EOF
cat >> /var/lib/labctl/container/nodes/node2/etc/qemu.conf <<'EOF'
# --- labctl: node node2 of lab container ---
migration_host = "192.168.152.12"
cgroup_controllers = [ ]
EOF
cp -a /var/cache/labctl/qemu-capabilities/. /var/lib/labctl/container/nodes/node2/cache/   # seed the QEMU capabilities cache
setsid ip netns exec labctl-container-node2 unshare --mount --uts --propagation private sh -c 'mount --bind '\''/var/lib/labctl/container/nodes/node2/run'\'' /run/libvirt && mount --bind '\''/var/lib/labctl/container/nodes/node2/lib'\'' /var/lib/libvirt && mount --bind '\''/var/lib/labctl/container/nodes/node2/cache'\'' /var/cache/libvirt && mount --bind '\''/var/lib/labctl/container/nodes/node2/log'\'' /var/log/libvirt && mount --bind '\''/var/lib/labctl/container/nodes/node2/etc'\'' /etc/libvirt && hostname '\''node2'\'' && exec virtlogd -p /run/libvirt/virtlogd.pid' &
setsid nsenter -t $! -m -u -n labctl reap -- taskset -c 0 libvirtd --listen -p /run/libvirt/libvirtd.pid &
# 20. Start virtlogd and libvirtd of node node3
mkdir -p /var/lib/labctl/container/nodes/node3/{run,lib,cache,log,etc} /run/libvirt
cp -a /etc/libvirt/. /var/lib/labctl/container/nodes/node3/etc
rm -f /var/lib/labctl/container/nodes/node3/etc/qemu/networks/autostart/*
cat > /var/lib/labctl/container/nodes/node3/etc/libvirtd.conf <<'EOF'
# written by labctl for node node3 of lab container
listen_tls = 0
listen_tcp = 1
# TCP without authentication, only on the lab's private network
listen_addr = "192.168.152.13"
auth_tcp = "none"
auth_unix_rw = "none"
host_uuid = "904a1d9e-6ee7-46cb-82f8-3d80325ab00e"
log_outputs = "3:file:/var/log/libvirt/libvirtd.log"
EOF
cat >> /var/lib/labctl/container/nodes/node3/etc/qemu.conf <<'EOF'
# --- labctl: node node3 of lab container ---
migration_host = "192.168.152.13"
cgroup_controllers = [ ]
EOF
cp -a /var/cache/labctl/qemu-capabilities/. /var/lib/labctl/container/nodes/node3/cache/   # seed the QEMU capabilities cache
setsid ip netns exec labctl-container-node3 unshare --mount --uts --propagation private sh -c 'mount --bind '\''/var/lib/labctl/container/nodes/node3/run'\'' /run/libvirt && mount --bind '\''/var/lib/labctl/container/nodes/node3/lib'\'' /var/lib/libvirt && mount --bind '\''/var/lib/labctl/container/nodes/node3/cache'\'' /var/cache/libvirt && mount --bind '\''/var/lib/labctl/container/nodes/node3/log'\'' /var/log/libvirt && mount --bind '\''/var/lib/labctl/container/nodes/node3/etc'\'' /etc/libvirt && hostname '\''node3'\'' && exec virtlogd -p /run/libvirt/virtlogd.pid' &
setsid nsenter -t $! -m -u -n labctl reap -- taskset -c 0 libvirtd --listen -p /run/libvirt/libvirtd.pid &
# 21. Find the place of guest tiny's disk on the shared LUN
pvs --devices "$PV" -o pv_name,pe_start,vg_extent_size --units b "$PV"
lvs --devices "$PV" --segments -o lv_name,seg_size,seg_pe_ranges --units b vg_container/lv_tiny
# the guest's disk: the LUN from pe_start + first extent x extent size, seg_size bytes (a <slice> in its domain XML)
# 22. Define guest tiny
cat > tiny.xml <<'EOF'
<domain type='qemu'>
  <name>tiny</name>
  <uuid>045180b2-97ba-4378-8cb4-4e9ab0fbd8b3</uuid>
  <metadata>
    <labctl:lab xmlns:labctl='https://labctl.example/xmlns/1' name='container' guest='tiny'/>
  </metadata>
  <memory unit='MiB'>96</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64' machine='pc'>hvm</type>
    <kernel>@DATADIR@/recipes/tiny-guest/vmlinux</kernel>
    <initrd>@DATADIR@/recipes/tiny-guest/initramfs.cpio.gz</initrd>
    <cmdline>console=ttyS0 quiet guestip=192.168.152.51/24</cmdline>
  </os>
  <features><acpi/></features>
  <cpu mode='custom' match='exact'><model fallback='forbid'>qemu64</model></cpu>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>restart</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
    <interface type='bridge'><source bridge='br0'/><mac address='52:54:00:ca:25:93'/><model type='virtio'/></interface>
    <disk type='network' device='disk'>
      <driver name='qemu' type='raw' cache='none'/>
      <source protocol='iscsi' name='iqn.2026-01.labctl.lab:container/1'>
        <host name='192.168.152.1' port='3260'/>
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
virsh -c 'qemu+unix:///system?socket=/var/lib/labctl/container/nodes/node1/run/libvirt-sock' define tiny.xml
# 23. Start guest tiny and wait until it answers ping
virsh -c 'qemu+unix:///system?socket=/var/lib/labctl/container/nodes/node1/run/libvirt-sock' start tiny
until ping -c1 -W1 192.168.152.51; do sleep 0.5; done
# 24. Save the clean state of guest tiny (for reset)
virsh -c 'qemu+unix:///system?socket=/var/lib/labctl/container/nodes/node1/run/libvirt-sock' save tiny /var/lib/labctl/container/guests/tiny.clean --running
virsh -c 'qemu+unix:///system?socket=/var/lib/labctl/container/nodes/node1/run/libvirt-sock' restore /var/lib/labctl/container/guests/tiny.clean --running
# 25. Check that every node and guest answers
labctl status
