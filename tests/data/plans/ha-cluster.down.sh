# labctl down --recipe @DATADIR@/tests/data/ha-cluster.lab: lab e2eha, in reverse order
# 1. Undo 'Check that every node and guest answers'
# 2. Undo 'Make guest tiny a cluster resource (VirtualDomain)'
nsenter -t $(cat /var/lib/labctl/e2eha/nodes/node1/run/virtlogd.pid) -m -u -n -- crm_resource --resource tiny --meta --set-parameter target-role --parameter-value Stopped
nsenter -t $(cat /var/lib/labctl/e2eha/nodes/node1/run/virtlogd.pid) -m -u -n -- crm configure delete tiny
# 3. Undo 'Save the clean state of guest tiny (for reset)'
rm -f /var/lib/labctl/e2eha/guests/tiny.clean
# 4. Undo 'Start guest tiny and wait until it answers ping'
virsh -c 'qemu+unix:///system?socket=/var/lib/labctl/e2eha/nodes/node1/run/libvirt-sock' destroy tiny
# 5. Undo 'Define guest tiny'
virsh -c 'qemu+unix:///system?socket=/var/lib/labctl/e2eha/nodes/node1/run/libvirt-sock' destroy tiny
virsh -c 'qemu+unix:///system?socket=/var/lib/labctl/e2eha/nodes/node1/run/libvirt-sock' undefine tiny
# 6. Undo 'Find the place of guest tiny's disk on the shared LUN'
# 7. Undo 'Configure the cluster: fencing on, stickiness, the fence device'
# 8. Undo 'Wait until every node is online in pacemaker'
# 9. Undo 'Start pacemaker on node node3'
nsenter -t $(cat /var/lib/labctl/e2eha/nodes/node3/run/virtlogd.pid) -m -u -n -- pacemakerd --shutdown
# 10. Undo 'Start pacemaker on node node2'
nsenter -t $(cat /var/lib/labctl/e2eha/nodes/node2/run/virtlogd.pid) -m -u -n -- pacemakerd --shutdown
# 11. Undo 'Start pacemaker on node node1'
nsenter -t $(cat /var/lib/labctl/e2eha/nodes/node1/run/virtlogd.pid) -m -u -n -- pacemakerd --shutdown
# 12. Undo 'Wait until corosync has quorum with every node's vote'
# 13. Undo 'Start corosync on node node3'
nsenter -t $(cat /var/lib/labctl/e2eha/nodes/node3/run/virtlogd.pid) -m -u -n -- pkill -TERM -x corosync
# 14. Undo 'Start corosync on node node2'
nsenter -t $(cat /var/lib/labctl/e2eha/nodes/node2/run/virtlogd.pid) -m -u -n -- pkill -TERM -x corosync
# 15. Undo 'Start corosync on node node1'
nsenter -t $(cat /var/lib/labctl/e2eha/nodes/node1/run/virtlogd.pid) -m -u -n -- pkill -TERM -x corosync
# 16. Undo 'Start virtlogd and libvirtd of node node3'
virsh -c 'qemu+unix:///system?socket=/var/lib/labctl/e2eha/nodes/node3/run/libvirt-sock' list --name | xargs -r -n1 virsh -c 'qemu+unix:///system?socket=/var/lib/labctl/e2eha/nodes/node3/run/libvirt-sock' destroy
kill $(cat /var/lib/labctl/e2eha/nodes/node3/run/libvirtd.pid)
kill $(cat /var/lib/labctl/e2eha/nodes/node3/run/virtlogd.pid)
rm -rf /var/lib/labctl/e2eha/nodes/node3
# 17. Undo 'Start virtlogd and libvirtd of node node2'
virsh -c 'qemu+unix:///system?socket=/var/lib/labctl/e2eha/nodes/node2/run/libvirt-sock' list --name | xargs -r -n1 virsh -c 'qemu+unix:///system?socket=/var/lib/labctl/e2eha/nodes/node2/run/libvirt-sock' destroy
kill $(cat /var/lib/labctl/e2eha/nodes/node2/run/libvirtd.pid)
kill $(cat /var/lib/labctl/e2eha/nodes/node2/run/virtlogd.pid)
rm -rf /var/lib/labctl/e2eha/nodes/node2
# 18. Undo 'Start virtlogd and libvirtd of node node1'
virsh -c 'qemu+unix:///system?socket=/var/lib/labctl/e2eha/nodes/node1/run/libvirt-sock' list --name | xargs -r -n1 virsh -c 'qemu+unix:///system?socket=/var/lib/labctl/e2eha/nodes/node1/run/libvirt-sock' destroy
kill $(cat /var/lib/labctl/e2eha/nodes/node1/run/libvirtd.pid)
kill $(cat /var/lib/labctl/e2eha/nodes/node1/run/virtlogd.pid)
rm -rf /var/lib/labctl/e2eha/nodes/node1
# 19. Undo 'Create the network namespace of node node3'
ip netns del labctl-e2eha-node3
# 20. Undo 'Create the network namespace of node node2'
ip netns del labctl-e2eha-node2
# 21. Undo 'Create the network namespace of node node1'
ip netns del labctl-e2eha-node1
# 22. Undo 'Create the logical volume lv_tiny'
lvremove --devices /dev/disk/by-path/ip-10.99.0.1:3260-iscsi-iqn.2026-01.labctl.lab:e2eha-lun-1 -y vg_iscsi/lv_tiny
# 23. Undo 'Create the logical volume lv_node3'
lvremove --devices /dev/disk/by-path/ip-10.99.0.1:3260-iscsi-iqn.2026-01.labctl.lab:e2eha-lun-1 -y vg_iscsi/lv_node3
# 24. Undo 'Create the logical volume lv_node2'
lvremove --devices /dev/disk/by-path/ip-10.99.0.1:3260-iscsi-iqn.2026-01.labctl.lab:e2eha-lun-1 -y vg_iscsi/lv_node2
# 25. Undo 'Create the logical volume lv_node1'
lvremove --devices /dev/disk/by-path/ip-10.99.0.1:3260-iscsi-iqn.2026-01.labctl.lab:e2eha-lun-1 -y vg_iscsi/lv_node1
# 26. Undo 'Create the volume group'
vgremove --devices /dev/disk/by-path/ip-10.99.0.1:3260-iscsi-iqn.2026-01.labctl.lab:e2eha-lun-1 -y vg_iscsi
# 27. Undo 'Make the iSCSI disk an LVM physical volume'
pvremove --devices /dev/disk/by-path/ip-10.99.0.1:3260-iscsi-iqn.2026-01.labctl.lab:e2eha-lun-1 -y /dev/disk/by-path/ip-10.99.0.1:3260-iscsi-iqn.2026-01.labctl.lab:e2eha-lun-1
# 28. Undo 'Attach the iSCSI disk on this host'
iscsiadm -m node -T iqn.2026-01.labctl.lab:e2eha -p 10.99.0.1:3260 --logout
iscsiadm -m node -T iqn.2026-01.labctl.lab:e2eha -p 10.99.0.1:3260 -o delete
# 29. Undo 'Admit only the lab's own initiators to the target'
tgtadm --lld iscsi --op unbind --mode target --tid 1 -I 10.99.0.0/24
# 30. Undo 'Add LUN 1 on the backing file'
tgtadm --lld iscsi --op delete --mode logicalunit --tid 1 --lun 1
# 31. Undo 'Create the iSCSI target'
tgtadm --lld iscsi --op delete --mode target --tid 1 --force
# 32. Undo 'Run the iSCSI target daemon (tgtd)'
# only if labctl started this tgtd:
tgtadm --op delete --mode system
# 33. Undo 'Create the sparse backing file'
rm -f /var/lib/labctl/e2eha/e2eha.img
# 34. Undo 'Create the lab bridge lab-e2eha with the gateway address'
ip link del lab-e2eha
# 35. Undo 'Check the host (CPU, memory, disk, tools)'
