# labctl up --recipe @DATADIR@/tests/data/ha-cluster.lab: lab e2eha, flavor container, 3 nodes, 1 guest
# The commands each step runs (as root), in order:
# 1. Check the host (CPU, memory, disk, tools)
labctl check --recipe @DATADIR@/tests/data/ha-cluster.lab
# 2. Create the lab bridge lab-e2eha with the gateway address
ip link add lab-e2eha type bridge
ip link set dev lab-e2eha alias labctl:e2eha
ip addr replace 10.99.0.1/24 dev lab-e2eha
ip link set lab-e2eha up
# 3. Create the sparse backing file
truncate -s 268435456 /var/lib/labctl/e2eha/e2eha.img
setfattr -n user.labctl.lab -v e2eha /var/lib/labctl/e2eha/e2eha.img
# 4. Run the iSCSI target daemon (tgtd)
# only when no tgtd answers on control port 0 (the tgt service):
tgtd -f -C 0 --iscsi portal=10.99.0.1:3260
# 5. Create the iSCSI target
# tid: the first free one (1 on an empty tgtd)
tgtadm --lld iscsi --op new --mode target --tid 1 -T iqn.2026-01.labctl.lab:e2eha
# 6. Add LUN 1 on the backing file
tgtadm --lld iscsi --op new --mode logicalunit --tid 1 --lun 1 -b /var/lib/labctl/e2eha/e2eha.img --bstype rdwr
# 7. Admit only the lab's own initiators to the target
tgtadm --lld iscsi --op bind --mode target --tid 1 -I 10.99.0.0/24
# 8. Attach the iSCSI disk on this host
iscsiadm -m discovery -t sendtargets -p 10.99.0.1:3260
iscsiadm -m node -T iqn.2026-01.labctl.lab:e2eha -p 10.99.0.1:3260 --login
# then wait (up to 30 s) for /dev/disk/by-path/ip-10.99.0.1:3260-iscsi-iqn.2026-01.labctl.lab:e2eha-lun-1
# without a kernel iSCSI initiator: qemu-storage-daemon FUSE export + losetup instead
# 9. Make the iSCSI disk an LVM physical volume
# refused if the disk carries any signature (blkid -p) that is not this lab's
blkid -p -o export /dev/disk/by-path/ip-10.99.0.1:3260-iscsi-iqn.2026-01.labctl.lab:e2eha-lun-1
pvcreate --devices /dev/disk/by-path/ip-10.99.0.1:3260-iscsi-iqn.2026-01.labctl.lab:e2eha-lun-1 /dev/disk/by-path/ip-10.99.0.1:3260-iscsi-iqn.2026-01.labctl.lab:e2eha-lun-1
# 10. Create the volume group
vgcreate --devices /dev/disk/by-path/ip-10.99.0.1:3260-iscsi-iqn.2026-01.labctl.lab:e2eha-lun-1 --addtag labctl:e2eha vg_iscsi /dev/disk/by-path/ip-10.99.0.1:3260-iscsi-iqn.2026-01.labctl.lab:e2eha-lun-1
pvchange --devices /dev/disk/by-path/ip-10.99.0.1:3260-iscsi-iqn.2026-01.labctl.lab:e2eha-lun-1 --addtag labctl:e2eha /dev/disk/by-path/ip-10.99.0.1:3260-iscsi-iqn.2026-01.labctl.lab:e2eha-lun-1
# 11. Create the logical volume lv_node1
lvcreate --devices /dev/disk/by-path/ip-10.99.0.1:3260-iscsi-iqn.2026-01.labctl.lab:e2eha-lun-1 -y -L 4194304b -n lv_node1 --addtag labctl:e2eha vg_iscsi
# 12. Create the logical volume lv_node2
lvcreate --devices /dev/disk/by-path/ip-10.99.0.1:3260-iscsi-iqn.2026-01.labctl.lab:e2eha-lun-1 -y -L 4194304b -n lv_node2 --addtag labctl:e2eha vg_iscsi
# 13. Create the logical volume lv_node3
lvcreate --devices /dev/disk/by-path/ip-10.99.0.1:3260-iscsi-iqn.2026-01.labctl.lab:e2eha-lun-1 -y -L 4194304b -n lv_node3 --addtag labctl:e2eha vg_iscsi
# 14. Create the logical volume lv_tiny
lvcreate --devices /dev/disk/by-path/ip-10.99.0.1:3260-iscsi-iqn.2026-01.labctl.lab:e2eha-lun-1 -y -L 16777216b -n lv_tiny --addtag labctl:e2eha vg_iscsi
# 15. Create the network namespace of node node1
ip netns add labctl-e2eha-node1
ip -n labctl-e2eha-node1 link set lo up
ip link add lc6f0dc1030e type veth peer name eth0 address 52:54:00:6f:0d:c1 netns labctl-e2eha-node1
ip link set lc6f0dc1030e master lab-e2eha up
ip -n labctl-e2eha-node1 link add br0 address 52:54:00:6f:0d:c1 type bridge
ip -n labctl-e2eha-node1 link set eth0 master br0 up
ip -n labctl-e2eha-node1 addr add 10.99.0.11/24 dev br0
ip -n labctl-e2eha-node1 link set br0 up
# 16. Create the network namespace of node node2
ip netns add labctl-e2eha-node2
ip -n labctl-e2eha-node2 link set lo up
ip link add lcca0d7fac6f type veth peer name eth0 address 52:54:00:ca:0d:7f netns labctl-e2eha-node2
ip link set lcca0d7fac6f master lab-e2eha up
ip -n labctl-e2eha-node2 link add br0 address 52:54:00:ca:0d:7f type bridge
ip -n labctl-e2eha-node2 link set eth0 master br0 up
ip -n labctl-e2eha-node2 addr add 10.99.0.12/24 dev br0
ip -n labctl-e2eha-node2 link set br0 up
# 17. Create the network namespace of node node3
ip netns add labctl-e2eha-node3
ip -n labctl-e2eha-node3 link set lo up
ip link add lc73bf0d5d81 type veth peer name eth0 address 52:54:00:73:bf:0d netns labctl-e2eha-node3
ip link set lc73bf0d5d81 master lab-e2eha up
ip -n labctl-e2eha-node3 link add br0 address 52:54:00:73:bf:0d type bridge
ip -n labctl-e2eha-node3 link set eth0 master br0 up
ip -n labctl-e2eha-node3 addr add 10.99.0.13/24 dev br0
ip -n labctl-e2eha-node3 link set br0 up
# 18. Start virtlogd and libvirtd of node node1
mkdir -p /var/lib/labctl/e2eha/nodes/node1/{run,lib,cache,log,etc} /run/libvirt
cp -a /etc/libvirt/. /var/lib/labctl/e2eha/nodes/node1/etc
rm -f /var/lib/labctl/e2eha/nodes/node1/etc/qemu/networks/autostart/*
cat > /var/lib/labctl/e2eha/nodes/node1/etc/libvirtd.conf <<'EOF'
# written by labctl for node node1 of lab e2eha
listen_tls = 0
listen_tcp = 1
# TCP without authentication, only on the lab's private network
listen_addr = "10.99.0.11"
auth_tcp = "none"
auth_unix_rw = "none"
host_uuid = "537d2d61-c73f-4228-82b8-ee0624569951"
log_outputs = "3:file:/var/log/libvirt/libvirtd.log"
EOF
cat >> /var/lib/labctl/e2eha/nodes/node1/etc/qemu.conf <<'EOF'
# --- labctl: node node1 of lab e2eha ---
migration_host = "10.99.0.11"
cgroup_controllers = [ ]
EOF
cp -a /var/cache/labctl/qemu-capabilities/. /var/lib/labctl/e2eha/nodes/node1/cache/   # seed the QEMU capabilities cache
setsid ip netns exec labctl-e2eha-node1 unshare --mount --uts --propagation private sh -c 'mount --rbind /run/netns '\''/var/lib/labctl/e2eha/nodes/node1/cluster/netns'\'' && mount -t tmpfs -o mode=0755 tmpfs /run && mkdir -p /run/netns /run/libvirt /run/resource-agents /run/lock && mount --move '\''/var/lib/labctl/e2eha/nodes/node1/cluster/netns'\'' /run/netns && mount -t tmpfs -o mode=1777 tmpfs /dev/shm && mount --bind '\''/var/lib/labctl/e2eha/nodes/node1/run'\'' /run/libvirt && mount --bind '\''/var/lib/labctl/e2eha/nodes/node1/lib'\'' /var/lib/libvirt && mount --bind '\''/var/lib/labctl/e2eha/nodes/node1/cache'\'' /var/cache/libvirt && mount --bind '\''/var/lib/labctl/e2eha/nodes/node1/log'\'' /var/log/libvirt && mount --bind '\''/var/lib/labctl/e2eha/nodes/node1/etc'\'' /etc/libvirt && mount --bind '\''/var/lib/labctl/e2eha/nodes/node1/cluster/etc-corosync'\'' /etc/corosync && mount --bind '\''/var/lib/labctl/e2eha/nodes/node1/cluster/lib-corosync'\'' /var/lib/corosync && mount --bind '\''/var/lib/labctl/e2eha/nodes/node1/cluster/log-corosync'\'' /var/log/corosync && mount --bind '\''/var/lib/labctl/e2eha/nodes/node1/cluster/lib-pacemaker'\'' /var/lib/pacemaker && mount --bind '\''/var/lib/labctl/e2eha/nodes/node1/cluster/log-pacemaker'\'' /var/log/pacemaker && mount -t overlay -o '\''lowerdir=/var/lib/labctl/e2eha/nodes/node1/cluster/sbin:/usr/sbin'\'' overlay /usr/sbin && hostname '\''node1'\'' && exec virtlogd -p /run/libvirt/virtlogd.pid' &
setsid nsenter -t $! -m -u -n labctl reap -- taskset -c 0 libvirtd --listen -p /run/libvirt/libvirtd.pid &
# 19. Start virtlogd and libvirtd of node node2
mkdir -p /var/lib/labctl/e2eha/nodes/node2/{run,lib,cache,log,etc} /run/libvirt
cp -a /etc/libvirt/. /var/lib/labctl/e2eha/nodes/node2/etc
rm -f /var/lib/labctl/e2eha/nodes/node2/etc/qemu/networks/autostart/*
cat > /var/lib/labctl/e2eha/nodes/node2/etc/libvirtd.conf <<'EOF'
# written by labctl for node node2 of lab e2eha
listen_tls = 0
listen_tcp = 1
# TCP without authentication, only on the lab's private network
listen_addr = "10.99.0.12"
auth_tcp = "none"
auth_unix_rw = "none"
host_uuid = "286c2804-26d1-481c-8d64-766a44b1ec1d"
log_outputs = "3:file:/var/log/libvirt/libvirtd.log"
EOF
cat >> /var/lib/labctl/e2eha/nodes/node2/etc/qemu.conf <<'EOF'
# --- labctl: node node2 of lab e2eha ---
migration_host = "10.99.0.12"
cgroup_controllers = [ ]
EOF
cp -a /var/cache/labctl/qemu-capabilities/. /var/lib/labctl/e2eha/nodes/node2/cache/   # seed the QEMU capabilities cache
setsid ip netns exec labctl-e2eha-node2 unshare --mount --uts --propagation private sh -c 'mount --rbind /run/netns '\''/var/lib/labctl/e2eha/nodes/node2/cluster/netns'\'' && mount -t tmpfs -o mode=0755 tmpfs /run && mkdir -p /run/netns /run/libvirt /run/resource-agents /run/lock && mount --move '\''/var/lib/labctl/e2eha/nodes/node2/cluster/netns'\'' /run/netns && mount -t tmpfs -o mode=1777 tmpfs /dev/shm && mount --bind '\''/var/lib/labctl/e2eha/nodes/node2/run'\'' /run/libvirt && mount --bind '\''/var/lib/labctl/e2eha/nodes/node2/lib'\'' /var/lib/libvirt && mount --bind '\''/var/lib/labctl/e2eha/nodes/node2/cache'\'' /var/cache/libvirt && mount --bind '\''/var/lib/labctl/e2eha/nodes/node2/log'\'' /var/log/libvirt && mount --bind '\''/var/lib/labctl/e2eha/nodes/node2/etc'\'' /etc/libvirt && mount --bind '\''/var/lib/labctl/e2eha/nodes/node2/cluster/etc-corosync'\'' /etc/corosync && mount --bind '\''/var/lib/labctl/e2eha/nodes/node2/cluster/lib-corosync'\'' /var/lib/corosync && mount --bind '\''/var/lib/labctl/e2eha/nodes/node2/cluster/log-corosync'\'' /var/log/corosync && mount --bind '\''/var/lib/labctl/e2eha/nodes/node2/cluster/lib-pacemaker'\'' /var/lib/pacemaker && mount --bind '\''/var/lib/labctl/e2eha/nodes/node2/cluster/log-pacemaker'\'' /var/log/pacemaker && mount -t overlay -o '\''lowerdir=/var/lib/labctl/e2eha/nodes/node2/cluster/sbin:/usr/sbin'\'' overlay /usr/sbin && hostname '\''node2'\'' && exec virtlogd -p /run/libvirt/virtlogd.pid' &
setsid nsenter -t $! -m -u -n labctl reap -- taskset -c 0 libvirtd --listen -p /run/libvirt/libvirtd.pid &
# 20. Start virtlogd and libvirtd of node node3
mkdir -p /var/lib/labctl/e2eha/nodes/node3/{run,lib,cache,log,etc} /run/libvirt
cp -a /etc/libvirt/. /var/lib/labctl/e2eha/nodes/node3/etc
rm -f /var/lib/labctl/e2eha/nodes/node3/etc/qemu/networks/autostart/*
cat > /var/lib/labctl/e2eha/nodes/node3/etc/libvirtd.conf <<'EOF'
# written by labctl for node node3 of lab e2eha
listen_tls = 0
listen_tcp = 1
# TCP without authentication, only on the lab's private network
listen_addr = "10.99.0.13"
auth_tcp = "none"
auth_unix_rw = "none"
host_uuid = "60feabe6-1468-4ba2-8fdd-0483a963428f"
log_outputs = "3:file:/var/log/libvirt/libvirtd.log"
EOF
cat >> /var/lib/labctl/e2eha/nodes/node3/etc/qemu.conf <<'EOF'
# --- labctl: node node3 of lab e2eha ---
migration_host = "10.99.0.13"
cgroup_controllers = [ ]
EOF
cp -a /var/cache/labctl/qemu-capabilities/. /var/lib/labctl/e2eha/nodes/node3/cache/   # seed the QEMU capabilities cache
setsid ip netns exec labctl-e2eha-node3 unshare --mount --uts --propagation private sh -c 'mount --rbind /run/netns '\''/var/lib/labctl/e2eha/nodes/node3/cluster/netns'\'' && mount -t tmpfs -o mode=0755 tmpfs /run && mkdir -p /run/netns /run/libvirt /run/resource-agents /run/lock && mount --move '\''/var/lib/labctl/e2eha/nodes/node3/cluster/netns'\'' /run/netns && mount -t tmpfs -o mode=1777 tmpfs /dev/shm && mount --bind '\''/var/lib/labctl/e2eha/nodes/node3/run'\'' /run/libvirt && mount --bind '\''/var/lib/labctl/e2eha/nodes/node3/lib'\'' /var/lib/libvirt && mount --bind '\''/var/lib/labctl/e2eha/nodes/node3/cache'\'' /var/cache/libvirt && mount --bind '\''/var/lib/labctl/e2eha/nodes/node3/log'\'' /var/log/libvirt && mount --bind '\''/var/lib/labctl/e2eha/nodes/node3/etc'\'' /etc/libvirt && mount --bind '\''/var/lib/labctl/e2eha/nodes/node3/cluster/etc-corosync'\'' /etc/corosync && mount --bind '\''/var/lib/labctl/e2eha/nodes/node3/cluster/lib-corosync'\'' /var/lib/corosync && mount --bind '\''/var/lib/labctl/e2eha/nodes/node3/cluster/log-corosync'\'' /var/log/corosync && mount --bind '\''/var/lib/labctl/e2eha/nodes/node3/cluster/lib-pacemaker'\'' /var/lib/pacemaker && mount --bind '\''/var/lib/labctl/e2eha/nodes/node3/cluster/log-pacemaker'\'' /var/log/pacemaker && mount -t overlay -o '\''lowerdir=/var/lib/labctl/e2eha/nodes/node3/cluster/sbin:/usr/sbin'\'' overlay /usr/sbin && hostname '\''node3'\'' && exec virtlogd -p /run/libvirt/virtlogd.pid' &
setsid nsenter -t $! -m -u -n labctl reap -- taskset -c 0 libvirtd --listen -p /run/libvirt/libvirtd.pid &
# 21. Start corosync on node node1
nsenter -t $(cat /var/lib/labctl/e2eha/nodes/node1/run/virtlogd.pid) -m -u -n -- sh -c 'cat > /etc/corosync/corosync.conf' <<'EOF'
# corosync.conf written by labctl for lab e2eha
totem {
    version: 2
    cluster_name: e2eha
    transport: knet
    # the lab network is one host's private bridge
    crypto_cipher: none
    crypto_hash: none
    # [cluster] token: a node silent for this long is lost; corosync adds
    # token_coefficient (650 ms) per node beyond two: 1650 ms with 3 nodes
    token: 1000
}
nodelist {
    node {
        name: node1
        nodeid: 1
        ring0_addr: 10.99.0.11
    }
    node {
        name: node2
        nodeid: 2
        ring0_addr: 10.99.0.12
    }
    node {
        name: node3
        nodeid: 3
        ring0_addr: 10.99.0.13
    }
}
quorum {
    # one vote per node: a partition needs a majority to run guests
    provider: corosync_votequorum
}
logging {
    to_logfile: yes
    logfile: /var/log/corosync/corosync.log
    to_stderr: no
    to_syslog: no
    # milliseconds: the failover experiment reads its phases here
    timestamp: hires
}
EOF
setsid nsenter -t $(cat /var/lib/labctl/e2eha/nodes/node1/run/virtlogd.pid) -m -u -n -- corosync -f &
# 22. Start corosync on node node2
nsenter -t $(cat /var/lib/labctl/e2eha/nodes/node2/run/virtlogd.pid) -m -u -n -- sh -c 'cat > /etc/corosync/corosync.conf' <<'EOF'
# corosync.conf written by labctl for lab e2eha
totem {
    version: 2
    cluster_name: e2eha
    transport: knet
    # the lab network is one host's private bridge
    crypto_cipher: none
    crypto_hash: none
    # [cluster] token: a node silent for this long is lost; corosync adds
    # token_coefficient (650 ms) per node beyond two: 1650 ms with 3 nodes
    token: 1000
}
nodelist {
    node {
        name: node1
        nodeid: 1
        ring0_addr: 10.99.0.11
    }
    node {
        name: node2
        nodeid: 2
        ring0_addr: 10.99.0.12
    }
    node {
        name: node3
        nodeid: 3
        ring0_addr: 10.99.0.13
    }
}
quorum {
    # one vote per node: a partition needs a majority to run guests
    provider: corosync_votequorum
}
logging {
    to_logfile: yes
    logfile: /var/log/corosync/corosync.log
    to_stderr: no
    to_syslog: no
    # milliseconds: the failover experiment reads its phases here
    timestamp: hires
}
EOF
setsid nsenter -t $(cat /var/lib/labctl/e2eha/nodes/node2/run/virtlogd.pid) -m -u -n -- corosync -f &
# 23. Start corosync on node node3
nsenter -t $(cat /var/lib/labctl/e2eha/nodes/node3/run/virtlogd.pid) -m -u -n -- sh -c 'cat > /etc/corosync/corosync.conf' <<'EOF'
# corosync.conf written by labctl for lab e2eha
totem {
    version: 2
    cluster_name: e2eha
    transport: knet
    # the lab network is one host's private bridge
    crypto_cipher: none
    crypto_hash: none
    # [cluster] token: a node silent for this long is lost; corosync adds
    # token_coefficient (650 ms) per node beyond two: 1650 ms with 3 nodes
    token: 1000
}
nodelist {
    node {
        name: node1
        nodeid: 1
        ring0_addr: 10.99.0.11
    }
    node {
        name: node2
        nodeid: 2
        ring0_addr: 10.99.0.12
    }
    node {
        name: node3
        nodeid: 3
        ring0_addr: 10.99.0.13
    }
}
quorum {
    # one vote per node: a partition needs a majority to run guests
    provider: corosync_votequorum
}
logging {
    to_logfile: yes
    logfile: /var/log/corosync/corosync.log
    to_stderr: no
    to_syslog: no
    # milliseconds: the failover experiment reads its phases here
    timestamp: hires
}
EOF
setsid nsenter -t $(cat /var/lib/labctl/e2eha/nodes/node3/run/virtlogd.pid) -m -u -n -- corosync -f &
# 24. Wait until corosync has quorum with every node's vote
nsenter -t $(cat /var/lib/labctl/e2eha/nodes/node1/run/virtlogd.pid) -m -u -n -- corosync-quorumtool -s
# 25. Start pacemaker on node node1
setsid nsenter -t $(cat /var/lib/labctl/e2eha/nodes/node1/run/virtlogd.pid) -m -u -n -- env PCMK_logfile=/var/log/pacemaker/pacemaker.log pacemakerd &
# 26. Start pacemaker on node node2
setsid nsenter -t $(cat /var/lib/labctl/e2eha/nodes/node2/run/virtlogd.pid) -m -u -n -- env PCMK_logfile=/var/log/pacemaker/pacemaker.log pacemakerd &
# 27. Start pacemaker on node node3
setsid nsenter -t $(cat /var/lib/labctl/e2eha/nodes/node3/run/virtlogd.pid) -m -u -n -- env PCMK_logfile=/var/log/pacemaker/pacemaker.log pacemakerd &
# 28. Wait until every node is online in pacemaker
nsenter -t $(cat /var/lib/labctl/e2eha/nodes/node1/run/virtlogd.pid) -m -u -n -- crm_mon --one-shot
# 29. Configure the cluster: fencing on, stickiness, the fence device
nsenter -t $(cat /var/lib/labctl/e2eha/nodes/node1/run/virtlogd.pid) -m -u -n -- crm_attribute --type crm_config --name stonith-enabled --update true
nsenter -t $(cat /var/lib/labctl/e2eha/nodes/node1/run/virtlogd.pid) -m -u -n -- crm_attribute --type crm_config --name stonith-action --update off
nsenter -t $(cat /var/lib/labctl/e2eha/nodes/node1/run/virtlogd.pid) -m -u -n -- crm_attribute --type crm_config --name no-quorum-policy --update stop
nsenter -t $(cat /var/lib/labctl/e2eha/nodes/node1/run/virtlogd.pid) -m -u -n -- crm_attribute --type rsc_defaults --name resource-stickiness --update 100
nsenter -t $(cat /var/lib/labctl/e2eha/nodes/node1/run/virtlogd.pid) -m -u -n -- cibadmin --modify --allow-create --scope resources --xml-text '<primitive id='\''labctl-fence'\'' class='\''stonith'\'' type='\''fence_labctl'\''>
  <instance_attributes id='\''labctl-fence-params'\''>
    <nvpair id='\''labctl-fence-params-pcmk_host_list'\'' name='\''pcmk_host_list'\'' value='\''node1 node2 node3'\''/>
    <nvpair id='\''labctl-fence-params-pcmk_host_check'\'' name='\''pcmk_host_check'\'' value='\''static-list'\''/>
    <nvpair id='\''labctl-fence-params-netns_prefix'\'' name='\''netns_prefix'\'' value='\''labctl-e2eha-'\''/>
  </instance_attributes>
  <operations>
    <op id='\''labctl-fence-monitor-60s'\'' name='\''monitor'\'' interval='\''60s'\'' timeout='\''20s'\''/>
  </operations>
</primitive>
'
# 30. Find the place of guest tiny's disk on the shared LUN
pvs --devices "$PV" -o pv_name,pe_start,vg_extent_size --units b "$PV"
lvs --devices "$PV" --segments -o lv_name,seg_size,seg_pe_ranges --units b vg_iscsi/lv_tiny
# the guest's disk: the LUN from pe_start + first extent x extent size, seg_size bytes (a <slice> in its domain XML)
# 31. Define guest tiny
cat > tiny.xml <<'EOF'
<domain type='qemu'>
  <name>tiny</name>
  <uuid>d96a2775-ccfb-4718-869e-1d1cf165c525</uuid>
  <metadata>
    <labctl:lab xmlns:labctl='https://labctl.example/xmlns/1' name='e2eha' guest='tiny'/>
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
    <interface type='bridge'><source bridge='br0'/><mac address='52:54:00:0c:3b:74'/><model type='virtio'/></interface>
    <disk type='network' device='disk'>
      <driver name='qemu' type='raw' cache='none'/>
      <source protocol='iscsi' name='iqn.2026-01.labctl.lab:e2eha/1'>
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
virsh -c 'qemu+unix:///system?socket=/var/lib/labctl/e2eha/nodes/node1/run/libvirt-sock' define tiny.xml
# 32. Start guest tiny and wait until it answers ping
virsh -c 'qemu+unix:///system?socket=/var/lib/labctl/e2eha/nodes/node1/run/libvirt-sock' start tiny
until ping -c1 -W1 10.99.0.51; do sleep 0.5; done
# 33. Save the clean state of guest tiny (for reset)
virsh -c 'qemu+unix:///system?socket=/var/lib/labctl/e2eha/nodes/node1/run/libvirt-sock' save tiny /var/lib/labctl/e2eha/guests/tiny.clean --running
virsh -c 'qemu+unix:///system?socket=/var/lib/labctl/e2eha/nodes/node1/run/libvirt-sock' restore /var/lib/labctl/e2eha/guests/tiny.clean --running
# 34. Make guest tiny a cluster resource (VirtualDomain)
nsenter -t $(cat /var/lib/labctl/e2eha/nodes/node1/run/virtlogd.pid) -m -u -n -- sh -c 'cat > "$0"' /etc/libvirt/labctl-ha/tiny.xml < tiny.xml
nsenter -t $(cat /var/lib/labctl/e2eha/nodes/node2/run/virtlogd.pid) -m -u -n -- sh -c 'cat > "$0"' /etc/libvirt/labctl-ha/tiny.xml < tiny.xml
nsenter -t $(cat /var/lib/labctl/e2eha/nodes/node3/run/virtlogd.pid) -m -u -n -- sh -c 'cat > "$0"' /etc/libvirt/labctl-ha/tiny.xml < tiny.xml
nsenter -t $(cat /var/lib/labctl/e2eha/nodes/node1/run/virtlogd.pid) -m -u -n -- cibadmin --modify --allow-create --scope configuration --xml-text '<configuration>
  <resources>
    <primitive id='\''tiny'\'' class='\''ocf'\'' provider='\''heartbeat'\'' type='\''VirtualDomain'\''>
      <instance_attributes id='\''tiny-params'\''>
        <nvpair id='\''tiny-params-config'\'' name='\''config'\'' value='\''/etc/libvirt/labctl-ha/tiny.xml'\''/>
        <nvpair id='\''tiny-params-hypervisor'\'' name='\''hypervisor'\'' value='\''qemu:///system'\''/>
        <nvpair id='\''tiny-params-force_stop'\'' name='\''force_stop'\'' value='\''true'\''/>
      </instance_attributes>
      <meta_attributes id='\''tiny-meta'\''>
        <nvpair id='\''tiny-meta-allow-migrate'\'' name='\''allow-migrate'\'' value='\''false'\''/>
      </meta_attributes>
      <operations>
        <op id='\''tiny-start-0'\'' name='\''start'\'' interval='\''0'\'' timeout='\''90s'\''/>
        <op id='\''tiny-stop-0'\'' name='\''stop'\'' interval='\''0'\'' timeout='\''90s'\''/>
        <op id='\''tiny-monitor-5s'\'' name='\''monitor'\'' interval='\''5s'\'' timeout='\''30s'\''/>
      </operations>
    </primitive>
  </resources>
</configuration>
'
# 35. Check that every node and guest answers
labctl status
