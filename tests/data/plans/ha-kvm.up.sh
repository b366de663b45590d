# labctl up --recipe @DATADIR@/tests/data/ha-kvm.lab: lab kvmha, flavor kvm, 3 nodes, 1 guest
# The commands each step runs (as root), in order:
# 1. Check the host (CPU, memory, disk, tools)
labctl check --recipe @DATADIR@/tests/data/ha-kvm.lab
# 2. Create the lab network labctl-kvmha
cat > labctl-kvmha-net.xml <<'EOF'
<network>
  <name>labctl-kvmha</name>
  <metadata>
    <labctl:lab xmlns:labctl='https://labctl.example/xmlns/1' name='kvmha' recipe='RECIPE-SHA256'/>
  </metadata>
  <forward mode='nat'/>
  <bridge name='lab-kvmha' stp='on' delay='0'/>
  <ip address='192.168.152.1' netmask='255.255.255.0'>
    <dhcp>
      <range start='192.168.152.128' end='192.168.152.254'/>
      <host mac='52:54:00:a2:35:b4' name='node1' ip='192.168.152.11'/>
      <host mac='52:54:00:7b:94:f0' name='node2' ip='192.168.152.12'/>
      <host mac='52:54:00:40:28:c2' name='node3' ip='192.168.152.13'/>
      <host mac='52:54:00:0f:1a:3b' name='tiny' ip='192.168.152.51'/>
    </dhcp>
  </ip>
