# labctl reset --recipe @DATADIR@/recipes/proxmox-3node.lab: lab course, flavor proxmox
# The flavor's reset takes the nodes back to their clean state; what these steps of 'labctl up' made goes with it, so they run again (as root), in order; every other step is only checked:
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
