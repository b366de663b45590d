# labctl down --recipe @DATADIR@/recipes/proxmox-3node.lab: lab course, in reverse order
# 1. Undo 'Check that every node and guest answers'
# 2. Undo 'Install Proxmox VE on the nodes and wait for their API'
# the snapshots "clean" go with the nodes' domains
# 3. Undo 'Start the nodes'
virsh -c qemu:///system shutdown pve1
virsh -c qemu:///system shutdown pve2
virsh -c qemu:///system shutdown pve3
# 4. Undo 'Define node pve3'
virsh -c qemu:///system shutdown pve3  # then, after 60 s: virsh -c qemu:///system destroy pve3
virsh -c qemu:///system undefine pve3 --snapshots-metadata --nvram
# 5. Undo 'Define node pve2'
virsh -c qemu:///system shutdown pve2  # then, after 60 s: virsh -c qemu:///system destroy pve2
virsh -c qemu:///system undefine pve2 --snapshots-metadata --nvram
# 6. Undo 'Define node pve1'
virsh -c qemu:///system shutdown pve1  # then, after 60 s: virsh -c qemu:///system destroy pve1
virsh -c qemu:///system undefine pve1 --snapshots-metadata --nvram
# 7. Undo 'Write the answer file of node pve3'
rm -f /var/lib/labctl/course/nodes/pve3/answer.img /var/lib/labctl/course/nodes/pve3/answer.toml /var/lib/labctl/course/nodes/pve3/console.log
# 8. Undo 'Write the answer file of node pve2'
rm -f /var/lib/labctl/course/nodes/pve2/answer.img /var/lib/labctl/course/nodes/pve2/answer.toml /var/lib/labctl/course/nodes/pve2/console.log
# 9. Undo 'Write the answer file of node pve1'
rm -f /var/lib/labctl/course/nodes/pve1/answer.img /var/lib/labctl/course/nodes/pve1/answer.toml /var/lib/labctl/course/nodes/pve1/console.log
rm -f /var/lib/labctl/course/ssh/id_ed25519 /var/lib/labctl/course/ssh/id_ed25519.pub  # labctl's key, when labctl made it
# 10. Undo 'Prepare the ISO for the automated installer'
# the prepared ISO stays in the ISO cache: labctl iso remove NAME
# 11. Undo 'Create the logical volume lv_pve3'
lvremove --devices /dev/disk/by-path/ip-192.168.150.1:3260-iscsi-iqn.2026-01.labctl.lab:course-lun-1 -y vg_iscsi/lv_pve3
# 12. Undo 'Create the logical volume lv_pve2'
lvremove --devices /dev/disk/by-path/ip-192.168.150.1:3260-iscsi-iqn.2026-01.labctl.lab:course-lun-1 -y vg_iscsi/lv_pve2
# 13. Undo 'Create the logical volume lv_pve1'
lvremove --devices /dev/disk/by-path/ip-192.168.150.1:3260-iscsi-iqn.2026-01.labctl.lab:course-lun-1 -y vg_iscsi/lv_pve1
# 14. Undo 'Create the volume group'
vgremove --devices /dev/disk/by-path/ip-192.168.150.1:3260-iscsi-iqn.2026-01.labctl.lab:course-lun-1 -y vg_iscsi
# 15. Undo 'Make the iSCSI disk an LVM physical volume'
pvremove --devices /dev/disk/by-path/ip-192.168.150.1:3260-iscsi-iqn.2026-01.labctl.lab:course-lun-1 -y /dev/disk/by-path/ip-192.168.150.1:3260-iscsi-iqn.2026-01.labctl.lab:course-lun-1
# 16. Undo 'Attach the iSCSI disk on this host'
iscsiadm -m node -T iqn.2026-01.labctl.lab:course -p 192.168.150.1:3260 --logout
iscsiadm -m node -T iqn.2026-01.labctl.lab:course -p 192.168.150.1:3260 -o delete
# 17. Undo 'Admit only the lab's own initiators to the target'
tgtadm --lld iscsi --op unbind --mode target --tid 1 -I 192.168.150.0/24
# 18. Undo 'Add LUN 1 on the backing file'
tgtadm --lld iscsi --op delete --mode logicalunit --tid 1 --lun 1
# 19. Undo 'Create the iSCSI target'
tgtadm --lld iscsi --op delete --mode target --tid 1 --force
# 20. Undo 'Run the iSCSI target daemon (tgtd)'
# only if labctl started this tgtd:
tgtadm --op delete --mode system
# 21. Undo 'Create the sparse backing file'
rm -f /var/lib/labctl/course/course.img
# 22. Undo 'Create the lab network labctl-course'
virsh -c qemu:///system net-destroy labctl-course
virsh -c qemu:///system net-undefine labctl-course
# 23. Undo 'Fetch the install ISO into the ISO cache'
# the ISO cache is shared by every lab and stays: labctl iso remove NAME
# 24. Undo 'Check the host (CPU, memory, disk, tools)'