</network>
EOF
virsh -c qemu:///system net-define labctl-kvmha-net.xml
virsh -c qemu:///system net-start labctl-kvmha
virsh -c qemu:///system net-autostart labctl-kvmha
# 3. Create the sparse backing file
truncate -s 107374182400 /var/lib/labctl/kvmha/kvmha.img
setfattr -n user.labctl.lab -v kvmha /var/lib/labctl/kvmha/kvmha.img
# 4. Run the iSCSI target daemon (tgtd)
# only when no tgtd answers on control port 0 (the tgt service):
tgtd -f -C 0 --iscsi portal=192.168.152.1:3260
# 5. Create the iSCSI target
# tid: the first free one (1 on an empty tgtd)
tgtadm --lld iscsi --op new --mode target --tid 1 -T iqn.2026-01.labctl.lab:kvmha
# 6. Add LUN 1 on the backing file
tgtadm --lld iscsi --op new --mode logicalunit --tid 1 --lun 1 -b /var/lib/labctl/kvmha/kvmha.img --bstype rdwr
# 7. Admit only the lab's own initiators to the target
tgtadm --lld iscsi --op bind --mode target --tid 1 --initiator-name iqn.2026-01.labctl.lab:kvmha:node1
tgtadm --lld iscsi --op bind --mode target --tid 1 --initiator-name iqn.2026-01.labctl.lab:kvmha:node2
tgtadm --lld iscsi --op bind --mode target --tid 1 --initiator-name iqn.2026-01.labctl.lab:kvmha:node3
tgtadm --lld iscsi --op bind --mode target --tid 1 --initiator-name iqn.2026-01.labctl.lab:kvmha:host.labctl
# 8. Attach the iSCSI disk on this host
iscsiadm -m iface -I labctl-b995888ee555 -o new
iscsiadm -m iface -I labctl-b995888ee555 -o update -n iface.initiatorname -v iqn.2026-01.labctl.lab:kvmha:host.labctl
iscsiadm -m discovery -t sendtargets -p 192.168.152.1:3260 -I labctl-b995888ee555
iscsiadm -m node -T iqn.2026-01.labctl.lab:kvmha -p 192.168.152.1:3260 --login
# then wait (up to 30 s) for /dev/disk/by-path/ip-192.168.152.1:3260-iscsi-iqn.2026-01.labctl.lab:kvmha-lun-1
# without a kernel iSCSI initiator: qemu-storage-daemon FUSE export + losetup instead
# 9. Make the iSCSI disk an LVM physical volume
# refused if the disk carries any signature (blkid -p) that is not this lab's
blkid -p -o export /dev/disk/by-path/ip-192.168.152.1:3260-iscsi-iqn.2026-01.labctl.lab:kvmha-lun-1
pvcreate --devices /dev/disk/by-path/ip-192.168.152.1:3260-iscsi-iqn.2026-01.labctl.lab:kvmha-lun-1 /dev/disk/by-path/ip-192.168.152.1:3260-iscsi-iqn.2026-01.labctl.lab:kvmha-lun-1
# 10. Create the volume group
vgcreate --devices /dev/disk/by-path/ip-192.168.152.1:3260-iscsi-iqn.2026-01.labctl.lab:kvmha-lun-1 --addtag labctl:kvmha vg_iscsi /dev/disk/by-path/ip-192.168.152.1:3260-iscsi-iqn.2026-01.labctl.lab:kvmha-lun-1
pvchange --devices /dev/disk/by-path/ip-192.168.152.1:3260-iscsi-iqn.2026-01.labctl.lab:kvmha-lun-1 --addtag labctl:kvmha /dev/disk/by-path/ip-192.168.152.1:3260-iscsi-iqn.2026-01.labctl.lab:kvmha-lun-1
# 11. Create the logical volume lv_node1
lvcreate --devices /dev/disk/by-path/ip-192.168.152.1:3260-iscsi-iqn.2026-01.labctl.lab:kvmha-lun-1 -y -L 10737418240b -n lv_node1 --addtag labctl:kvmha vg_iscsi
# 12. Create the logical volume lv_node2
lvcreate --devices /dev/disk/by-path/ip-192.168.152.1:3260-iscsi-iqn.2026-01.labctl.lab:kvmha-lun-1 -y -L 10737418240b -n lv_node2 --addtag labctl:kvmha vg_iscsi
# 13. Create the logical volume lv_node3
lvcreate --devices /dev/disk/by-path/ip-192.168.152.1:3260-iscsi-iqn.2026-01.labctl.lab:kvmha-lun-1 -y -L 10737418240b -n lv_node3 --addtag labctl:kvmha vg_iscsi
# 14. Create the logical volume lv_tiny
lvcreate --devices /dev/disk/by-path/ip-192.168.152.1:3260-iscsi-iqn.2026-01.labctl.lab:kvmha-lun-1 -y -L 16777216b -n lv_tiny --addtag labctl:kvmha vg_iscsi
# 15. Build or reuse the node image
# only when /var/cache/labctl/node-images/kvm-6ccbaf1cf6651746 is not complete (root.img, vmlinuz, initrd.img):
mmdebstrap --variant=apt --format=directory --include=linux-image-amd64,systemd-sysv,udev,dbus,libpam-systemd,kmod,procps,iproute2,iputils-ping,openssh-server,qemu-system-x86,qemu-utils,qemu-block-extra,libvirt-daemon-system,libvirt-clients,libvirt-daemon-driver-lxc,open-iscsi,lvm2,corosync,pacemaker,pacemaker-cli-utils,crmsh,resource-agents,fence-agents,fence-virt '--dpkgopt=path-exclude=/usr/share/doc/*' '--dpkgopt=path-exclude=/usr/share/man/*' '--dpkgopt=path-exclude=/usr/share/info/*' '--dpkgopt=path-exclude=/usr/share/locale/*' '--customize-hook=chroot "$1" systemctl enable systemd-networkd.service' '--customize-hook=chroot "$1" systemctl mask systemd-networkd-wait-online.service apt-daily.timer apt-daily-upgrade.timer e2scrub_all.timer fstrim.timer man-db.timer' '--customize-hook=chroot "$1" systemctl disable corosync.service pacemaker.service' bookworm /var/cache/labctl/node-images/kvm-6ccbaf1cf6651746/root http://deb.debian.org/debian
# labctl writes into /var/cache/labctl/node-images/kvm-6ccbaf1cf6651746/root: /etc/fstab /etc/systemd/network/10-br0.netdev /etc/systemd/network/11-eth0.network /etc/ssh/sshd_config.d/labctl.conf /etc/libvirt/libvirtd.conf /etc/libvirt/qemu.conf /etc/lvm/lvm.conf /etc/ssh/ssh_config.d/labctl.conf; removes the SSH host keys and the machine id (each node gets its own)
cp /var/cache/labctl/node-images/kvm-6ccbaf1cf6651746/root/boot/vmlinuz-* /var/cache/labctl/node-images/kvm-6ccbaf1cf6651746/vmlinuz; cp /var/cache/labctl/node-images/kvm-6ccbaf1cf6651746/root/boot/initrd.img-* /var/cache/labctl/node-images/kvm-6ccbaf1cf6651746/initrd.img
mke2fs -q -F -t ext4 -L labctl-node -d /var/cache/labctl/node-images/kvm-6ccbaf1cf6651746/root /var/cache/labctl/node-images/kvm-6ccbaf1cf6651746/root.img 4194304k
rm -rf /var/cache/labctl/node-images/kvm-6ccbaf1cf6651746/root
# 16. Generate the SSH keys of the lab and its nodes
install -d -m 0700 /var/lib/labctl/kvmha/ssh
ssh-keygen -q -t ed25519 -N '' -C labctl-kvmha -f /var/lib/labctl/kvmha/ssh/id_ed25519
ssh-keygen -q -t ed25519 -N '' -C labctl-kvmha -f /var/lib/labctl/kvmha/ssh/peer_ed25519
ssh-keygen -q -t ed25519 -N '' -C labctl-kvmha -f /var/lib/labctl/kvmha/ssh/host-node1
ssh-keygen -q -t ed25519 -N '' -C labctl-kvmha -f /var/lib/labctl/kvmha/ssh/host-node2
ssh-keygen -q -t ed25519 -N '' -C labctl-kvmha -f /var/lib/labctl/kvmha/ssh/host-node3
# /var/lib/labctl/kvmha/ssh/known_hosts: "<node address> <its host-<node>.pub>" per node (pinned)
cat > /var/lib/labctl/kvmha/ssh/config <<'EOF'
Host node1
  HostName 192.168.152.11
