# labctl down --recipe @DATADIR@/tests/data/ha-kvm.lab: lab kvmha, in reverse order
# 1. Undo 'Check that every node and guest answers'
# 2. Undo 'Make guest tiny a cluster resource (VirtualDomain)'
ssh -F /var/lib/labctl/kvmha/ssh/config -T node1 -- crm_resource --resource tiny --meta --set-parameter target-role --parameter-value Stopped
ssh -F /var/lib/labctl/kvmha/ssh/config -T node1 -- crm_resource --resource tiny-disk --meta --set-parameter target-role --parameter-value Stopped
ssh -F /var/lib/labctl/kvmha/ssh/config -T node1 -- crm configure delete tiny tiny-disk
# 3. Undo 'Start guest tiny and wait until it answers ping'
virsh -c 'qemu+libssh://root@192.168.152.11/system?keyfile=/var/lib/labctl/kvmha/ssh/id_ed25519&known_hosts=/var/lib/labctl/kvmha/ssh/known_hosts&known_hosts_verify=normal&sshauth=privkey' destroy tiny
# 4. Undo 'Define guest tiny'
virsh -c 'qemu+libssh://root@192.168.152.11/system?keyfile=/var/lib/labctl/kvmha/ssh/id_ed25519&known_hosts=/var/lib/labctl/kvmha/ssh/known_hosts&known_hosts_verify=normal&sshauth=privkey' destroy tiny
virsh -c 'qemu+libssh://root@192.168.152.11/system?keyfile=/var/lib/labctl/kvmha/ssh/id_ed25519&known_hosts=/var/lib/labctl/kvmha/ssh/known_hosts&known_hosts_verify=normal&sshauth=privkey' undefine tiny
# 5. Undo 'Configure the cluster: fencing on, stickiness, the fence device'
# 6. Undo 'Wait until every node is online in pacemaker'
# 7. Undo 'Start pacemaker on node node3'
ssh -F /var/lib/labctl/kvmha/ssh/config -T node3 -- systemctl stop pacemaker.service
# 8. Undo 'Start pacemaker on node node2'
ssh -F /var/lib/labctl/kvmha/ssh/config -T node2 -- systemctl stop pacemaker.service
# 9. Undo 'Start pacemaker on node node1'
ssh -F /var/lib/labctl/kvmha/ssh/config -T node1 -- systemctl stop pacemaker.service
# 10. Undo 'Wait until corosync has quorum with every node's vote'
# 11. Undo 'Start corosync on node node3'
ssh -F /var/lib/labctl/kvmha/ssh/config -T node3 -- systemctl stop corosync.service
# 12. Undo 'Start corosync on node node2'
ssh -F /var/lib/labctl/kvmha/ssh/config -T node2 -- systemctl stop corosync.service
# 13. Undo 'Start corosync on node node1'
ssh -F /var/lib/labctl/kvmha/ssh/config -T node1 -- systemctl stop corosync.service
# 14. Undo 'Copy the lab's fence key to node node3'
# 15. Undo 'Copy the lab's fence key to node node2'
# 16. Undo 'Copy the lab's fence key to node node1'
# 17. Undo 'Start fence_virtd: the host's libvirt as the nodes' power switch'
pkill -TERM -f -x 'fence_virtd -F -w -d2 -f /var/lib/labctl/kvmha/fence_virtd.conf'
rm -f /var/lib/labctl/kvmha/fence_virtd.conf /var/lib/labctl/kvmha/fence_xvm.key
# 18. Undo 'Configure node node3: iSCSI login, shared VG, libvirt'
ssh -F /var/lib/labctl/kvmha/ssh/config -T node3 -- iscsiadm -m node -T iqn.2026-01.labctl.lab:kvmha -p 192.168.152.1:3260 --logout
# 19. Undo 'Configure node node2: iSCSI login, shared VG, libvirt'
ssh -F /var/lib/labctl/kvmha/ssh/config -T node2 -- iscsiadm -m node -T iqn.2026-01.labctl.lab:kvmha -p 192.168.152.1:3260 --logout
# 20. Undo 'Configure node node1: iSCSI login, shared VG, libvirt'
ssh -F /var/lib/labctl/kvmha/ssh/config -T node1 -- iscsiadm -m node -T iqn.2026-01.labctl.lab:kvmha -p 192.168.152.1:3260 --logout
# 21. Undo 'Wait until node node3 answers ssh'
# 22. Undo 'Wait until node node2 answers ssh'
# 23. Undo 'Wait until node node1 answers ssh'
# 24. Undo 'Start the nodes'
virsh -c qemu:///system shutdown node1
virsh -c qemu:///system shutdown node2
virsh -c qemu:///system shutdown node3
# 25. Undo 'Define node node3'
virsh -c qemu:///system shutdown node3  # then, after 60 s: virsh -c qemu:///system destroy node3
virsh -c qemu:///system undefine node3 --snapshots-metadata --nvram
# 26. Undo 'Define node node2'
virsh -c qemu:///system shutdown node2  # then, after 60 s: virsh -c qemu:///system destroy node2
virsh -c qemu:///system undefine node2 --snapshots-metadata --nvram
# 27. Undo 'Define node node1'
virsh -c qemu:///system shutdown node1  # then, after 60 s: virsh -c qemu:///system destroy node1
virsh -c qemu:///system undefine node1 --snapshots-metadata --nvram
# 28. Undo 'Write the node image and identity into node node3's disk'
# 29. Undo 'Write the node image and identity into node node2's disk'
# 30. Undo 'Write the node image and identity into node node1's disk'
# 31. Undo 'Generate the SSH keys of the lab and its nodes'
rm -r /var/lib/labctl/kvmha/ssh
# 32. Undo 'Build or reuse the node image'
# the node image stays in the machine's cache: /var/cache/labctl/node-images/kvm-6ccbaf1cf6651746
# 33. Undo 'Create the logical volume lv_tiny'
lvremove --devices /dev/disk/by-path/ip-192.168.152.1:3260-iscsi-iqn.2026-01.labctl.lab:kvmha-lun-1 -y vg_iscsi/lv_tiny
# 34. Undo 'Create the logical volume lv_node3'
lvremove --devices /dev/disk/by-path/ip-192.168.152.1:3260-iscsi-iqn.2026-01.labctl.lab:kvmha-lun-1 -y vg_iscsi/lv_node3
# 35. Undo 'Create the logical volume lv_node2'
lvremove --devices /dev/disk/by-path/ip-192.168.152.1:3260-iscsi-iqn.2026-01.labctl.lab:kvmha-lun-1 -y vg_iscsi/lv_node2
# 36. Undo 'Create the logical volume lv_node1'
lvremove --devices /dev/disk/by-path/ip-192.168.152.1:3260-iscsi-iqn.2026-01.labctl.lab:kvmha-lun-1 -y vg_iscsi/lv_node1
# 37. Undo 'Create the volume group'
vgremove --devices /dev/disk/by-path/ip-192.168.152.1:3260-iscsi-iqn.2026-01.labctl.lab:kvmha-lun-1 -y vg_iscsi
# 38. Undo 'Make the iSCSI disk an LVM physical volume'
pvremove --devices /dev/disk/by-path/ip-192.168.152.1:3260-iscsi-iqn.2026-01.labctl.lab:kvmha-lun-1 -y /dev/disk/by-path/ip-192.168.152.1:3260-iscsi-iqn.2026-01.labctl.lab:kvmha-lun-1
# 39. Undo 'Attach the iSCSI disk on this host'
iscsiadm -m node -T iqn.2026-01.labctl.lab:kvmha -p 192.168.152.1:3260 --logout
iscsiadm -m node -T iqn.2026-01.labctl.lab:kvmha -p 192.168.152.1:3260 -o delete
iscsiadm -m iface -I labctl-b995888ee555 -o delete
# 40. Undo 'Admit only the lab's own initiators to the target'
tgtadm --lld iscsi --op unbind --mode target --tid 1 --initiator-name iqn.2026-01.labctl.lab:kvmha:node1
tgtadm --lld iscsi --op unbind --mode target --tid 1 --initiator-name iqn.2026-01.labctl.lab:kvmha:node2
tgtadm --lld iscsi --op unbind --mode target --tid 1 --initiator-name iqn.2026-01.labctl.lab:kvmha:node3
tgtadm --lld iscsi --op unbind --mode target --tid 1 --initiator-name iqn.2026-01.labctl.lab:kvmha:host.labctl
# 41. Undo 'Add LUN 1 on the backing file'
tgtadm --lld iscsi --op delete --mode logicalunit --tid 1 --lun 1
# 42. Undo 'Create the iSCSI target'
tgtadm --lld iscsi --op delete --mode target --tid 1 --force
# 43. Undo 'Run the iSCSI target daemon (tgtd)'
# only if labctl started this tgtd:
tgtadm --op delete --mode system
# 44. Undo 'Create the sparse backing file'
rm -f /var/lib/labctl/kvmha/kvmha.img
# 45. Undo 'Create the lab network labctl-kvmha'
virsh -c qemu:///system net-destroy labctl-kvmha
virsh -c qemu:///system net-undefine labctl-kvmha
# 46. Undo 'Check the host (CPU, memory, disk, tools)'
