# labctl up --recipe @DATADIR@/recipes/kvm-3node.lab: lab kvm, flavor kvm, 3 nodes, 0 guests
# The commands each step runs (as root), in order:
# 1. Check the host (CPU, memory, disk, tools)
labctl check --recipe @DATADIR@/recipes/kvm-3node.lab
# 2. Create the lab network labctl-kvm
cat > labctl-kvm-net.xml <<'EOF'
<network>
  <name>labctl-kvm</name>
  <metadata>
    <labctl:lab xmlns:labctl='https://labctl.example/xmlns/1' name='kvm' recipe='RECIPE-SHA256'/>
  </metadata>
  <forward mode='nat'/>
  <bridge name='lab-kvm' stp='on' delay='0'/>
  <ip address='192.168.151.1' netmask='255.255.255.0'>
    <dhcp>
      <range start='192.168.151.128' end='192.168.151.254'/>
      <host mac='52:54:00:1f:72:43' name='node1' ip='192.168.151.11'/>
      <host mac='52:54:00:8c:26:57' name='node2' ip='192.168.151.12'/>
      <host mac='52:54:00:7e:14:09' name='node3' ip='192.168.151.13'/>
    </dhcp>
  </ip>
</network>
EOF
virsh -c qemu:///system net-define labctl-kvm-net.xml
virsh -c qemu:///system net-start labctl-kvm
virsh -c qemu:///system net-autostart labctl-kvm
# 3. Create the sparse backing file
truncate -s 107374182400 /var/lib/labctl/kvm/kvm.img
setfattr -n user.labctl.lab -v kvm /var/lib/labctl/kvm/kvm.img
# 4. Run the iSCSI target daemon (tgtd)
# only when no tgtd answers on control port 0 (the tgt service):
tgtd -f -C 0 --iscsi portal=192.168.151.1:3260
# 5. Create the iSCSI target
# tid: the first free one (1 on an empty tgtd)
tgtadm --lld iscsi --op new --mode target --tid 1 -T iqn.2026-01.labctl.lab:kvm
# 6. Add LUN 1 on the backing file
tgtadm --lld iscsi --op new --mode logicalunit --tid 1 --lun 1 -b /var/lib/labctl/kvm/kvm.img --bstype rdwr
# 7. Admit only the lab's own initiators to the target
tgtadm --lld iscsi --op bind --mode target --tid 1 --initiator-name iqn.2026-01.labctl.lab:kvm:node1
tgtadm --lld iscsi --op bind --mode target --tid 1 --initiator-name iqn.2026-01.labctl.lab:kvm:node2
tgtadm --lld iscsi --op bind --mode target --tid 1 --initiator-name iqn.2026-01.labctl.lab:kvm:node3
tgtadm --lld iscsi --op bind --mode target --tid 1 --initiator-name iqn.2026-01.labctl.lab:kvm:host.labctl
# 8. Attach the iSCSI disk on this host
iscsiadm -m iface -I labctl-d6a9e8297b9b -o new
iscsiadm -m iface -I labctl-d6a9e8297b9b -o update -n iface.initiatorname -v iqn.2026-01.labctl.lab:kvm:host.labctl
iscsiadm -m discovery -t sendtargets -p 192.168.151.1:3260 -I labctl-d6a9e8297b9b
iscsiadm -m node -T iqn.2026-01.labctl.lab:kvm -p 192.168.151.1:3260 --login
# then wait (up to 30 s) for /dev/disk/by-path/ip-192.168.151.1:3260-iscsi-iqn.2026-01.labctl.lab:kvm-lun-1
# without a kernel iSCSI initiator: qemu-storage-daemon FUSE export + losetup instead
# 9. Make the iSCSI disk an LVM physical volume
# refused if the disk carries any signature (blkid -p) that is not this lab's
blkid -p -o export /dev/disk/by-path/ip-192.168.151.1:3260-iscsi-iqn.2026-01.labctl.lab:kvm-lun-1
pvcreate --devices /dev/disk/by-path/ip-192.168.151.1:3260-iscsi-iqn.2026-01.labctl.lab:kvm-lun-1 /dev/disk/by-path/ip-192.168.151.1:3260-iscsi-iqn.2026-01.labctl.lab:kvm-lun-1
# 10. Create the volume group
vgcreate --devices /dev/disk/by-path/ip-192.168.151.1:3260-iscsi-iqn.2026-01.labctl.lab:kvm-lun-1 --addtag labctl:kvm vg_iscsi /dev/disk/by-path/ip-192.168.151.1:3260-iscsi-iqn.2026-01.labctl.lab:kvm-lun-1
pvchange --devices /dev/disk/by-path/ip-192.168.151.1:3260-iscsi-iqn.2026-01.labctl.lab:kvm-lun-1 --addtag labctl:kvm /dev/disk/by-path/ip-192.168.151.1:3260-iscsi-iqn.2026-01.labctl.lab:kvm-lun-1
# 11. Create the logical volume lv_node1
lvcreate --devices /dev/disk/by-path/ip-192.168.151.1:3260-iscsi-iqn.2026-01.labctl.lab:kvm-lun-1 -y -L 10737418240b -n lv_node1 --addtag labctl:kvm vg_iscsi
# 12. Create the logical volume lv_node2
lvcreate --devices /dev/disk/by-path/ip-192.168.151.1:3260-iscsi-iqn.2026-01.labctl.lab:kvm-lun-1 -y -L 10737418240b -n lv_node2 --addtag labctl:kvm vg_iscsi
# 13. Create the logical volume lv_node3
lvcreate --devices /dev/disk/by-path/ip-192.168.151.1:3260-iscsi-iqn.2026-01.labctl.lab:kvm-lun-1 -y -L 10737418240b -n lv_node3 --addtag labctl:kvm vg_iscsi
# 14. Build or reuse the node image
# only when /var/cache/labctl/node-images/kvm-6ccbaf1cf6651746 is not complete (root.img, vmlinuz, initrd.img):
mmdebstrap --variant=apt --format=directory --include=linux-image-amd64,systemd-sysv,udev,dbus,libpam-systemd,kmod,procps,iproute2,iputils-ping,openssh-server,qemu-system-x86,qemu-utils,qemu-block-extra,libvirt-daemon-system,libvirt-clients,libvirt-daemon-driver-lxc,open-iscsi,lvm2,corosync,pacemaker,pacemaker-cli-utils,crmsh,resource-agents,fence-agents,fence-virt '--dpkgopt=path-exclude=/usr/share/doc/*' '--dpkgopt=path-exclude=/usr/share/man/*' '--dpkgopt=path-exclude=/usr/share/info/*' '--dpkgopt=path-exclude=/usr/share/locale/*' '--customize-hook=chroot "$1" systemctl enable systemd-networkd.service' '--customize-hook=chroot "$1" systemctl mask systemd-networkd-wait-online.service apt-daily.timer apt-daily-upgrade.timer e2scrub_all.timer fstrim.timer man-db.timer' '--customize-hook=chroot "$1" systemctl disable corosync.service pacemaker.service' bookworm /var/cache/labctl/node-images/kvm-6ccbaf1cf6651746/root http://deb.debian.org/debian
# labctl writes into /var/cache/labctl/node-images/kvm-6ccbaf1cf6651746/root: /etc/fstab /etc/systemd/network/10-br0.netdev /etc/systemd/network/11-eth0.network /etc/ssh/sshd_config.d/labctl.conf /etc/libvirt/libvirtd.conf /etc/libvirt/qemu.conf /etc/lvm/lvm.conf /etc/ssh/ssh_config.d/labctl.conf; removes the SSH host keys and the machine id (each node gets its own)
cp /var/cache/labctl/node-images/kvm-6ccbaf1cf6651746/root/boot/vmlinuz-* /var/cache/labctl/node-images/kvm-6ccbaf1cf6651746/vmlinuz; cp /var/cache/labctl/node-images/kvm-6ccbaf1cf6651746/root/boot/initrd.img-* /var/cache/labctl/node-images/kvm-6ccbaf1cf6651746/initrd.img
mke2fs -q -F -t ext4 -L labctl-node -d /var/cache/labctl/node-images/kvm-6ccbaf1cf6651746/root /var/cache/labctl/node-images/kvm-6ccbaf1cf6651746/root.img 4194304k
rm -rf /var/cache/labctl/node-images/kvm-6ccbaf1cf6651746/root
# 15. Generate the SSH keys of the lab and its nodes
install -d -m 0700 /var/lib/labctl/kvm/ssh
ssh-keygen -q -t ed25519 -N '' -C labctl-kvm -f /var/lib/labctl/kvm/ssh/id_ed25519
ssh-keygen -q -t ed25519 -N '' -C labctl-kvm -f /var/lib/labctl/kvm/ssh/peer_ed25519
ssh-keygen -q -t ed25519 -N '' -C labctl-kvm -f /var/lib/labctl/kvm/ssh/host-node1
ssh-keygen -q -t ed25519 -N '' -C labctl-kvm -f /var/lib/labctl/kvm/ssh/host-node2
ssh-keygen -q -t ed25519 -N '' -C labctl-kvm -f /var/lib/labctl/kvm/ssh/host-node3
# /var/lib/labctl/kvm/ssh/known_hosts: "<node address> <its host-<node>.pub>" per node (pinned)
cat > /var/lib/labctl/kvm/ssh/config <<'EOF'
Host node1
  HostName 192.168.151.11
