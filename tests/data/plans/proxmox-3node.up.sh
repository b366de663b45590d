# labctl up --recipe @DATADIR@/recipes/proxmox-3node.lab: lab course, flavor proxmox, 3 nodes, 0 guests
# The commands each step runs (as root), in order:
# 1. Check the host (CPU, memory, disk, tools)
labctl check --recipe @DATADIR@/recipes/proxmox-3node.lab
# 2. Fetch the install ISO into the ISO cache
labctl iso fetch proxmox-ve-9.2  # offline: labctl iso add PATH/proxmox-ve_9.2-1.iso
# the same by hand (-C -: resume):
curl -fL -C - -o /var/cache/labctl/iso/proxmox-ve_9.2-1.iso.part https://enterprise.proxmox.com/iso/proxmox-ve_9.2-1.iso
echo '4e88fe416df9b527624a175f24c9aa07c714d3332afb1ee3dbf3879573ef2c6c  /var/cache/labctl/iso/proxmox-ve_9.2-1.iso.part' | sha256sum -c && mv /var/cache/labctl/iso/proxmox-ve_9.2-1.iso.part /var/cache/labctl/iso/proxmox-ve_9.2-1.iso
# 3. Create the lab network labctl-course
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
      <host mac='52:54:00:f6:29:06' name='lab-vm' ip='192.168.150.52'/>
    </dhcp>
  </ip>
</network>
EOF
virsh -c qemu:///system net-define labctl-course-net.xml
virsh -c qemu:///system net-start labctl-course
virsh -c qemu:///system net-autostart labctl-course
# 4. Create the sparse backing file
truncate -s 107374182400 /var/lib/labctl/course/course.img
setfattr -n user.labctl.lab -v course /var/lib/labctl/course/course.img
# 5. Run the iSCSI target daemon (tgtd)
# only when no tgtd answers on control port 0 (the tgt service):
tgtd -f -C 0 --iscsi portal=192.168.150.1:3260
# 6. Create the iSCSI target
# tid: the first free one (1 on an empty tgtd)
tgtadm --lld iscsi --op new --mode target --tid 1 -T iqn.2026-01.labctl.lab:course
# 7. Add LUN 1 on the backing file
tgtadm --lld iscsi --op new --mode logicalunit --tid 1 --lun 1 -b /var/lib/labctl/course/course.img --bstype rdwr
# 8. Admit only the lab's own initiators to the target
tgtadm --lld iscsi --op bind --mode target --tid 1 -I 192.168.150.0/24
# 9. Attach the iSCSI disk on this host
iscsiadm -m discovery -t sendtargets -p 192.168.150.1:3260
iscsiadm -m node -T iqn.2026-01.labctl.lab:course -p 192.168.150.1:3260 --login
# then wait (up to 30 s) for /dev/disk/by-path/ip-192.168.150.1:3260-iscsi-iqn.2026-01.labctl.lab:course-lun-1
# without a kernel iSCSI initiator: qemu-storage-daemon FUSE export + losetup instead
# 10. Make the iSCSI disk an LVM physical volume
# refused if the disk carries any signature (blkid -p) that is not this lab's
blkid -p -o export /dev/disk/by-path/ip-192.168.150.1:3260-iscsi-iqn.2026-01.labctl.lab:course-lun-1
pvcreate --devices /dev/disk/by-path/ip-192.168.150.1:3260-iscsi-iqn.2026-01.labctl.lab:course-lun-1 /dev/disk/by-path/ip-192.168.150.1:3260-iscsi-iqn.2026-01.labctl.lab:course-lun-1
# 11. Create the volume group
vgcreate --devices /dev/disk/by-path/ip-192.168.150.1:3260-iscsi-iqn.2026-01.labctl.lab:course-lun-1 --addtag labctl:course vg_iscsi /dev/disk/by-path/ip-192.168.150.1:3260-iscsi-iqn.2026-01.labctl.lab:course-lun-1
pvchange --devices /dev/disk/by-path/ip-192.168.150.1:3260-iscsi-iqn.2026-01.labctl.lab:course-lun-1 --addtag labctl:course /dev/disk/by-path/ip-192.168.150.1:3260-iscsi-iqn.2026-01.labctl.lab:course-lun-1
# 12. Create the logical volume lv_pve1
lvcreate --devices /dev/disk/by-path/ip-192.168.150.1:3260-iscsi-iqn.2026-01.labctl.lab:course-lun-1 -y -L 10737418240b -n lv_pve1 --addtag labctl:course vg_iscsi
# 13. Create the logical volume lv_pve2
lvcreate --devices /dev/disk/by-path/ip-192.168.150.1:3260-iscsi-iqn.2026-01.labctl.lab:course-lun-1 -y -L 10737418240b -n lv_pve2 --addtag labctl:course vg_iscsi
# 14. Create the logical volume lv_pve3
lvcreate --devices /dev/disk/by-path/ip-192.168.150.1:3260-iscsi-iqn.2026-01.labctl.lab:course-lun-1 -y -L 10737418240b -n lv_pve3 --addtag labctl:course vg_iscsi
# 15. Prepare the ISO for the automated installer
# what `proxmox-auto-install-assistant prepare-iso --fetch-from partition` does:
printf 'mode = "partition"\npartition_label = "proxmox-ais"\n\n[http]\n' > /var/cache/labctl/iso/proxmox-ve_9.2-1-auto-from-partition.iso.mode.toml
xorriso -indev /var/cache/labctl/iso/proxmox-ve_9.2-1.iso -find /auto-installer-capable  # refused unless it exits 0
uuid=$(xorriso -indev /var/cache/labctl/iso/proxmox-ve_9.2-1.iso -report_system_area cmd | sed -n "s/^-volume_date uuid '\(.*\)'$/\1/p")
cp /var/cache/labctl/iso/proxmox-ve_9.2-1.iso /var/cache/labctl/iso/proxmox-ve_9.2-1-auto-from-partition.iso.tmp
xorriso -boot_image any keep -volume_date uuid "$uuid" -dev /var/cache/labctl/iso/proxmox-ve_9.2-1-auto-from-partition.iso.tmp -map /var/cache/labctl/iso/proxmox-ve_9.2-1-auto-from-partition.iso.mode.toml /auto-installer-mode.toml
mv /var/cache/labctl/iso/proxmox-ve_9.2-1-auto-from-partition.iso.tmp /var/cache/labctl/iso/proxmox-ve_9.2-1-auto-from-partition.iso
# 16. Write the answer file of node pve1
# root password: generated, kept only in the lab's state (secret nodes.pve1.pve.root_password); the file holds its SHA-512 crypt hash
test -f /var/lib/labctl/course/ssh/id_ed25519 || ssh-keygen -q -t ed25519 -N '' -C labctl@course -f /var/lib/labctl/course/ssh/id_ed25519
cat > /var/lib/labctl/course/nodes/pve1/answer.toml <<EOF
# answer.toml for the Proxmox VE 9.2 automated installer, written by labctl
[global]
keyboard = "de"
country = "de"
fqdn = "pve1.lab.labctl"
mailto = "root@pve1.lab.labctl"
timezone = "Europe/Berlin"
root-password-hashed = "******"
root-ssh-keys = ["$(cat /var/lib/labctl/course/ssh/id_ed25519.pub)"]
reboot-mode = "power-off"

