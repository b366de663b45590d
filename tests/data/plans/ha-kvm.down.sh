# labctl down --recipe @DATADIR@/tests/data/ha-kvm.lab: lab kvmha, in reverse order
# 1. Undo 'Check that every node and guest answers'
# 2. Undo 'Configure the cluster: fencing on, stickiness, the fence device'
# 3. Undo 'Wait until every node is online in pacemaker'
# 4. Undo 'Start pacemaker on node node3'
ssh -F /var/lib/labctl/kvmha/ssh/config -T node3 -- systemctl stop pacemaker.service
# 5. Undo 'Start pacemaker on node node2'
ssh -F /var/lib/labctl/kvmha/ssh/config -T node2 -- systemctl stop pacemaker.service
# 6. Undo 'Start pacemaker on node node1'
ssh -F /var/lib/labctl/kvmha/ssh/config -T node1 -- systemctl stop pacemaker.service
# 7. Undo 'Wait until corosync has quorum with every node's vote'
# 8. Undo 'Start corosync on node node3'
ssh -F /var/lib/labctl/kvmha/ssh/config -T node3 -- systemctl stop corosync.service
# 9. Undo 'Start corosync on node node2'
ssh -F /var/lib/labctl/kvmha/ssh/config -T node2 -- systemctl stop corosync.service
# 10. Undo 'Start corosync on node node1'
ssh -F /var/lib/labctl/kvmha/ssh/config -T node1 -- systemctl stop corosync.service
# 11. Undo 'Copy the lab's fence key to node node3'
# 12. Undo 'Copy the lab's fence key to node node2'
# 13. Undo 'Copy the lab's fence key to node node1'
# 14. Undo 'Start fence_virtd: the host's libvirt as the nodes' power switch'
pkill -TERM -f -x 'fence_virtd -F -w -f /var/lib/labctl/kvmha/fence_virtd.conf'
rm -f /var/lib/labctl/kvmha/fence_virtd.conf /var/lib/labctl/kvmha/fence_xvm.key
# 15. Undo 'Configure node node3: iSCSI login, shared VG, libvirt'
ssh -F /var/lib/labctl/kvmha/ssh/config -T node3 -- iscsiadm -m node -T iqn.2026-01.labctl.lab:kvmha -p 192.168.152.1:3260 --logout
# 16. Undo 'Configure node node2: iSCSI login, shared VG, libvirt'
ssh -F /var/lib/labctl/kvmha/ssh/config -T node2 -- iscsiadm -m node -T iqn.2026-01.labctl.lab:kvmha -p 192.168.152.1:3260 --logout
# 17. Undo 'Configure node node1: iSCSI login, shared VG, libvirt'
ssh -F /var/lib/labctl/kvmha/ssh/config -T node1 -- iscsiadm -m node -T iqn.2026-01.labctl.lab:kvmha -p 192.168.152.1:3260 --logout
# 18. Undo 'Wait until node node3 answers ssh'
# 19. Undo 'Wait until node node2 answers ssh'
# 20. Undo 'Wait until node node1 answers ssh'
# 21. Undo 'Start the nodes'
virsh -c qemu:///system shutdown node1
virsh -c qemu:///system shutdown node2
virsh -c qemu:///system shutdown node3
# 22. Undo 'Define node node3'
virsh -c qemu:///system shutdown node3  # then, after 60 s: virsh -c qemu:///system destroy node3
virsh -c qemu:///system undefine node3 --snapshots-metadata --nvram
# 23. Undo 'Define node node2'
virsh -c qemu:///system shutdown node2  # then, after 60 s: virsh -c qemu:///system destroy node2
virsh -c qemu:///system undefine node2 --snapshots-metadata --nvram
# 24. Undo 'Define node node1'
virsh -c qemu:///system shutdown node1  # then, after 60 s: virsh -c qemu:///system destroy node1
virsh -c qemu:///system undefine node1 --snapshots-metadata --nvram
# 25. Undo 'Write the node image and identity into node node3's disk'
# 26. Undo 'Write the node image and identity into node node2's disk'
# 27. Undo 'Write the node image and identity into node node1's disk'
# 28. Undo 'Generate the SSH keys of the lab and its nodes'
rm -r /var/lib/labctl/kvmha/ssh
# 29. Undo 'Build or reuse the node image'
# the node image stays in the machine's cache: /var/cache/labctl/node-images/kvm-6ccbaf1cf6651746
# 30. Undo 'Create the logical volume lv_node3'
lvremove --devices /dev/disk/by-path/ip-192.168.152.1:3260-iscsi-iqn.2026-01.labctl.lab:kvmha-lun-1 -y vg_iscsi/lv_node3
# 31. Undo 'Create the logical volume lv_node2'
lvremove --devices /dev/disk/by-path/ip-192.168.152.1:3260-iscsi-iqn.2026-01.labctl.lab:kvmha-lun-1 -y vg_iscsi/lv_node2
# 32. Undo 'Create the logical volume lv_node1'
lvremove --devices /dev/disk/by-path/ip-192.168.152.1:3260-iscsi-iqn.2026-01.labctl.lab:kvmha-lun-1 -y vg_iscsi/lv_node1
# 33. Undo 'Create the volume group'
vgremove --devices /dev/disk/by-path/ip-192.168.152.1:3260-iscsi-iqn.2026-01.labctl.lab:kvmha-lun-1 -y vg_iscsi
# 34. Undo 'Make the iSCSI disk an LVM physical volume'
pvremove --devices /dev/disk/by-path/ip-192.168.152.1:3260-iscsi-iqn.2026-01.labctl.lab:kvmha-lun-1 -y /dev/disk/by-path/ip-192.168.152.1:3260-iscsi-iqn.2026-01.labctl.lab:kvmha-lun-1
# 35. Undo 'Attach the iSCSI disk on this host'
iscsiadm -m node -T iqn.2026-01.labctl.lab:kvmha -p 192.168.152.1:3260 --logout
iscsiadm -m node -T iqn.2026-01.labctl.lab:kvmha -p 192.168.152.1:3260 -o delete
iscsiadm -m iface -I labctl-b995888ee555 -o delete
# 36. Undo 'Admit only the lab's own initiators to the target'
tgtadm --lld iscsi --op unbind --mode target --tid 1 --initiator-name iqn.2026-01.labctl.lab:kvmha:node1
tgtadm --lld iscsi --op unbind --mode target --tid 1 --initiator-name iqn.2026-01.labctl.lab:kvmha:node2
tgtadm --lld iscsi --op unbind --mode target --tid 1 --initiator-name iqn.2026-01.labctl.lab:kvmha:node3
tgtadm --lld iscsi --op unbind --mode target --tid 1 --initiator-name iqn.2026-01.labctl.lab:kvmha:host.labctl
# 37. Undo 'Add LUN 1 on the backing file'
tgtadm --lld iscsi --op delete --mode logicalunit --tid 1 --lun 1
# 38. Undo 'Create the iSCSI target'
tgtadm --lld iscsi --op delete --mode target --tid 1 --force
# 39. Undo 'Run the iSCSI target daemon (tgtd)'
# only if labctl started this tgtd:
tgtadm --op delete --mode system
# 40. Undo 'Create the sparse backing file'
rm -f /var/lib/labctl/kvmha/kvmha.img
# 41. Undo 'Create the lab network labctl-kvmha'
virsh -c qemu:///system net-destroy labctl-kvmha
virsh -c qemu:///system net-undefine labctl-kvmha
# 42. Undo 'Check the host (CPU, memory, disk, tools)'