Host node2
  HostName 192.168.152.12
Host node3
  HostName 192.168.152.13
Host *
  User root
  IdentityFile /var/lib/labctl/kvmha/ssh/id_ed25519
  IdentitiesOnly yes
  UserKnownHostsFile /var/lib/labctl/kvmha/ssh/known_hosts
  GlobalKnownHostsFile /dev/null
  StrictHostKeyChecking yes
  BatchMode yes
  ConnectTimeout 10
  ControlMaster auto
  ControlPath /var/lib/labctl/kvmha/ssh/mux-%n
  ControlPersist 120
  ServerAliveInterval 10
  ServerAliveCountMax 6
  LogLevel ERROR
EOF
# 17. Write the node image and identity into node node1's disk
# labctl writes to the LV's extents on the LUN device (pe_start + first extent, from pvs/lvs): the same bytes as the LV, with or without device-mapper
qemu-img convert -n --target-is-zero -t none -f raw -O raw /var/cache/labctl/node-images/kvm-6ccbaf1cf6651746/root.img /dev/vg_iscsi/lv_node1
# node1-identity.debugfs: rm, write, set_inode_field for /etc/hostname (node1), /etc/machine-id, /etc/hosts (every node), /etc/systemd/network/20-br0.network (192.168.152.11/24), /etc/iscsi/initiatorname.iscsi (iqn.2026-01.labctl.lab:kvmha:node1), the node's SSH host key, /etc/ssh/ssh_known_hosts, /root/.ssh (labctl's and the nodes' keys)
# node1-identity.debugfs also writes each guest's kernel and initrd to /var/lib/labctl/guests/<guest>/kernel, initrd (the node's libvirt boots them)
debugfs -D -w -f node1-identity.debugfs /dev/vg_iscsi/lv_node1
# 18. Write the node image and identity into node node2's disk
# labctl writes to the LV's extents on the LUN device (pe_start + first extent, from pvs/lvs): the same bytes as the LV, with or without device-mapper
qemu-img convert -n --target-is-zero -t none -f raw -O raw /var/cache/labctl/node-images/kvm-6ccbaf1cf6651746/root.img /dev/vg_iscsi/lv_node2
# node2-identity.debugfs: rm, write, set_inode_field for /etc/hostname (node2), /etc/machine-id, /etc/hosts (every node), /etc/systemd/network/20-br0.network (192.168.152.12/24), /etc/iscsi/initiatorname.iscsi (iqn.2026-01.labctl.lab:kvmha:node2), the node's SSH host key, /etc/ssh/ssh_known_hosts, /root/.ssh (labctl's and the nodes' keys)
# node2-identity.debugfs also writes each guest's kernel and initrd to /var/lib/labctl/guests/<guest>/kernel, initrd (the node's libvirt boots them)
debugfs -D -w -f node2-identity.debugfs /dev/vg_iscsi/lv_node2
# 19. Write the node image and identity into node node3's disk
# labctl writes to the LV's extents on the LUN device (pe_start + first extent, from pvs/lvs): the same bytes as the LV, with or without device-mapper
qemu-img convert -n --target-is-zero -t none -f raw -O raw /var/cache/labctl/node-images/kvm-6ccbaf1cf6651746/root.img /dev/vg_iscsi/lv_node3
# node3-identity.debugfs: rm, write, set_inode_field for /etc/hostname (node3), /etc/machine-id, /etc/hosts (every node), /etc/systemd/network/20-br0.network (192.168.152.13/24), /etc/iscsi/initiatorname.iscsi (iqn.2026-01.labctl.lab:kvmha:node3), the node's SSH host key, /etc/ssh/ssh_known_hosts, /root/.ssh (labctl's and the nodes' keys)
# node3-identity.debugfs also writes each guest's kernel and initrd to /var/lib/labctl/guests/<guest>/kernel, initrd (the node's libvirt boots them)
debugfs -D -w -f node3-identity.debugfs /dev/vg_iscsi/lv_node3
# 20. Define node node1
OSINFO_USER_DIR=@DATADIR@/iso-cache/osinfo virt-install --connect=qemu:///system --name=node1 --virt-type=kvm --arch=x86_64 --machine=q35 --vcpus=2 --cpu=host-passthrough,cache.mode=passthrough --memory=2048 --osinfo=id=http://debian.org/debian/12 --disk=path=/dev/vg_iscsi/lv_node1,format=raw,bus=virtio,cache=none,io=native,discard=unmap --import '--boot=kernel=/var/cache/labctl/node-images/kvm-6ccbaf1cf6651746/vmlinuz,initrd=/var/cache/labctl/node-images/kvm-6ccbaf1cf6651746/initrd.img,kernel_args=root=/dev/vda rw console=ttyS0 net.ifnames=0 apparmor=0 quiet' --network=network=labctl-kvmha,mac=52:54:00:a2:35:b4,model=virtio --graphics=none --serial=pty,log.file=/var/lib/labctl/kvmha/nodes/node1/console.log,log.append=on --rng=/dev/urandom --print-xml > node1.xml
virsh -c qemu:///system define node1.xml
virsh -c qemu:///system metadata node1 https://labctl.example/xmlns/1 --key labctl --config --set '<lab name='\''kvmha'\'' node='\''node1'\'' recipe='\''RECIPE-SHA256'\''/>'
# 21. Define node node2
OSINFO_USER_DIR=@DATADIR@/iso-cache/osinfo virt-install --connect=qemu:///system --name=node2 --virt-type=kvm --arch=x86_64 --machine=q35 --vcpus=2 --cpu=host-passthrough,cache.mode=passthrough --memory=2048 --osinfo=id=http://debian.org/debian/12 --disk=path=/dev/vg_iscsi/lv_node2,format=raw,bus=virtio,cache=none,io=native,discard=unmap --import '--boot=kernel=/var/cache/labctl/node-images/kvm-6ccbaf1cf6651746/vmlinuz,initrd=/var/cache/labctl/node-images/kvm-6ccbaf1cf6651746/initrd.img,kernel_args=root=/dev/vda rw console=ttyS0 net.ifnames=0 apparmor=0 quiet' --network=network=labctl-kvmha,mac=52:54:00:7b:94:f0,model=virtio --graphics=none --serial=pty,log.file=/var/lib/labctl/kvmha/nodes/node2/console.log,log.append=on --rng=/dev/urandom --print-xml > node2.xml
virsh -c qemu:///system define node2.xml
virsh -c qemu:///system metadata node2 https://labctl.example/xmlns/1 --key labctl --config --set '<lab name='\''kvmha'\'' node='\''node2'\'' recipe='\''RECIPE-SHA256'\''/>'
# 22. Define node node3
OSINFO_USER_DIR=@DATADIR@/iso-cache/osinfo virt-install --connect=qemu:///system --name=node3 --virt-type=kvm --arch=x86_64 --machine=q35 --vcpus=2 --cpu=host-passthrough,cache.mode=passthrough --memory=2048 --osinfo=id=http://debian.org/debian/12 --disk=path=/dev/vg_iscsi/lv_node3,format=raw,bus=virtio,cache=none,io=native,discard=unmap --import '--boot=kernel=/var/cache/labctl/node-images/kvm-6ccbaf1cf6651746/vmlinuz,initrd=/var/cache/labctl/node-images/kvm-6ccbaf1cf6651746/initrd.img,kernel_args=root=/dev/vda rw console=ttyS0 net.ifnames=0 apparmor=0 quiet' --network=network=labctl-kvmha,mac=52:54:00:40:28:c2,model=virtio --graphics=none --serial=pty,log.file=/var/lib/labctl/kvmha/nodes/node3/console.log,log.append=on --rng=/dev/urandom --print-xml > node3.xml
virsh -c qemu:///system define node3.xml
virsh -c qemu:///system metadata node3 https://labctl.example/xmlns/1 --key labctl --config --set '<lab name='\''kvmha'\'' node='\''node3'\'' recipe='\''RECIPE-SHA256'\''/>'
# 23. Start the nodes
virsh -c qemu:///system start node1
virsh -c qemu:///system start node2
virsh -c qemu:///system start node3
# 24. Wait until node node1 answers ssh
# every 2 s until it answers (at most 600 s; the boot: /var/lib/labctl/kvmha/nodes/node1/console.log)
ssh -F /var/lib/labctl/kvmha/ssh/config -T node1 -- cat /proc/sys/kernel/random/boot_id
# 25. Wait until node node2 answers ssh
# every 2 s until it answers (at most 600 s; the boot: /var/lib/labctl/kvmha/nodes/node2/console.log)
ssh -F /var/lib/labctl/kvmha/ssh/config -T node2 -- cat /proc/sys/kernel/random/boot_id
# 26. Wait until node node3 answers ssh
# every 2 s until it answers (at most 600 s; the boot: /var/lib/labctl/kvmha/nodes/node3/console.log)
ssh -F /var/lib/labctl/kvmha/ssh/config -T node3 -- cat /proc/sys/kernel/random/boot_id
# 27. Configure node node1: iSCSI login, shared VG, libvirt
ssh -F /var/lib/labctl/kvmha/ssh/config -T node1 -- iscsiadm -m discovery -t sendtargets -p 192.168.152.1:3260
ssh -F /var/lib/labctl/kvmha/ssh/config -T node1 -- iscsiadm -m node -T iqn.2026-01.labctl.lab:kvmha -p 192.168.152.1:3260 --op update -n node.startup -v automatic
ssh -F /var/lib/labctl/kvmha/ssh/config -T node1 -- iscsiadm -m node -T iqn.2026-01.labctl.lab:kvmha -p 192.168.152.1:3260 --login
ssh -F /var/lib/labctl/kvmha/ssh/config -T node1 -- sh -c 'for i in $(seq 60); do test -b /dev/disk/by-path/ip-192.168.152.1:3260-iscsi-iqn.2026-01.labctl.lab:kvmha-lun-1 && exit 0; sleep 0.5; done; exit 1'
ssh -F /var/lib/labctl/kvmha/ssh/config -T node1 -- vgs --noheadings -o vg_name vg_iscsi
ssh -F /var/lib/labctl/kvmha/ssh/config -T node1 -- systemctl start libvirtd.service
ssh -F /var/lib/labctl/kvmha/ssh/config -T node1 -- virsh -c qemu:///system version
# 28. Configure node node2: iSCSI login, shared VG, libvirt
ssh -F /var/lib/labctl/kvmha/ssh/config -T node2 -- iscsiadm -m discovery -t sendtargets -p 192.168.152.1:3260
ssh -F /var/lib/labctl/kvmha/ssh/config -T node2 -- iscsiadm -m node -T iqn.2026-01.labctl.lab:kvmha -p 192.168.152.1:3260 --op update -n node.startup -v automatic
ssh -F /var/lib/labctl/kvmha/ssh/config -T node2 -- iscsiadm -m node -T iqn.2026-01.labctl.lab:kvmha -p 192.168.152.1:3260 --login
ssh -F /var/lib/labctl/kvmha/ssh/config -T node2 -- sh -c 'for i in $(seq 60); do test -b /dev/disk/by-path/ip-192.168.152.1:3260-iscsi-iqn.2026-01.labctl.lab:kvmha-lun-1 && exit 0; sleep 0.5; done; exit 1'
ssh -F /var/lib/labctl/kvmha/ssh/config -T node2 -- vgs --noheadings -o vg_name vg_iscsi
ssh -F /var/lib/labctl/kvmha/ssh/config -T node2 -- systemctl start libvirtd.service
ssh -F /var/lib/labctl/kvmha/ssh/config -T node2 -- virsh -c qemu:///system version
# 29. Configure node node3: iSCSI login, shared VG, libvirt
ssh -F /var/lib/labctl/kvmha/ssh/config -T node3 -- iscsiadm -m discovery -t sendtargets -p 192.168.152.1:3260
ssh -F /var/lib/labctl/kvmha/ssh/config -T node3 -- iscsiadm -m node -T iqn.2026-01.labctl.lab:kvmha -p 192.168.152.1:3260 --op update -n node.startup -v automatic
ssh -F /var/lib/labctl/kvmha/ssh/config -T node3 -- iscsiadm -m node -T iqn.2026-01.labctl.lab:kvmha -p 192.168.152.1:3260 --login
ssh -F /var/lib/labctl/kvmha/ssh/config -T node3 -- sh -c 'for i in $(seq 60); do test -b /dev/disk/by-path/ip-192.168.152.1:3260-iscsi-iqn.2026-01.labctl.lab:kvmha-lun-1 && exit 0; sleep 0.5; done; exit 1'
ssh -F /var/lib/labctl/kvmha/ssh/config -T node3 -- vgs --noheadings -o vg_name vg_iscsi
ssh -F /var/lib/labctl/kvmha/ssh/config -T node3 -- systemctl start libvirtd.service
ssh -F /var/lib/labctl/kvmha/ssh/config -T node3 -- virsh -c qemu:///system version
# 30. Start fence_virtd: the host's libvirt as the nodes' power switch
(umask 077 && od -An -vtx1 -N512 /dev/urandom | tr -d ' \n' > /var/lib/labctl/kvmha/fence_xvm.key)
(umask 077 && cat > /var/lib/labctl/kvmha/fence_virtd.conf) <<'EOF'
# fence_virt.conf written by labctl for lab kvmha (fence_virt.conf(5))
fence_virtd {
	listener = "multicast";
	backend = "libvirt";
	foreground = "yes";
	wait_for_init = "yes";
}