[network]
source = "from-answer"
cidr = "192.168.150.11/24"
dns = "192.168.150.1"
gateway = "192.168.150.1"

[network.filter]
ID_NET_NAME_MAC = "*52540087368e"

[disk-setup]
filesystem = "ext4"
disk-list = ["vda"]
EOF
proxmox-auto-install-assistant validate-answer /var/lib/labctl/course/nodes/pve1/answer.toml  # labctl applies its rules
mkfs.vfat -C -n PROXMOX-AIS /var/lib/labctl/course/nodes/pve1/answer.img 1440
mcopy -o -i /var/lib/labctl/course/nodes/pve1/answer.img /var/lib/labctl/course/nodes/pve1/answer.toml ::answer.toml
# 17. Write the answer file of node pve2
# root password: generated, kept only in the lab's state (secret nodes.pve2.pve.root_password); the file holds its SHA-512 crypt hash
test -f /var/lib/labctl/course/ssh/id_ed25519 || ssh-keygen -q -t ed25519 -N '' -C labctl@course -f /var/lib/labctl/course/ssh/id_ed25519
cat > /var/lib/labctl/course/nodes/pve2/answer.toml <<EOF
# answer.toml for the Proxmox VE 9.2 automated installer, written by labctl
[global]
keyboard = "de"
country = "de"
fqdn = "pve2.lab.labctl"
mailto = "root@pve2.lab.labctl"
timezone = "Europe/Berlin"
root-password-hashed = "******"
root-ssh-keys = ["$(cat /var/lib/labctl/course/ssh/id_ed25519.pub)"]
reboot-mode = "power-off"

[network]
source = "from-answer"
cidr = "192.168.150.12/24"
dns = "192.168.150.1"
gateway = "192.168.150.1"

