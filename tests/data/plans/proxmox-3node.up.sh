# labctl up --recipe @DATADIR@/recipes/proxmox-3node.lab: lab course, flavor proxmox, 3 nodes, 0 guests
# The commands each step runs (as root), in order:
# 1. Check the host (CPU, memory, disk, tools)
labctl check --recipe @DATADIR@/recipes/proxmox-3node.lab
# 2. Create the lab network labctl-course
cat > labctl-course-net.xml <<'EOF'
<network>
  <name>labctl-course</name>
  <metadata>
    <labctl:lab xmlns:labctl='https://labctl.example/xmlns/1' name='course' recipe='RECIPE-SHA256'/>
  </metadata>
  <forward mode='nat'/>
  <bridge name='lab-course' stp='on' delay='0'/>
  <ip address='192.168.150.1' netmask='255.255.255.0'>
    <dhcp>
      <range start='192.168.150.128' end='192.168.150.254'/>
      <host mac='52:54:00:87:36:8e' name='pve1' ip='192.168.150.11'/>
      <host mac='52:54:00:2b:9c:9a' name='pve2' ip='192.168.150.12'/>
      <host mac='52:54:00:db:0b:11' name='pve3' ip='192.168.150.13'/>
    </dhcp>
  </ip>
</network>
EOF
virsh -c qemu:///system net-define labctl-course-net.xml
virsh -c qemu:///system net-start labctl-course
virsh -c qemu:///system net-autostart labctl-course
# 3. Create the sparse backing file
truncate -s 107374182400 /var/lib/labctl/course/course.img
setfattr -n user.labctl.lab -v course /var/lib/labctl/course/course.img
# 4. Run the iSCSI target daemon (tgtd)
# only when no tgtd answers on control port 0 (the tgt service):
tgtd -f -C 0 --iscsi portal=192.168.150.1:3260
# 5. Create the iSCSI target
# tid: the first free one (1 on an empty tgtd)
tgtadm --lld iscsi --op new --mode target --tid 1 -T iqn.2026-01.labctl.lab:course
# 6. Add LUN 1 on the backing file
tgtadm --lld iscsi --op new --mode logicalunit --tid 1 --lun 1 -b /var/lib/labctl/course/course.img --bstype rdwr
# 7. Admit only the lab's addresses to the target
tgtadm --lld iscsi --op bind --mode target --tid 1 -I 192.168.150.0/24
# 8. Attach the iSCSI disk on this host
iscsiadm -m discovery -t sendtargets -p 192.168.150.1:3260
iscsiadm -m node -T iqn.2026-01.labctl.lab:course -p 192.168.150.1:3260 --login
# then wait (up to 30 s) for /dev/disk/by-path/ip-192.168.150.1:3260-iscsi-iqn.2026-01.labctl.lab:course-lun-1
# without a kernel iSCSI initiator: qemu-storage-daemon FUSE export + losetup instead
# 9. Make the iSCSI disk an LVM physical volume
# refused if the disk carries any signature (blkid -p) that is not this lab's
blkid -p -o export /dev/disk/by-path/ip-192.168.150.1:3260-iscsi-iqn.2026-01.labctl.lab:course-lun-1
pvcreate --devices /dev/disk/by-path/ip-192.168.150.1:3260-iscsi-iqn.2026-01.labctl.lab:course-lun-1 /dev/disk/by-path/ip-192.168.150.1:3260-iscsi-iqn.2026-01.labctl.lab:course-lun-1
# 10. Create the volume group
vgcreate --devices /dev/disk/by-path/ip-192.168.150.1:3260-iscsi-iqn.2026-01.labctl.lab:course-lun-1 --addtag labctl:course vg_iscsi /dev/disk/by-path/ip-192.168.150.1:3260-iscsi-iqn.2026-01.labctl.lab:course-lun-1
pvchange --devices /dev/disk/by-path/ip-192.168.150.1:3260-iscsi-iqn.2026-01.labctl.lab:course-lun-1 --addtag labctl:course /dev/disk/by-path/ip-192.168.150.1:3260-iscsi-iqn.2026-01.labctl.lab:course-lun-1
# 11. Create the logical volume lv_pve1
lvcreate --devices /dev/disk/by-path/ip-192.168.150.1:3260-iscsi-iqn.2026-01.labctl.lab:course-lun-1 -y -L 10737418240b -n lv_pve1 --addtag labctl:course vg_iscsi
# 12. Create the logical volume lv_pve2
lvcreate --devices /dev/disk/by-path/ip-192.168.150.1:3260-iscsi-iqn.2026-01.labctl.lab:course-lun-1 -y -L 10737418240b -n lv_pve2 --addtag labctl:course vg_iscsi
# 13. Create the logical volume lv_pve3
lvcreate --devices /dev/disk/by-path/ip-192.168.150.1:3260-iscsi-iqn.2026-01.labctl.lab:course-lun-1 -y -L 10737418240b -n lv_pve3 --addtag labctl:course vg_iscsi
# 14. Define node pve1
OSINFO_USER_DIR=@DATADIR@/iso-cache/osinfo virt-install --connect=qemu:///system --name=pve1 --virt-type=kvm --arch=x86_64 --machine=q35 --vcpus=2 --cpu=host-passthrough,cache.mode=passthrough --memory=2048 --osinfo=id=http://proxmox.com/proxmox-ve/9 --disk=path=/dev/vg_iscsi/lv_pve1,format=raw,bus=virtio,cache=none,io=native,discard=unmap,boot.order=1 --disk=path=/var/lib/labctl/isos/proxmox-ve-9.2.iso,device=cdrom,bus=sata,readonly=on,boot.order=2 --network=network=labctl-course,mac=52:54:00:87:36:8e,model=virtio --graphics=spice,listen=127.0.0.1 --video=virtio --serial=pty --rng=/dev/urandom --print-xml > pve1.xml
virsh -c qemu:///system define pve1.xml
virsh -c qemu:///system metadata pve1 https://labctl.example/xmlns/1 --key labctl --config --set '<lab name='\''course'\'' node='\''pve1'\'' recipe='\''RECIPE-SHA256'\''/>'
# 15. Define node pve2
OSINFO_USER_DIR=@DATADIR@/iso-cache/osinfo virt-install --connect=qemu:///system --name=pve2 --virt-type=kvm --arch=x86_64 --machine=q35 --vcpus=2 --cpu=host-passthrough,cache.mode=passthrough --memory=2048 --osinfo=id=http://proxmox.com/proxmox-ve/9 --disk=path=/dev/vg_iscsi/lv_pve2,format=raw,bus=virtio,cache=none,io=native,discard=unmap,boot.order=1 --disk=path=/var/lib/labctl/isos/proxmox-ve-9.2.iso,device=cdrom,bus=sata,readonly=on,boot.order=2 --network=network=labctl-course,mac=52:54:00:2b:9c:9a,model=virtio --graphics=spice,listen=127.0.0.1 --video=virtio --serial=pty --rng=/dev/urandom --print-xml > pve2.xml
virsh -c qemu:///system define pve2.xml
virsh -c qemu:///system metadata pve2 https://labctl.example/xmlns/1 --key labctl --config --set '<lab name='\''course'\'' node='\''pve2'\'' recipe='\''RECIPE-SHA256'\''/>'
# 16. Define node pve3
OSINFO_USER_DIR=@DATADIR@/iso-cache/osinfo virt-install --connect=qemu:///system --name=pve3 --virt-type=kvm --arch=x86_64 --machine=q35 --vcpus=2 --cpu=host-passthrough,cache.mode=passthrough --memory=2048 --osinfo=id=http://proxmox.com/proxmox-ve/9 --disk=path=/dev/vg_iscsi/lv_pve3,format=raw,bus=virtio,cache=none,io=native,discard=unmap,boot.order=1 --disk=path=/var/lib/labctl/isos/proxmox-ve-9.2.iso,device=cdrom,bus=sata,readonly=on,boot.order=2 --network=network=labctl-course,mac=52:54:00:db:0b:11,model=virtio --graphics=spice,listen=127.0.0.1 --video=virtio --serial=pty --rng=/dev/urandom --print-xml > pve3.xml
virsh -c qemu:///system define pve3.xml
virsh -c qemu:///system metadata pve3 https://labctl.example/xmlns/1 --key labctl --config --set '<lab name='\''course'\'' node='\''pve3'\'' recipe='\''RECIPE-SHA256'\''/>'
# 17. Start the nodes
virsh -c qemu:///system start pve1
virsh -c qemu:///system start pve2
virsh -c qemu:///system start pve3
# 18. Check that every node and guest answers
labctl status