listeners {
	multicast {
		key_file = "/var/lib/labctl/kvmha/fence_xvm.key";
		# the lab network only: the bridge of its gateway address 192.168.152.1
		interface = "lab-kvmha";
		address = "225.0.0.12";
		port = "1229";
		family = "ipv4";
		hash = "sha256";
		auth = "sha256";
	}
}

backends {
	libvirt {
		uri = "qemu:///system";
	}
}

# only the lab's nodes may fence, and only the lab's node domains
groups {
	group {
		name = "kvmha";
		ip = "192.168.152.11";
		ip = "192.168.152.12";
		ip = "192.168.152.13";
		uuid = "node1";
		uuid = "node2";
		uuid = "node3";
	}
}
EOF
setsid stdbuf -oL fence_virtd -F -w -d2 -f /var/lib/labctl/kvmha/fence_virtd.conf &
# 31. Copy the lab's fence key to node node1
ssh -F /var/lib/labctl/kvmha/ssh/config -T node1 -- sh -c 'umask 077 && mkdir -p /etc/cluster && cat > /etc/cluster/fence_xvm.key' < /var/lib/labctl/kvmha/fence_xvm.key
# 32. Copy the lab's fence key to node node2
ssh -F /var/lib/labctl/kvmha/ssh/config -T node2 -- sh -c 'umask 077 && mkdir -p /etc/cluster && cat > /etc/cluster/fence_xvm.key' < /var/lib/labctl/kvmha/fence_xvm.key
# 33. Copy the lab's fence key to node node3
ssh -F /var/lib/labctl/kvmha/ssh/config -T node3 -- sh -c 'umask 077 && mkdir -p /etc/cluster && cat > /etc/cluster/fence_xvm.key' < /var/lib/labctl/kvmha/fence_xvm.key
# 34. Start corosync on node node1
ssh -F /var/lib/labctl/kvmha/ssh/config -T node1 -- sh -c 'cat > /etc/corosync/corosync.conf' <<'EOF'
# corosync.conf written by labctl for lab kvmha
totem {
    version: 2
    cluster_name: kvmha
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
        ring0_addr: 192.168.152.11
    }
    node {
        name: node2
        nodeid: 2
        ring0_addr: 192.168.152.12
    }
    node {
        name: node3
        nodeid: 3
        ring0_addr: 192.168.152.13
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
ssh -F /var/lib/labctl/kvmha/ssh/config -T node1 -- systemctl restart corosync.service
# 35. Start corosync on node node2
ssh -F /var/lib/labctl/kvmha/ssh/config -T node2 -- sh -c 'cat > /etc/corosync/corosync.conf' <<'EOF'
# corosync.conf written by labctl for lab kvmha
totem {
    version: 2
    cluster_name: kvmha
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
        ring0_addr: 192.168.152.11
    }
    node {
        name: node2
        nodeid: 2
        ring0_addr: 192.168.152.12
    }
    node {
        name: node3
        nodeid: 3
        ring0_addr: 192.168.152.13
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
ssh -F /var/lib/labctl/kvmha/ssh/config -T node2 -- systemctl restart corosync.service
# 36. Start corosync on node node3
ssh -F /var/lib/labctl/kvmha/ssh/config -T node3 -- sh -c 'cat > /etc/corosync/corosync.conf' <<'EOF'
# corosync.conf written by labctl for lab kvmha
totem {
    version: 2
    cluster_name: kvmha
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
        ring0_addr: 192.168.152.11
    }
    node {
        name: node2
        nodeid: 2
        ring0_addr: 192.168.152.12
    }
    node {
        name: node3
        nodeid: 3
        ring0_addr: 192.168.152.13
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
ssh -F /var/lib/labctl/kvmha/ssh/config -T node3 -- systemctl restart corosync.service
# 37. Wait until corosync has quorum with every node's vote
ssh -F /var/lib/labctl/kvmha/ssh/config -T node1 -- corosync-quorumtool -s
# 38. Start pacemaker on node node1
ssh -F /var/lib/labctl/kvmha/ssh/config -T node1 -- systemctl restart pacemaker.service
# 39. Start pacemaker on node node2
ssh -F /var/lib/labctl/kvmha/ssh/config -T node2 -- systemctl restart pacemaker.service
# 40. Start pacemaker on node node3
ssh -F /var/lib/labctl/kvmha/ssh/config -T node3 -- systemctl restart pacemaker.service
# 41. Wait until every node is online in pacemaker
ssh -F /var/lib/labctl/kvmha/ssh/config -T node1 -- crm_mon --one-shot
# 42. Configure the cluster: fencing on, stickiness, the fence device
ssh -F /var/lib/labctl/kvmha/ssh/config -T node1 -- crm_attribute --type crm_config --name stonith-enabled --update true
ssh -F /var/lib/labctl/kvmha/ssh/config -T node1 -- crm_attribute --type crm_config --name stonith-action --update off
ssh -F /var/lib/labctl/kvmha/ssh/config -T node1 -- crm_attribute --type crm_config --name no-quorum-policy --update stop
ssh -F /var/lib/labctl/kvmha/ssh/config -T node1 -- crm_attribute --type rsc_defaults --name resource-stickiness --update 100
ssh -F /var/lib/labctl/kvmha/ssh/config -T node1 -- cibadmin --modify --allow-create --scope resources --xml-text '<primitive id='\''labctl-fence'\'' class='\''stonith'\'' type='\''fence_xvm'\''>
  <instance_attributes id='\''labctl-fence-params'\''>
    <nvpair id='\''labctl-fence-params-pcmk_host_list'\'' name='\''pcmk_host_list'\'' value='\''node1 node2 node3'\''/>
    <nvpair id='\''labctl-fence-params-pcmk_host_check'\'' name='\''pcmk_host_check'\'' value='\''static-list'\''/>
    <nvpair id='\''labctl-fence-params-key_file'\'' name='\''key_file'\'' value='\''/etc/cluster/fence_xvm.key'\''/>
    <nvpair id='\''labctl-fence-params-multicast_address'\'' name='\''multicast_address'\'' value='\''225.0.0.12'\''/>
    <nvpair id='\''labctl-fence-params-ipport'\'' name='\''ipport'\'' value='\''1229'\''/>
    <nvpair id='\''labctl-fence-params-pcmk_host_map'\'' name='\''pcmk_host_map'\'' value='\''node1:node1;node2:node2;node3:node3'\''/>
  </instance_attributes>
  <operations>
    <op id='\''labctl-fence-monitor-60s'\'' name='\''monitor'\'' interval='\''60s'\'' timeout='\''20s'\''/>
  </operations>
</primitive>
'
# 43. Define guest tiny
cat > tiny.xml <<'EOF'
<domain type='qemu'>
  <name>tiny</name>
  <uuid>bdf7eeaa-9683-459c-82cb-5f85c21fee28</uuid>
  <metadata>
    <labctl:lab xmlns:labctl='https://labctl.example/xmlns/1' name='kvmha' guest='tiny'/>
  </metadata>
  <memory unit='MiB'>96</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64' machine='pc'>hvm</type>
    <kernel>/var/lib/labctl/guests/tiny/kernel</kernel>
    <initrd>/var/lib/labctl/guests/tiny/initrd</initrd>
    <cmdline>console=ttyS0 quiet guestip=192.168.152.51/24</cmdline>
  </os>
  <features><acpi/></features>
  <cpu mode='custom' match='exact'><model fallback='forbid'>qemu64</model></cpu>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>restart</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
    <interface type='bridge'><source bridge='br0'/><mac address='52:54:00:0f:1a:3b'/><model type='virtio'/></interface>
    <disk type='block' device='disk'>
      <driver name='qemu' type='raw' cache='none' io='native'/>
      <source dev='/dev/vg_iscsi/lv_tiny'/>
      <target dev='vda' bus='virtio'/>
    </disk>
    <serial type='pty'>
      <log file='/var/log/libvirt/qemu/tiny-console.log' append='on'/>
    </serial>
    <console type='pty'/>
    <controller type='usb' model='none'/>
    <memballoon model='none'/>
  </devices>
</domain>
EOF
virsh -c 'qemu+libssh://root@192.168.152.11/system?keyfile=/var/lib/labctl/kvmha/ssh/id_ed25519&known_hosts=/var/lib/labctl/kvmha/ssh/known_hosts&known_hosts_verify=normal&sshauth=privkey' define tiny.xml
# 44. Start guest tiny and wait until it answers ping
virsh -c 'qemu+libssh://root@192.168.152.11/system?keyfile=/var/lib/labctl/kvmha/ssh/id_ed25519&known_hosts=/var/lib/labctl/kvmha/ssh/known_hosts&known_hosts_verify=normal&sshauth=privkey' start tiny
until ping -c1 -W1 192.168.152.51; do sleep 0.5; done
# 45. Make guest tiny a cluster resource (VirtualDomain)
ssh -F /var/lib/labctl/kvmha/ssh/config -T node1 -- sh -c 'cat > "$0"' /etc/libvirt/labctl-ha/tiny.xml < tiny.xml
ssh -F /var/lib/labctl/kvmha/ssh/config -T node1 -- install -D -m 0755 /dev/stdin /usr/lib/ocf/resource.d/labctl/lv < lv.ocf
ssh -F /var/lib/labctl/kvmha/ssh/config -T node2 -- sh -c 'cat > "$0"' /etc/libvirt/labctl-ha/tiny.xml < tiny.xml
ssh -F /var/lib/labctl/kvmha/ssh/config -T node2 -- install -D -m 0755 /dev/stdin /usr/lib/ocf/resource.d/labctl/lv < lv.ocf
ssh -F /var/lib/labctl/kvmha/ssh/config -T node3 -- sh -c 'cat > "$0"' /etc/libvirt/labctl-ha/tiny.xml < tiny.xml
ssh -F /var/lib/labctl/kvmha/ssh/config -T node3 -- install -D -m 0755 /dev/stdin /usr/lib/ocf/resource.d/labctl/lv < lv.ocf
ssh -F /var/lib/labctl/kvmha/ssh/config -T node1 -- cibadmin --modify --allow-create --scope configuration --xml-text '<configuration>
  <resources>
    <primitive id='\''tiny-disk'\'' class='\''ocf'\'' provider='\''labctl'\'' type='\''lv'\''>
      <instance_attributes id='\''tiny-disk-params'\''>
        <nvpair id='\''tiny-disk-params-volume'\'' name='\''volume'\'' value='\''vg_iscsi/lv_tiny'\''/>
      </instance_attributes>
      <operations>
        <op id='\''tiny-disk-start-0'\'' name='\''start'\'' interval='\''0'\'' timeout='\''60s'\''/>
        <op id='\''tiny-disk-stop-0'\'' name='\''stop'\'' interval='\''0'\'' timeout='\''60s'\''/>
        <op id='\''tiny-disk-monitor-10s'\'' name='\''monitor'\'' interval='\''10s'\'' timeout='\''30s'\''/>
      </operations>
    </primitive>
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
  <constraints>
    <rsc_order id='\''tiny-disk-first'\'' first='\''tiny-disk'\'' then='\''tiny'\'' kind='\''Mandatory'\''/>
    <rsc_colocation id='\''tiny-with-disk'\'' rsc='\''tiny-disk'\'' with-rsc='\''tiny'\'' score='\''INFINITY'\''/>
  </constraints>
</configuration>
'
# 46. Check that every node and guest answers
labctl status