[network.filter]
ID_NET_NAME_MAC = "*5254002b9c9a"

[disk-setup]
filesystem = "ext4"
disk-list = ["vda"]
EOF
proxmox-auto-install-assistant validate-answer /var/lib/labctl/course/nodes/pve2/answer.toml  # labctl applies its rules
mkfs.vfat -C -n PROXMOX-AIS /var/lib/labctl/course/nodes/pve2/answer.img 1440
mcopy -o -i /var/lib/labctl/course/nodes/pve2/answer.img /var/lib/labctl/course/nodes/pve2/answer.toml ::answer.toml
# 18. Write the answer file of node pve3
# root password: generated, kept only in the lab's state (secret nodes.pve3.pve.root_password); the file holds its SHA-512 crypt hash
test -f /var/lib/labctl/course/ssh/id_ed25519 || ssh-keygen -q -t ed25519 -N '' -C labctl@course -f /var/lib/labctl/course/ssh/id_ed25519
cat > /var/lib/labctl/course/nodes/pve3/answer.toml <<EOF
# answer.toml for the Proxmox VE 9.2 automated installer, written by labctl
[global]
keyboard = "de"
country = "de"
fqdn = "pve3.lab.labctl"
mailto = "root@pve3.lab.labctl"
timezone = "Europe/Berlin"
root-password-hashed = "******"
root-ssh-keys = ["$(cat /var/lib/labctl/course/ssh/id_ed25519.pub)"]
reboot-mode = "power-off"

[network]
source = "from-answer"
cidr = "192.168.150.13/24"
dns = "192.168.150.1"
gateway = "192.168.150.1"

[network.filter]
ID_NET_NAME_MAC = "*525400db0b11"

