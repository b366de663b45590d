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
# 7. Admit only the lab's addresses to the target
tgtadm --lld iscsi --op bind --mode target --tid 1 -I 192.168.151.0/24
# 8. Attach the iSCSI disk on this host
iscsiadm -m discovery -t sendtargets -p 192.168.151.1:3260
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
# 14. Define node node1
OSINFO_USER_DIR=@DATADIR@/iso-cache/osinfo virt-install --connect=qemu:///system --name=node1 --virt-type=kvm --arch=x86_64 --machine=q35 --vcpus=2 --cpu=host-passthrough,cache.mode=passthrough --memory=2048 --osinfo=id=http://debian.org/debian/12 --disk=path=/dev/vg_iscsi/lv_node1,format=raw,bus=virtio,cache=none,io=native,discard=unmap,boot.order=1 --disk=path=/var/lib/labctl/isos/debian-12-netinst.iso,device=cdrom,bus=sata,readonly=on,boot.order=2 --network=network=labctl-kvm,mac=52:54:00:1f:72:43,model=virtio --graphics=spice,listen=127.0.0.1 --video=virtio --serial=pty --rng=/dev/urandom --print-xml > node1.xml
virsh -c qemu:///system define node1.xml
virsh -c qemu:///system metadata node1 https://labctl.example/xmlns/1 --key labctl --config --set '<lab name='\''kvm'\'' node='\''node1'\'' recipe='\''RECIPE-SHA256'\''/>'
# 15. Define node node2
OSINFO_USER_DIR=@DATADIR@/iso-cache/osinfo virt-install --connect=qemu:///system --name=node2 --virt-type=kvm --arch=x86_64 --machine=q35 --vcpus=2 --cpu=host-passthrough,cache.mode=passthrough --memory=2048 --osinfo=id=http://debian.org/debian/12 --disk=path=/dev/vg_iscsi/lv_node2,format=raw,bus=virtio,cache=none,io=native,discard=unmap,boot.order=1 --disk=path=/var/lib/labctl/isos/debian-12-netinst.iso,device=cdrom,bus=sata,readonly=on,boot.order=2 --network=network=labctl-kvm,mac=52:54:00:8c:26:57,model=virtio --graphics=spice,listen=127.0.0.1 --video=virtio --serial=pty --rng=/dev/urandom --print-xml > node2.xml
virsh -c qemu:///system define node2.xml
virsh -c qemu:///system metadata node2 https://labctl.example/xmlns/1 --key labctl --config --set '<lab name='\''kvm'\'' node='\''node2'\'' recipe='\''RECIPE-SHA256'\''/>'
# 16. Define node node3
OSINFO_USER_DIR=@DATADIR@/iso-cache/osinfo virt-install --connect=qemu:///system --name=node3 --virt-type=kvm --arch=x86_64 --machine=q35 --vcpus=2 --cpu=host-passthrough,cache.mode=passthrough --memory=2048 --osinfo=id=http://debian.org/debian/12 --disk=path=/dev/vg_iscsi/lv_node3,format=raw,bus=virtio,cache=none,io=native,discard=unmap,boot.order=1 --disk=path=/var/lib/labctl/isos/debian-12-netinst.iso,device=cdrom,bus=sata,readonly=on,boot.order=2 --network=network=labctl-kvm,mac=52:54:00:7e:14:09,model=virtio --graphics=spice,listen=127.0.0.1 --video=virtio --serial=pty --rng=/dev/urandom --print-xml > node3.xml
virsh -c qemu:///system define node3.xml
virsh -c qemu:///system metadata node3 https://labctl.example/xmlns/1 --key labctl --config --set '<lab name='\''kvm'\'' node='\''node3'\'' recipe='\''RECIPE-SHA256'\''/>'
# 17. Start the nodes
virsh -c qemu:///system start node1
virsh -c qemu:///system start node2
virsh -c qemu:///system start node3
# 18. Check that every node and guest answers
labctl status