Host node2
  HostName 192.168.151.12
Host node3
  HostName 192.168.151.13
Host *
  User root
  IdentityFile /var/lib/labctl/kvm/ssh/id_ed25519
  IdentitiesOnly yes
  UserKnownHostsFile /var/lib/labctl/kvm/ssh/known_hosts
  GlobalKnownHostsFile /dev/null
  StrictHostKeyChecking yes
  BatchMode yes
  ConnectTimeout 10
  ControlMaster auto
  ControlPath /var/lib/labctl/kvm/ssh/mux-%n
  ControlPersist 120
  ServerAliveInterval 10
  ServerAliveCountMax 6
  LogLevel ERROR
EOF
# 16. Write the node image and identity into node node1's disk
# labctl writes to the LV's extents on the LUN device (pe_start + first extent, from pvs/lvs): the same bytes as the LV, with or without device-mapper
qemu-img convert -n --target-is-zero -t none -f raw -O raw /var/cache/labctl/node-images/kvm-6ccbaf1cf6651746/root.img /dev/vg_iscsi/lv_node1
# node1-identity.debugfs: rm, write, set_inode_field for /etc/hostname (node1), /etc/machine-id, /etc/hosts (every node), /etc/systemd/network/20-br0.network (192.168.151.11/24), /etc/iscsi/initiatorname.iscsi (iqn.2026-01.labctl.lab:kvm:node1), the node's SSH host key, /etc/ssh/ssh_known_hosts, /root/.ssh (labctl's and the nodes' keys)
debugfs -D -w -f node1-identity.debugfs /dev/vg_iscsi/lv_node1
# 17. Write the node image and identity into node node2's disk
# labctl writes to the LV's extents on the LUN device (pe_start + first extent, from pvs/lvs): the same bytes as the LV, with or without device-mapper
qemu-img convert -n --target-is-zero -t none -f raw -O raw /var/cache/labctl/node-images/kvm-6ccbaf1cf6651746/root.img /dev/vg_iscsi/lv_node2
# node2-identity.debugfs: rm, write, set_inode_field for /etc/hostname (node2), /etc/machine-id, /etc/hosts (every node), /etc/systemd/network/20-br0.network (192.168.151.12/24), /etc/iscsi/initiatorname.iscsi (iqn.2026-01.labctl.lab:kvm:node2), the node's SSH host key, /etc/ssh/ssh_known_hosts, /root/.ssh (labctl's and the nodes' keys)
debugfs -D -w -f node2-identity.debugfs /dev/vg_iscsi/lv_node2
# 18. Write the node image and identity into node node3's disk
# labctl writes to the LV's extents on the LUN device (pe_start + first extent, from pvs/lvs): the same bytes as the LV, with or without device-mapper
qemu-img convert -n --target-is-zero -t none -f raw -O raw /var/cache/labctl/node-images/kvm-6ccbaf1cf6651746/root.img /dev/vg_iscsi/lv_node3
# node3-identity.debugfs: rm, write, set_inode_field for /etc/hostname (node3), /etc/machine-id, /etc/hosts (every node), /etc/systemd/network/20-br0.network (192.168.151.13/24), /etc/iscsi/initiatorname.iscsi (iqn.2026-01.labctl.lab:kvm:node3), the node's SSH host key, /etc/ssh/ssh_known_hosts, /root/.ssh (labctl's and the nodes' keys)
debugfs -D -w -f node3-identity.debugfs /dev/vg_iscsi/lv_node3
# 19. Define node node1
OSINFO_USER_DIR=@DATADIR@/iso-cache/osinfo virt-install --connect=qemu:///system --name=node1 --virt-type=kvm --arch=x86_64 --machine=q35 --vcpus=2 --cpu=host-passthrough,cache.mode=passthrough --memory=2048 --osinfo=id=http://debian.org/debian/12 --disk=path=/dev/vg_iscsi/lv_node1,format=raw,bus=virtio,cache=none,io=native,discard=unmap --import '--boot=kernel=/var/cache/labctl/node-images/kvm-6ccbaf1cf6651746/vmlinuz,initrd=/var/cache/labctl/node-images/kvm-6ccbaf1cf6651746/initrd.img,kernel_args=root=/dev/vda rw console=ttyS0 net.ifnames=0 apparmor=0 quiet' --network=network=labctl-kvm,mac=52:54:00:1f:72:43,model=virtio --graphics=none --serial=pty,log.file=/var/lib/labctl/kvm/nodes/node1/console.log,log.append=on --rng=/dev/urandom --print-xml > node1.xml
virsh -c qemu:///system define node1.xml
virsh -c qemu:///system metadata node1 https://labctl.example/xmlns/1 --key labctl --config --set '<lab name='\''kvm'\'' node='\''node1'\'' recipe='\''RECIPE-SHA256'\''/>'
# 20. Define node node2
OSINFO_USER_DIR=@DATADIR@/iso-cache/osinfo virt-install --connect=qemu:///system --name=node2 --virt-type=kvm --arch=x86_64 --machine=q35 --vcpus=2 --cpu=host-passthrough,cache.mode=passthrough --memory=2048 --osinfo=id=http://debian.org/debian/12 --disk=path=/dev/vg_iscsi/lv_node2,format=raw,bus=virtio,cache=none,io=native,discard=unmap --import '--boot=kernel=/var/cache/labctl/node-images/kvm-6ccbaf1cf6651746/vmlinuz,initrd=/var/cache/labctl/node-images/kvm-6ccbaf1cf6651746/initrd.img,kernel_args=root=/dev/vda rw console=ttyS0 net.ifnames=0 apparmor=0 quiet' --network=network=labctl-kvm,mac=52:54:00:8c:26:57,model=virtio --graphics=none --serial=pty,log.file=/var/lib/labctl/kvm/nodes/node2/console.log,log.append=on --rng=/dev/urandom --print-xml > node2.xml
virsh -c qemu:///system define node2.xml
virsh -c qemu:///system metadata node2 https://labctl.example/xmlns/1 --key labctl --config --set '<lab name='\''kvm'\'' node='\''node2'\'' recipe='\''RECIPE-SHA256'\''/>'
# 21. Define node node3
OSINFO_USER_DIR=@DATADIR@/iso-cache/osinfo virt-install --connect=qemu:///system --name=node3 --virt-type=kvm --arch=x86_64 --machine=q35 --vcpus=2 --cpu=host-passthrough,cache.mode=passthrough --memory=2048 --osinfo=id=http://debian.org/debian/12 --disk=path=/dev/vg_iscsi/lv_node3,format=raw,bus=virtio,cache=none,io=native,discard=unmap --import '--boot=kernel=/var/cache/labctl/node-images/kvm-6ccbaf1cf6651746/vmlinuz,initrd=/var/cache/labctl/node-images/kvm-6ccbaf1cf6651746/initrd.img,kernel_args=root=/dev/vda rw console=ttyS0 net.ifnames=0 apparmor=0 quiet' --network=network=labctl-kvm,mac=52:54:00:7e:14:09,model=virtio --graphics=none --serial=pty,log.file=/var/lib/labctl/kvm/nodes/node3/console.log,log.append=on --rng=/dev/urandom --print-xml > node3.xml
virsh -c qemu:///system define node3.xml
virsh -c qemu:///system metadata node3 https://labctl.example/xmlns/1 --key labctl --config --set '<lab name='\''kvm'\'' node='\''node3'\'' recipe='\''RECIPE-SHA256'\''/>'
# 22. Start the nodes
virsh -c qemu:///system start node1
virsh -c qemu:///system start node2
virsh -c qemu:///system start node3
# 23. Wait until node node1 answers ssh
# every 2 s until it answers (at most 600 s; the boot: /var/lib/labctl/kvm/nodes/node1/console.log)
ssh -F /var/lib/labctl/kvm/ssh/config -T node1 -- cat /proc/sys/kernel/random/boot_id
# 24. Wait until node node2 answers ssh
# every 2 s until it answers (at most 600 s; the boot: /var/lib/labctl/kvm/nodes/node2/console.log)
ssh -F /var/lib/labctl/kvm/ssh/config -T node2 -- cat /proc/sys/kernel/random/boot_id
# 25. Wait until node node3 answers ssh
# every 2 s until it answers (at most 600 s; the boot: /var/lib/labctl/kvm/nodes/node3/console.log)
ssh -F /var/lib/labctl/kvm/ssh/config -T node3 -- cat /proc/sys/kernel/random/boot_id
# 26. Configure node node1: iSCSI login, shared VG, libvirt
ssh -F /var/lib/labctl/kvm/ssh/config -T node1 -- iscsiadm -m discovery -t sendtargets -p 192.168.151.1:3260
ssh -F /var/lib/labctl/kvm/ssh/config -T node1 -- iscsiadm -m node -T iqn.2026-01.labctl.lab:kvm -p 192.168.151.1:3260 --op update -n node.startup -v automatic
ssh -F /var/lib/labctl/kvm/ssh/config -T node1 -- iscsiadm -m node -T iqn.2026-01.labctl.lab:kvm -p 192.168.151.1:3260 --login
ssh -F /var/lib/labctl/kvm/ssh/config -T node1 -- sh -c 'for i in $(seq 60); do test -b /dev/disk/by-path/ip-192.168.151.1:3260-iscsi-iqn.2026-01.labctl.lab:kvm-lun-1 && exit 0; sleep 0.5; done; exit 1'
ssh -F /var/lib/labctl/kvm/ssh/config -T node1 -- vgs --noheadings -o vg_name vg_iscsi
ssh -F /var/lib/labctl/kvm/ssh/config -T node1 -- systemctl start libvirtd.service
ssh -F /var/lib/labctl/kvm/ssh/config -T node1 -- virsh -c qemu:///system version
# 27. Configure node node2: iSCSI login, shared VG, libvirt
ssh -F /var/lib/labctl/kvm/ssh/config -T node2 -- iscsiadm -m discovery -t sendtargets -p 192.168.151.1:3260
ssh -F /var/lib/labctl/kvm/ssh/config -T node2 -- iscsiadm -m node -T iqn.2026-01.labctl.lab:kvm -p 192.168.151.1:3260 --op update -n node.startup -v automatic
ssh -F /var/lib/labctl/kvm/ssh/config -T node2 -- iscsiadm -m node -T iqn.2026-01.labctl.lab:kvm -p 192.168.151.1:3260 --login
ssh -F /var/lib/labctl/kvm/ssh/config -T node2 -- sh -c 'for i in $(seq 60); do test -b /dev/disk/by-path/ip-192.168.151.1:3260-iscsi-iqn.2026-01.labctl.lab:kvm-lun-1 && exit 0; sleep 0.5; done; exit 1'
ssh -F /var/lib/labctl/kvm/ssh/config -T node2 -- vgs --noheadings -o vg_name vg_iscsi
ssh -F /var/lib/labctl/kvm/ssh/config -T node2 -- systemctl start libvirtd.service
ssh -F /var/lib/labctl/kvm/ssh/config -T node2 -- virsh -c qemu:///system version
# 28. Configure node node3: iSCSI login, shared VG, libvirt
ssh -F /var/lib/labctl/kvm/ssh/config -T node3 -- iscsiadm -m discovery -t sendtargets -p 192.168.151.1:3260
ssh -F /var/lib/labctl/kvm/ssh/config -T node3 -- iscsiadm -m node -T iqn.2026-01.labctl.lab:kvm -p 192.168.151.1:3260 --op update -n node.startup -v automatic
ssh -F /var/lib/labctl/kvm/ssh/config -T node3 -- iscsiadm -m node -T iqn.2026-01.labctl.lab:kvm -p 192.168.151.1:3260 --login
ssh -F /var/lib/labctl/kvm/ssh/config -T node3 -- sh -c 'for i in $(seq 60); do test -b /dev/disk/by-path/ip-192.168.151.1:3260-iscsi-iqn.2026-01.labctl.lab:kvm-lun-1 && exit 0; sleep 0.5; done; exit 1'
ssh -F /var/lib/labctl/kvm/ssh/config -T node3 -- vgs --noheadings -o vg_name vg_iscsi
ssh -F /var/lib/labctl/kvm/ssh/config -T node3 -- systemctl start libvirtd.service
ssh -F /var/lib/labctl/kvm/ssh/config -T node3 -- virsh -c qemu:///system version
# 29. Check that every node and guest answers
labctl status