[disk-setup]
filesystem = "ext4"
disk-list = ["vda"]
EOF
proxmox-auto-install-assistant validate-answer /var/lib/labctl/course/nodes/pve3/answer.toml  # labctl applies its rules
mkfs.vfat -C -n PROXMOX-AIS /var/lib/labctl/course/nodes/pve3/answer.img 1440
mcopy -o -i /var/lib/labctl/course/nodes/pve3/answer.img /var/lib/labctl/course/nodes/pve3/answer.toml ::answer.toml
# 19. Define node pve1
OSINFO_USER_DIR=@DATADIR@/iso-cache/osinfo virt-install --connect=qemu:///system --name=pve1 --virt-type=kvm --arch=x86_64 --machine=q35 --vcpus=2 --cpu=host-passthrough,cache.mode=passthrough --memory=2048 --osinfo=id=http://proxmox.com/proxmox-ve/9 --disk=path=/dev/vg_iscsi/lv_pve1,format=raw,bus=virtio,cache=none,io=native,discard=unmap,boot.order=1 --disk=path=/var/cache/labctl/iso/proxmox-ve_9.2-1-auto-from-partition.iso,device=cdrom,bus=sata,readonly=on,boot.order=2 --disk=path=/var/lib/labctl/course/nodes/pve1/answer.img,device=disk,format=raw,bus=sata --network=network=labctl-course,mac=52:54:00:87:36:8e,model=virtio --graphics=spice,listen=127.0.0.1 --video=virtio --serial=pty,log.file=/var/lib/labctl/course/nodes/pve1/console.log,log.append=on --rng=/dev/urandom --print-xml > pve1.xml
virsh -c qemu:///system define pve1.xml
virsh -c qemu:///system metadata pve1 https://labctl.example/xmlns/1 --key labctl --config --set '<lab name='\''course'\'' node='\''pve1'\'' recipe='\''RECIPE-SHA256'\''/>'
# 20. Define node pve2
OSINFO_USER_DIR=@DATADIR@/iso-cache/osinfo virt-install --connect=qemu:///system --name=pve2 --virt-type=kvm --arch=x86_64 --machine=q35 --vcpus=2 --cpu=host-passthrough,cache.mode=passthrough --memory=2048 --osinfo=id=http://proxmox.com/proxmox-ve/9 --disk=path=/dev/vg_iscsi/lv_pve2,format=raw,bus=virtio,cache=none,io=native,discard=unmap,boot.order=1 --disk=path=/var/cache/labctl/iso/proxmox-ve_9.2-1-auto-from-partition.iso,device=cdrom,bus=sata,readonly=on,boot.order=2 --disk=path=/var/lib/labctl/course/nodes/pve2/answer.img,device=disk,format=raw,bus=sata --network=network=labctl-course,mac=52:54:00:2b:9c:9a,model=virtio --graphics=spice,listen=127.0.0.1 --video=virtio --serial=pty,log.file=/var/lib/labctl/course/nodes/pve2/console.log,log.append=on --rng=/dev/urandom --print-xml > pve2.xml
virsh -c qemu:///system define pve2.xml
virsh -c qemu:///system metadata pve2 https://labctl.example/xmlns/1 --key labctl --config --set '<lab name='\''course'\'' node='\''pve2'\'' recipe='\''RECIPE-SHA256'\''/>'
# 21. Define node pve3
OSINFO_USER_DIR=@DATADIR@/iso-cache/osinfo virt-install --connect=qemu:///system --name=pve3 --virt-type=kvm --arch=x86_64 --machine=q35 --vcpus=2 --cpu=host-passthrough,cache.mode=passthrough --memory=2048 --osinfo=id=http://proxmox.com/proxmox-ve/9 --disk=path=/dev/vg_iscsi/lv_pve3,format=raw,bus=virtio,cache=none,io=native,discard=unmap,boot.order=1 --disk=path=/var/cache/labctl/iso/proxmox-ve_9.2-1-auto-from-partition.iso,device=cdrom,bus=sata,readonly=on,boot.order=2 --disk=path=/var/lib/labctl/course/nodes/pve3/answer.img,device=disk,format=raw,bus=sata --network=network=labctl-course,mac=52:54:00:db:0b:11,model=virtio --graphics=spice,listen=127.0.0.1 --video=virtio --serial=pty,log.file=/var/lib/labctl/course/nodes/pve3/console.log,log.append=on --rng=/dev/urandom --print-xml > pve3.xml
virsh -c qemu:///system define pve3.xml
virsh -c qemu:///system metadata pve3 https://labctl.example/xmlns/1 --key labctl --config --set '<lab name='\''course'\'' node='\''pve3'\'' recipe='\''RECIPE-SHA256'\''/>'
# 22. Start the nodes
virsh -c qemu:///system start pve1
virsh -c qemu:///system start pve2
virsh -c qemu:///system start pve3
# 23. Install Proxmox VE on the nodes and wait for their API
# every node at once; the installer powers its node off (at most 60 min)
tail -f /var/lib/labctl/course/nodes/pve1/console.log &  # the installer's serial console
until virsh -c qemu:///system domstate pve1 | grep -qx 'shut off'; do virsh -c qemu:///system event pve1 lifecycle --timeout 30 >/dev/null; done
virsh -c qemu:///system detach-disk pve1 /var/cache/labctl/iso/proxmox-ve_9.2-1-auto-from-partition.iso --config
virsh -c qemu:///system detach-disk pve1 /var/lib/labctl/course/nodes/pve1/answer.img --config
virsh -c qemu:///system start pve1
until curl -ks -o /dev/null https://192.168.150.11:8006/api2/json/version; do sleep 2; done  # at most 15 min
openssl s_client -connect 192.168.150.11:8006 </dev/null 2>/dev/null | openssl x509 -noout -fingerprint -sha256  # recorded: nodes.pve1.pve.fingerprint
virsh -c qemu:///system shutdown pve1
virsh -c qemu:///system snapshot-create-as pve1 clean --disk-only --atomic
virsh -c qemu:///system start pve1  # its API answers with the same certificate
tail -f /var/lib/labctl/course/nodes/pve2/console.log &  # the installer's serial console
until virsh -c qemu:///system domstate pve2 | grep -qx 'shut off'; do virsh -c qemu:///system event pve2 lifecycle --timeout 30 >/dev/null; done
virsh -c qemu:///system detach-disk pve2 /var/cache/labctl/iso/proxmox-ve_9.2-1-auto-from-partition.iso --config
virsh -c qemu:///system detach-disk pve2 /var/lib/labctl/course/nodes/pve2/answer.img --config
virsh -c qemu:///system start pve2
until curl -ks -o /dev/null https://192.168.150.12:8006/api2/json/version; do sleep 2; done  # at most 15 min
openssl s_client -connect 192.168.150.12:8006 </dev/null 2>/dev/null | openssl x509 -noout -fingerprint -sha256  # recorded: nodes.pve2.pve.fingerprint
virsh -c qemu:///system shutdown pve2
virsh -c qemu:///system snapshot-create-as pve2 clean --disk-only --atomic
virsh -c qemu:///system start pve2  # its API answers with the same certificate
tail -f /var/lib/labctl/course/nodes/pve3/console.log &  # the installer's serial console
until virsh -c qemu:///system domstate pve3 | grep -qx 'shut off'; do virsh -c qemu:///system event pve3 lifecycle --timeout 30 >/dev/null; done
virsh -c qemu:///system detach-disk pve3 /var/cache/labctl/iso/proxmox-ve_9.2-1-auto-from-partition.iso --config
virsh -c qemu:///system detach-disk pve3 /var/lib/labctl/course/nodes/pve3/answer.img --config
virsh -c qemu:///system start pve3
until curl -ks -o /dev/null https://192.168.150.13:8006/api2/json/version; do sleep 2; done  # at most 15 min
openssl s_client -connect 192.168.150.13:8006 </dev/null 2>/dev/null | openssl x509 -noout -fingerprint -sha256  # recorded: nodes.pve3.pve.fingerprint
virsh -c qemu:///system shutdown pve3
virsh -c qemu:///system snapshot-create-as pve3 clean --disk-only --atomic
virsh -c qemu:///system start pve3  # its API answers with the same certificate
# 24. Log in to the Proxmox API of pve1 (pinned certificate)
ssh root@192.168.150.11 pvesh get /version
# 25. Log in to the Proxmox API of pve2 (pinned certificate)
ssh root@192.168.150.12 pvesh get /version
# 26. Log in to the Proxmox API of pve3 (pinned certificate)
ssh root@192.168.150.13 pvesh get /version
# 27. Create the Proxmox cluster on pve1
ssh root@192.168.150.11 pvecm create course --link0 192.168.150.11
# the cluster CA (pve-root-ca.pem), to check the joined nodes' certificates:
ssh root@192.168.150.11 pvesh get /nodes/pve1/certificates/info
# 28. Join pve2 to the Proxmox cluster
ssh root@192.168.150.11 pvesh get /cluster/config/join
ssh root@192.168.150.12 pvecm add 192.168.150.11 --fingerprint '<fingerprint of pve1>' --link0 192.168.150.12
# 29. Join pve3 to the Proxmox cluster
ssh root@192.168.150.11 pvesh get /cluster/config/join
ssh root@192.168.150.13 pvecm add 192.168.150.11 --fingerprint '<fingerprint of pve1>' --link0 192.168.150.13
# 30. Wait for the Proxmox cluster's quorum
ssh root@192.168.150.11 pvecm status
# 31. Add the lab's iSCSI target as Proxmox storage lab-iscsi
ssh root@192.168.150.11 pvesm add iscsi lab-iscsi --portal 192.168.150.1 --target iqn.2026-01.labctl.lab:course --content none
# 32. Add shared LVM storage lab-lvm on the lab's volume group
ssh root@192.168.150.11 pvesm add lvm lab-lvm --vgname vg_iscsi --shared 1 --content images,rootdir
# 33. Add directory storage lab-import for the VM's disk image
ssh root@192.168.150.11 pvesm add dir lab-import --path /var/lib/labctl-import --content import
# 34. Build the container template and upload it to pve2
# labctl-busybox_1.0_amd64.tar.gz: a busybox root file system built by labctl from /bin/busybox
# the API's upload (POST /nodes/NODE/storage/local/upload, content vztmpl) does what scp does:
scp labctl-busybox_1.0_amd64.tar.gz root@192.168.150.12:/var/lib/vz/template/cache/
# 35. Build the VM's disk image and upload it to pve1
# labctl-tiny.raw: a raw disk built by labctl: this host's kernel and a busybox initramfs (address by DHCP, answers ping), booted by syslinux
# the API's upload (POST /nodes/NODE/storage/lab-import/upload, content import) does what scp does:
scp labctl-tiny.raw root@192.168.150.11:/var/lib/labctl-import/import/
# 36. Create and start the VM on the shared LVM (pve1)
ssh root@192.168.150.11 qm create 100 --name lab-vm --memory 256 --cores 1 --ostype l26 --scsi0 lab-lvm:0,import-from=lab-import:import/labctl-tiny.raw --boot order=scsi0 --serial0 socket --net0 virtio=52:54:00:f6:29:06,bridge=vmbr0 --description labctl:course
ssh root@192.168.150.11 qm start 100
# 37. Create and start the container on the shared LVM (pve2)
ssh root@192.168.150.12 pct create 101 local:vztmpl/labctl-busybox_1.0_amd64.tar.gz --hostname lab-ct --memory 128 --ostype unmanaged --unprivileged 1 --rootfs lab-lvm:1 --net0 name=eth0,bridge=vmbr0,ip=192.168.150.51/24,gw=192.168.150.1 --description labctl:course
ssh root@192.168.150.12 pct start 101
# 38. Check that every node and guest answers
labctl status
