# labctl down --recipe @DATADIR@/recipes/kvm-3node.lab: lab kvm, in reverse order
# 1. Undo 'Check that every node and guest answers'
# 2. Undo 'Start the nodes'
virsh -c qemu:///system shutdown node1
virsh -c qemu:///system shutdown node2
virsh -c qemu:///system shutdown node3
# 3. Undo 'Define node node3'
virsh -c qemu:///system shutdown node3  # then, after 60 s: virsh -c qemu:///system destroy node3
virsh -c qemu:///system undefine node3 --snapshots-metadata --nvram
# 4. Undo 'Define node node2'
virsh -c qemu:///system shutdown node2  # then, after 60 s: virsh -c qemu:///system destroy node2
virsh -c qemu:///system undefine node2 --snapshots-metadata --nvram
# 5. Undo 'Define node node1'
virsh -c qemu:///system shutdown node1  # then, after 60 s: virsh -c qemu:///system destroy node1
virsh -c qemu:///system undefine node1 --snapshots-metadata --nvram
# 6. Undo 'Create the logical volume lv_node3'
lvremove --devices /dev/disk/by-path/ip-192.168.151.1:3260-iscsi-iqn.2026-01.labctl.lab:kvm-lun-1 -y vg_iscsi/lv_node3
# 7. Undo 'Create the logical volume lv_node2'
lvremove --devices /dev/disk/by-path/ip-192.168.151.1:3260-iscsi-iqn.2026-01.labctl.lab:kvm-lun-1 -y vg_iscsi/lv_node2
# 8. Undo 'Create the logical volume lv_node1'
lvremove --devices /dev/disk/by-path/ip-192.168.151.1:3260-iscsi-iqn.2026-01.labctl.lab:kvm-lun-1 -y vg_iscsi/lv_node1
# 9. Undo 'Create the volume group'
vgremove --devices /dev/disk/by-path/ip-192.168.151.1:3260-iscsi-iqn.2026-01.labctl.lab:kvm-lun-1 -y vg_iscsi
# 10. Undo 'Make the iSCSI disk an LVM physical volume'
pvremove --devices /dev/disk/by-path/ip-192.168.151.1:3260-iscsi-iqn.2026-01.labctl.lab:kvm-lun-1 -y /dev/disk/by-path/ip-192.168.151.1:3260-iscsi-iqn.2026-01.labctl.lab:kvm-lun-1
# 11. Undo 'Attach the iSCSI disk on this host'
iscsiadm -m node -T iqn.2026-01.labctl.lab:kvm -p 192.168.151.1:3260 --logout
iscsiadm -m node -T iqn.2026-01.labctl.lab:kvm -p 192.168.151.1:3260 -o delete
# 12. Undo 'Admit only the lab's addresses to the target'
tgtadm --lld iscsi --op unbind --mode target --tid 1 -I 192.168.151.0/24
# 13. Undo 'Add LUN 1 on the backing file'
tgtadm --lld iscsi --op delete --mode logicalunit --tid 1 --lun 1
# 14. Undo 'Create the iSCSI target'
tgtadm --lld iscsi --op delete --mode target --tid 1 --force
# 15. Undo 'Run the iSCSI target daemon (tgtd)'
# only if labctl started this tgtd:
tgtadm --op delete --mode system
# 16. Undo 'Create the sparse backing file'
rm -f /var/lib/labctl/kvm/kvm.img
# 17. Undo 'Create the lab network labctl-kvm'
virsh -c qemu:///system net-destroy labctl-kvm
virsh -c qemu:///system net-undefine labctl-kvm
# 18. Undo 'Check the host (CPU, memory, disk, tools)'
