# labctl down --recipe @DATADIR@/tests/data/e2e.lab: lab e2e, in reverse order
# 1. Undo 'Check that every node and guest answers'
# 2. Undo 'Save the clean state of guest tiny (for reset)'
rm -f /var/lib/labctl/e2e/guests/tiny.clean
# 3. Undo 'Start guest tiny and wait until it answers ping'
virsh -c 'qemu+unix:///system?socket=/var/lib/labctl/e2e/nodes/node1/run/libvirt-sock' destroy tiny
# 4. Undo 'Define guest tiny'
virsh -c 'qemu+unix:///system?socket=/var/lib/labctl/e2e/nodes/node1/run/libvirt-sock' destroy tiny
virsh -c 'qemu+unix:///system?socket=/var/lib/labctl/e2e/nodes/node1/run/libvirt-sock' undefine tiny
# 5. Undo 'Find the place of guest tiny's disk on the shared LUN'
# 6. Undo 'Start virtlogd and libvirtd of node node2'
virsh -c 'qemu+unix:///system?socket=/var/lib/labctl/e2e/nodes/node2/run/libvirt-sock' list --name | xargs -r -n1 virsh -c 'qemu+unix:///system?socket=/var/lib/labctl/e2e/nodes/node2/run/libvirt-sock' destroy
kill $(cat /var/lib/labctl/e2e/nodes/node2/run/libvirtd.pid)
kill $(cat /var/lib/labctl/e2e/nodes/node2/run/virtlogd.pid)
rm -rf /var/lib/labctl/e2e/nodes/node2
# 7. Undo 'Start virtlogd and libvirtd of node node1'
virsh -c 'qemu+unix:///system?socket=/var/lib/labctl/e2e/nodes/node1/run/libvirt-sock' list --name | xargs -r -n1 virsh -c 'qemu+unix:///system?socket=/var/lib/labctl/e2e/nodes/node1/run/libvirt-sock' destroy
kill $(cat /var/lib/labctl/e2e/nodes/node1/run/libvirtd.pid)
kill $(cat /var/lib/labctl/e2e/nodes/node1/run/virtlogd.pid)
rm -rf /var/lib/labctl/e2e/nodes/node1
# 8. Undo 'Create the network namespace of node node2'
ip netns del labctl-e2e-node2
# 9. Undo 'Create the network namespace of node node1'
ip netns del labctl-e2e-node1
# 10. Undo 'Create the logical volume lv_tiny'
lvremove --devices /dev/disk/by-path/ip-10.99.0.1:3260-iscsi-iqn.2026-01.labctl.lab:e2e-lun-1 -y vg_iscsi/lv_tiny
# 11. Undo 'Create the logical volume lv_node2'
lvremove --devices /dev/disk/by-path/ip-10.99.0.1:3260-iscsi-iqn.2026-01.labctl.lab:e2e-lun-1 -y vg_iscsi/lv_node2
# 12. Undo 'Create the logical volume lv_node1'
lvremove --devices /dev/disk/by-path/ip-10.99.0.1:3260-iscsi-iqn.2026-01.labctl.lab:e2e-lun-1 -y vg_iscsi/lv_node1
# 13. Undo 'Create the volume group'
vgremove --devices /dev/disk/by-path/ip-10.99.0.1:3260-iscsi-iqn.2026-01.labctl.lab:e2e-lun-1 -y vg_iscsi
# 14. Undo 'Make the iSCSI disk an LVM physical volume'
pvremove --devices /dev/disk/by-path/ip-10.99.0.1:3260-iscsi-iqn.2026-01.labctl.lab:e2e-lun-1 -y /dev/disk/by-path/ip-10.99.0.1:3260-iscsi-iqn.2026-01.labctl.lab:e2e-lun-1
# 15. Undo 'Attach the iSCSI disk on this host'
iscsiadm -m node -T iqn.2026-01.labctl.lab:e2e -p 10.99.0.1:3260 --logout
iscsiadm -m node -T iqn.2026-01.labctl.lab:e2e -p 10.99.0.1:3260 -o delete
# 16. Undo 'Admit only the lab's own initiators to the target'
tgtadm --lld iscsi --op unbind --mode target --tid 1 -I 10.99.0.0/24
# 17. Undo 'Add LUN 1 on the backing file'
tgtadm --lld iscsi --op delete --mode logicalunit --tid 1 --lun 1
# 18. Undo 'Create the iSCSI target'
tgtadm --lld iscsi --op delete --mode target --tid 1 --force
# 19. Undo 'Run the iSCSI target daemon (tgtd)'
# only if labctl started this tgtd:
tgtadm --op delete --mode system
# 20. Undo 'Create the sparse backing file'
rm -f /var/lib/labctl/e2e/e2e.img
# 21. Undo 'Create the lab bridge lab-e2e with the gateway address'
ip link del lab-e2e
# 22. Undo 'Check the host (CPU, memory, disk, tools)'
