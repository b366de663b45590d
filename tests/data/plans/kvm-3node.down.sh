# labctl down --recipe @DATADIR@/recipes/kvm-3node.lab: lab kvm, in reverse order
# 1. Undo 'Check that every node and guest answers'
# 2. Undo 'Configure node node3: iSCSI login, shared VG, libvirt'
ssh -F /var/lib/labctl/kvm/ssh/config -T node3 -- iscsiadm -m node -T iqn.2026-01.labctl.lab:kvm -p 192.168.151.1:3260 --logout
# 3. Undo 'Configure node node2: iSCSI login, shared VG, libvirt'
ssh -F /var/lib/labctl/kvm/ssh/config -T node2 -- iscsiadm -m node -T iqn.2026-01.labctl.lab:kvm -p 192.168.151.1:3260 --logout
# 4. Undo 'Configure node node1: iSCSI login, shared VG, libvirt'
ssh -F /var/lib/labctl/kvm/ssh/config -T node1 -- iscsiadm -m node -T iqn.2026-01.labctl.lab:kvm -p 192.168.151.1:3260 --logout
# 5. Undo 'Wait until node node3 answers ssh'
# 6. Undo 'Wait until node node2 answers ssh'
# 7. Undo 'Wait until node node1 answers ssh'
# 8. Undo 'Start the nodes'
virsh -c qemu:///system shutdown node1
virsh -c qemu:///system shutdown node2
virsh -c qemu:///system shutdown node3
# 9. Undo 'Define node node3'
virsh -c qemu:///system shutdown node3  # then, after 60 s: virsh -c qemu:///system destroy node3
virsh -c qemu:///system undefine node3 --snapshots-metadata --nvram
# 10. Undo 'Define node node2'
virsh -c qemu:///system shutdown node2  # then, after 60 s: virsh -c qemu:///system destroy node2
virsh -c qemu:///system undefine node2 --snapshots-metadata --nvram
# 11. Undo 'Define node node1'
virsh -c qemu:///system shutdown node1  # then, after 60 s: virsh -c qemu:///system destroy node1
virsh -c qemu:///system undefine node1 --snapshots-metadata --nvram
# 12. Undo 'Write the node image and identity into node node3's disk'
# 13. Undo 'Write the node image and identity into node node2's disk'
# 14. Undo 'Write the node image and identity into node node1's disk'
# 15. Undo 'Generate the SSH keys of the lab and its nodes'
rm -r /var/lib/labctl/kvm/ssh
# 16. Undo 'Build or reuse the node image'
# the node image stays in the machine's cache: /var/cache/labctl/node-images/kvm-6ccbaf1cf6651746
# 17. Undo 'Create the logical volume lv_node3'
lvremove --devices /dev/disk/by-path/ip-192.168.151.1:3260-iscsi-iqn.2026-01.labctl.lab:kvm-lun-1 -y vg_iscsi/lv_node3
# 18. Undo 'Create the logical volume lv_node2'
lvremove --devices /dev/disk/by-path/ip-192.168.151.1:3260-iscsi-iqn.2026-01.labctl.lab:kvm-lun-1 -y vg_iscsi/lv_node2
# 19. Undo 'Create the logical volume lv_node1'
lvremove --devices /dev/disk/by-path/ip-192.168.151.1:3260-iscsi-iqn.2026-01.labctl.lab:kvm-lun-1 -y vg_iscsi/lv_node1
# 20. Undo 'Create the volume group'
vgremove --devices /dev/disk/by-path/ip-192.168.151.1:3260-iscsi-iqn.2026-01.labctl.lab:kvm-lun-1 -y vg_iscsi
# 21. Undo 'Make the iSCSI disk an LVM physical volume'
pvremove --devices /dev/disk/by-path/ip-192.168.151.1:3260-iscsi-iqn.2026-01.labctl.lab:kvm-lun-1 -y /dev/disk/by-path/ip-192.168.151.1:3260-iscsi-iqn.2026-01.labctl.lab:kvm-lun-1
# 22. Undo 'Attach the iSCSI disk on this host'
iscsiadm -m node -T iqn.2026-01.labctl.lab:kvm -p 192.168.151.1:3260 --logout
iscsiadm -m node -T iqn.2026-01.labctl.lab:kvm -p 192.168.151.1:3260 -o delete
iscsiadm -m iface -I labctl-d6a9e8297b9b -o delete
# 23. Undo 'Admit only the lab's own initiators to the target'
tgtadm --lld iscsi --op unbind --mode target --tid 1 --initiator-name iqn.2026-01.labctl.lab:kvm:node1
tgtadm --lld iscsi --op unbind --mode target --tid 1 --initiator-name iqn.2026-01.labctl.lab:kvm:node2
tgtadm --lld iscsi --op unbind --mode target --tid 1 --initiator-name iqn.2026-01.labctl.lab:kvm:node3
tgtadm --lld iscsi --op unbind --mode target --tid 1 --initiator-name iqn.2026-01.labctl.lab:kvm:host.labctl
# 24. Undo 'Add LUN 1 on the backing file'
tgtadm --lld iscsi --op delete --mode logicalunit --tid 1 --lun 1
# 25. Undo 'Create the iSCSI target'
tgtadm --lld iscsi --op delete --mode target --tid 1 --force
# 26. Undo 'Run the iSCSI target daemon (tgtd)'
# only if labctl started this tgtd:
tgtadm --op delete --mode system
# 27. Undo 'Create the sparse backing file'
rm -f /var/lib/labctl/kvm/kvm.img
# 28. Undo 'Create the lab network labctl-kvm'
virsh -c qemu:///system net-destroy labctl-kvm
virsh -c qemu:///system net-undefine labctl-kvm
# 29. Undo 'Check the host (CPU, memory, disk, tools)'
