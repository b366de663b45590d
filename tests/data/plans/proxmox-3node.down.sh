# labctl down --recipe @DATADIR@/recipes/proxmox-3node.lab: lab course, in reverse order
# 1. Undo 'Check that every node and guest answers'
# 2. Undo 'Create and start the container on the shared LVM (pve2)'
ssh root@192.168.150.12 pct stop 101
ssh root@192.168.150.12 pct destroy 101
# 3. Undo 'Create and start the VM on the shared LVM (pve1)'
ssh root@192.168.150.11 qm stop 100
ssh root@192.168.150.11 qm destroy 100
# 4. Undo 'Build the VM's disk image and upload it to pve1'
ssh root@192.168.150.11 pvesm free lab-import:import/labctl-tiny.raw
# 5. Undo 'Build the container template and upload it to pve2'
ssh root@192.168.150.12 pvesm free local:vztmpl/labctl-busybox_1.0_amd64.tar.gz
# 6. Undo 'Add directory storage lab-import for the VM's disk image'
ssh root@192.168.150.11 pvesm remove lab-import
# 7. Undo 'Add shared LVM storage lab-lvm on the lab's volume group'
ssh root@192.168.150.11 pvesm remove lab-lvm
# 8. Undo 'Add the lab's iSCSI target as Proxmox storage lab-iscsi'
ssh root@192.168.150.11 pvesm remove lab-iscsi
# 9. Undo 'Wait for the Proxmox cluster's quorum'
# 10. Undo 'Join pve3 to the Proxmox cluster'
# the cluster goes with the nodes' disks
# 11. Undo 'Join pve2 to the Proxmox cluster'
# the cluster goes with the nodes' disks
# 12. Undo 'Create the Proxmox cluster on pve1'
# the cluster goes with the nodes' disks
# 13. Undo 'Log in to the Proxmox API of pve3 (pinned certificate)'
# 14. Undo 'Log in to the Proxmox API of pve2 (pinned certificate)'
# 15. Undo 'Log in to the Proxmox API of pve1 (pinned certificate)'
# 16. Undo 'Install Proxmox VE on the nodes and wait for their API'
# the snapshots "clean" go with the nodes' domains
# 17. Undo 'Start the nodes'
virsh -c qemu:///system shutdown pve1
virsh -c qemu:///system shutdown pve2
virsh -c qemu:///system shutdown pve3
# 18. Undo 'Define node pve3'
virsh -c qemu:///system shutdown pve3  # then, after 60 s: virsh -c qemu:///system destroy pve3
virsh -c qemu:///system undefine pve3 --snapshots-metadata --nvram
# 19. Undo 'Define node pve2'
virsh -c qemu:///system shutdown pve2  # then, after 60 s: virsh -c qemu:///system destroy pve2
virsh -c qemu:///system undefine pve2 --snapshots-metadata --nvram
# 20. Undo 'Define node pve1'
virsh -c qemu:///system shutdown pve1  # then, after 60 s: virsh -c qemu:///system destroy pve1
virsh -c qemu:///system undefine pve1 --snapshots-metadata --nvram
# 21. Undo 'Write the answer file of node pve3'
rm -f /var/lib/labctl/course/nodes/pve3/answer.img /var/lib/labctl/course/nodes/pve3/answer.toml /var/lib/labctl/course/nodes/pve3/console.log
# 22. Undo 'Write the answer file of node pve2'
rm -f /var/lib/labctl/course/nodes/pve2/answer.img /var/lib/labctl/course/nodes/pve2/answer.toml /var/lib/labctl/course/nodes/pve2/console.log
# 23. Undo 'Write the answer file of node pve1'
rm -f /var/lib/labctl/course/nodes/pve1/answer.img /var/lib/labctl/course/nodes/pve1/answer.toml /var/lib/labctl/course/nodes/pve1/console.log
rm -f /var/lib/labctl/course/ssh/id_ed25519 /var/lib/labctl/course/ssh/id_ed25519.pub  # labctl's key, when labctl made it
# 24. Undo 'Prepare the ISO for the automated installer'
# the prepared ISO stays in the ISO cache: labctl iso remove NAME
# 25. Undo 'Create the logical volume lv_pve3'
lvremove --devices /dev/disk/by-path/ip-192.168.150.1:3260-iscsi-iqn.2026-01.labctl.lab:course-lun-1 -y vg_iscsi/lv_pve3
# 26. Undo 'Create the logical volume lv_pve2'
lvremove --devices /dev/disk/by-path/ip-192.168.150.1:3260-iscsi-iqn.2026-01.labctl.lab:course-lun-1 -y vg_iscsi/lv_pve2
# 27. Undo 'Create the logical volume lv_pve1'
lvremove --devices /dev/disk/by-path/ip-192.168.150.1:3260-iscsi-iqn.2026-01.labctl.lab:course-lun-1 -y vg_iscsi/lv_pve1
# 28. Undo 'Create the volume group'
vgremove --devices /dev/disk/by-path/ip-192.168.150.1:3260-iscsi-iqn.2026-01.labctl.lab:course-lun-1 -y vg_iscsi
# 29. Undo 'Make the iSCSI disk an LVM physical volume'
pvremove --devices /dev/disk/by-path/ip-192.168.150.1:3260-iscsi-iqn.2026-01.labctl.lab:course-lun-1 -y /dev/disk/by-path/ip-192.168.150.1:3260-iscsi-iqn.2026-01.labctl.lab:course-lun-1
# 30. Undo 'Attach the iSCSI disk on this host'
iscsiadm -m node -T iqn.2026-01.labctl.lab:course -p 192.168.150.1:3260 --logout
iscsiadm -m node -T iqn.2026-01.labctl.lab:course -p 192.168.150.1:3260 -o delete
# 31. Undo 'Admit only the lab's own initiators to the target'
tgtadm --lld iscsi --op unbind --mode target --tid 1 -I 192.168.150.0/24
# 32. Undo 'Add LUN 1 on the backing file'
tgtadm --lld iscsi --op delete --mode logicalunit --tid 1 --lun 1
# 33. Undo 'Create the iSCSI target'
tgtadm --lld iscsi --op delete --mode target --tid 1 --force
# 34. Undo 'Run the iSCSI target daemon (tgtd)'
# only if labctl started this tgtd:
tgtadm --op delete --mode system
# 35. Undo 'Create the sparse backing file'
rm -f /var/lib/labctl/course/course.img
# 36. Undo 'Create the lab network labctl-course'
virsh -c qemu:///system net-destroy labctl-course
virsh -c qemu:///system net-undefine labctl-course
# 37. Undo 'Fetch the install ISO into the ISO cache'
# the ISO cache is shared by every lab and stays: labctl iso remove NAME
# 38. Undo 'Check the host (CPU, memory, disk, tools)'
