# labctl down --recipe @DATADIR@/tests/data/ha-cluster.lab: lab e2eha, in reverse order
# 1. Check that every node and guest answers
# 2. Make guest tiny a cluster resource (VirtualDomain)
nsenter -t $(cat /var/lib/labctl/e2eha/nodes/node1/run/virtlogd.pid) -m -u -n -- crm_resource --resource tiny --meta --set-parameter target-role --parameter-value Stopped
nsenter -t $(cat /var/lib/labctl/e2eha/nodes/node1/run/virtlogd.pid) -m -u -n -- crm configure delete tiny
# 3. Save the clean state of guest tiny (for reset)
rm -f /var/lib/labctl/e2eha/guests/tiny.clean
# 4. Start guest tiny and wait until it answers ping
virsh -c 'qemu+unix:///system?socket=/var/lib/labctl/e2eha/nodes/node1/run/libvirt-sock' destroy tiny
# 5. Define guest tiny
virsh -c 'qemu+unix:///system?socket=/var/lib/labctl/e2eha/nodes/node1/run/libvirt-sock' destroy tiny
virsh -c 'qemu+unix:///system?socket=/var/lib/labctl/e2eha/nodes/node1/run/libvirt-sock' undefine tiny
# 6. Find the place of guest tiny's disk on the shared LUN
# 7. Configure the cluster: fencing on, stickiness, the fence device
# 8. Wait until every node is online in pacemaker
# 9. Start pacemaker on node node3
nsenter -t $(cat /var/lib/labctl/e2eha/nodes/node3/run/virtlogd.pid) -m -u -n -- pacemakerd --shutdown
# 10. Start pacemaker on node node2
nsenter -t $(cat /var/lib/labctl/e2eha/nodes/node2/run/virtlogd.pid) -m -u -n -- pacemakerd --shutdown
# 11. Start pacemaker on node node1
nsenter -t $(cat /var/lib/labctl/e2eha/nodes/node1/run/virtlogd.pid) -m -u -n -- pacemakerd --shutdown
# 12. Wait until corosync has quorum with every node's vote
# 13. Start corosync on node node3
nsenter -t $(cat /var/lib/labctl/e2eha/nodes/node3/run/virtlogd.pid) -m -u -n -- pkill -TERM -x corosync
# 14. Start corosync on node node2
nsenter -t $(cat /var/lib/labctl/e2eha/nodes/node2/run/virtlogd.pid) -m -u -n -- pkill -TERM -x corosync
# 15. Start corosync on node node1
nsenter -t $(cat /var/lib/labctl/e2eha/nodes/node1/run/virtlogd.pid) -m -u -n -- pkill -TERM -x corosync
# 16. Start virtlogd and libvirtd of node node3
virsh -c 'qemu+unix:///system?socket=/var/lib/labctl/e2eha/nodes/node3/run/libvirt-sock' list --name | xargs -r -n1 virsh -c 'qemu+unix:///system?socket=/var/lib/labctl/e2eha/nodes/node3/run/libvirt-sock' destroy
kill $(cat /var/lib/labctl/e2eha/nodes/node3/run/libvirtd.pid)
kill $(cat /var/lib/labctl/e2eha/nodes/node3/run/virtlogd.pid)
rm -rf /var/lib/labctl/e2eha/nodes/node3
# 17. Start virtlogd and libvirtd of node node2
virsh -c 'qemu+unix:///system?socket=/var/lib/labctl/e2eha/nodes/node2/run/libvirt-sock' list --name | xargs -r -n1 virsh -c 'qemu+unix:///system?socket=/var/lib/labctl/e2eha/nodes/node2/run/libvirt-sock' destroy
kill $(cat /var/lib/labctl/e2eha/nodes/node2/run/libvirtd.pid)
kill $(cat /var/lib/labctl/e2eha/nodes/node2/run/virtlogd.pid)
rm -rf /var/lib/labctl/e2eha/nodes/node2
# 18. Start virtlogd and libvirtd of node node1
virsh -c 'qemu+unix:///system?socket=/var/lib/labctl/e2eha/nodes/node1/run/libvirt-sock' list --name | xargs -r -n1 virsh -c 'qemu+unix:///system?socket=/var/lib/labctl/e2eha/nodes/node1/run/libvirt-sock' destroy
kill $(cat /var/lib/labctl/e2eha/nodes/node1/run/libvirtd.pid)
kill $(cat /var/lib/labctl/e2eha/nodes/node1/run/virtlogd.pid)
rm -rf /var/lib/labctl/e2eha/nodes/node1
# 19. Create the network namespace of node node3
ip netns del labctl-e2eha-node3
# 20. Create the network namespace of node node2
ip netns del labctl-e2eha-node2
# 21. Create the network namespace of node node1
ip netns del labctl-e2eha-node1
# 22. Create the logical volume lv_tiny
lvremove --devices /dev/disk/by-path/ip-10.99.0.1:3260-iscsi-iqn.2026-01.labctl.lab:e2eha-lun-1 -y vg_iscsi/lv_tiny
# 23. Create the logical volume lv_node3
lvremove --devices /dev/disk/by-path/ip-10.99.0.1:3260-iscsi-iqn.2026-01.labctl.lab:e2eha-lun-1 -y vg_iscsi/lv_node3
# 24. Create the logical volume lv_node2
lvremove --devices /dev/disk/by-path/ip-10.99.0.1:3260-iscsi-iqn.2026-01.labctl.lab:e2eha-lun-1 -y vg_iscsi/lv_node2
# 25. Create the logical volume lv_node1
lvremove --devices /dev/disk/by-path/ip-10.99.0.1:3260-iscsi-iqn.2026-01.labctl.lab:e2eha-lun-1 -y vg_iscsi/lv_node1
# 26. Create the volume group
vgremove --devices /dev/disk/by-path/ip-10.99.0.1:3260-iscsi-iqn.2026-01.labctl.lab:e2eha-lun-1 -y vg_iscsi
# 27. Make the iSCSI disk an LVM physical volume
pvremove --devices /dev/disk/by-path/ip-10.99.0.1:3260-iscsi-iqn.2026-01.labctl.lab:e2eha-lun-1 -y /dev/disk/by-path/ip-10.99.0.1:3260-iscsi-iqn.2026-01.labctl.lab:e2eha-lun-1
# 28. Attach the iSCSI disk on this host
iscsiadm -m node -T iqn.2026-01.labctl.lab:e2eha -p 10.99.0.1:3260 --logout
iscsiadm -m node -T iqn.2026-01.labctl.lab:e2eha -p 10.99.0.1:3260 -o delete
# 29. Admit only the lab's addresses to the target
tgtadm --lld iscsi --op unbind --mode target --tid 1 -I 10.99.0.0/24
# 30. Add LUN 1 on the backing file
tgtadm --lld iscsi --op delete --mode logicalunit --tid 1 --lun 1
# 31. Create the iSCSI target
tgtadm --lld iscsi --op delete --mode target --tid 1 --force
# 32. Run the iSCSI target daemon (tgtd)
# only if labctl started this tgtd:
tgtadm --op delete --mode system
# 33. Create the sparse backing file
rm -f /var/lib/labctl/e2eha/e2eha.img
# 34. Create the lab bridge lab-e2eha with the gateway address
ip link del lab-e2eha
# 35. Check the host (CPU, memory, disk, tools)
