# labctl down --recipe @DATADIR@/recipes/container-3node.lab: lab container, in reverse order
# 1. Undo 'Check that every node and guest answers'
# 2. Undo 'Save the clean state of guest tiny (for reset)'
rm -f /var/lib/labctl/container/guests/tiny.clean
# 3. Undo 'Start guest tiny and wait until it answers ping'
virsh -c 'qemu+unix:///system?socket=/var/lib/labctl/container/nodes/node1/run/libvirt-sock' destroy tiny
# 4. Undo 'Define guest tiny'
virsh -c 'qemu+unix:///system?socket=/var/lib/labctl/container/nodes/node1/run/libvirt-sock' destroy tiny
virsh -c 'qemu+unix:///system?socket=/var/lib/labctl/container/nodes/node1/run/libvirt-sock' undefine tiny
# 5. Undo 'Find the place of guest tiny's disk on the shared LUN'
# 6. Undo 'Start virtlogd and libvirtd of node node3'
virsh -c 'qemu+unix:///system?socket=/var/lib/labctl/container/nodes/node3/run/libvirt-sock' list --name | xargs -r -n1 virsh -c 'qemu+unix:///system?socket=/var/lib/labctl/container/nodes/node3/run/libvirt-sock' destroy
kill $(cat /var/lib/labctl/container/nodes/node3/run/libvirtd.pid)
kill $(cat /var/lib/labctl/container/nodes/node3/run/virtlogd.pid)
rm -rf /var/lib/labctl/container/nodes/node3
# 7. Undo 'Start virtlogd and libvirtd of node node2'
virsh -c 'qemu+unix:///system?socket=/var/lib/labctl/container/nodes/node2/run/libvirt-sock' list --name | xargs -r -n1 virsh -c 'qemu+unix:///system?socket=/var/lib/labctl/container/nodes/node2/run/libvirt-sock' destroy
kill $(cat /var/lib/labctl/container/nodes/node2/run/libvirtd.pid)
kill $(cat /var/lib/labctl/container/nodes/node2/run/virtlogd.pid)
rm -rf /var/lib/labctl/container/nodes/node2
# 8. Undo 'Start virtlogd and libvirtd of node node1'
virsh -c 'qemu+unix:///system?socket=/var/lib/labctl/container/nodes/node1/run/libvirt-sock' list --name | xargs -r -n1 virsh -c 'qemu+unix:///system?socket=/var/lib/labctl/container/nodes/node1/run/libvirt-sock' destroy
kill $(cat /var/lib/labctl/container/nodes/node1/run/libvirtd.pid)
kill $(cat /var/lib/labctl/container/nodes/node1/run/virtlogd.pid)
rm -rf /var/lib/labctl/container/nodes/node1
# 9. Undo 'Create the network namespace of node node3'
ip netns del labctl-container-node3
# 10. Undo 'Create the network namespace of node node2'
ip netns del labctl-container-node2
# 11. Undo 'Create the network namespace of node node1'
ip netns del labctl-container-node1
# 12. Undo 'Create the logical volume lv_tiny'
lvremove --devices /dev/disk/by-path/ip-192.168.152.1:3260-iscsi-iqn.2026-01.labctl.lab:container-lun-1 -y vg_container/lv_tiny
# 13. Undo 'Create the logical volume lv_node3'
lvremove --devices /dev/disk/by-path/ip-192.168.152.1:3260-iscsi-iqn.2026-01.labctl.lab:container-lun-1 -y vg_container/lv_node3
# 14. Undo 'Create the logical volume lv_node2'
lvremove --devices /dev/disk/by-path/ip-192.168.152.1:3260-iscsi-iqn.2026-01.labctl.lab:container-lun-1 -y vg_container/lv_node2
# 15. Undo 'Create the logical volume lv_node1'
lvremove --devices /dev/disk/by-path/ip-192.168.152.1:3260-iscsi-iqn.2026-01.labctl.lab:container-lun-1 -y vg_container/lv_node1
# 16. Undo 'Create the volume group'
vgremove --devices /dev/disk/by-path/ip-192.168.152.1:3260-iscsi-iqn.2026-01.labctl.lab:container-lun-1 -y vg_container
# 17. Undo 'Make the iSCSI disk an LVM physical volume'
pvremove --devices /dev/disk/by-path/ip-192.168.152.1:3260-iscsi-iqn.2026-01.labctl.lab:container-lun-1 -y /dev/disk/by-path/ip-192.168.152.1:3260-iscsi-iqn.2026-01.labctl.lab:container-lun-1
# 18. Undo 'Attach the iSCSI disk on this host'
iscsiadm -m node -T iqn.2026-01.labctl.lab:container -p 192.168.152.1:3260 --logout
iscsiadm -m node -T iqn.2026-01.labctl.lab:container -p 192.168.152.1:3260 -o delete
# 19. Undo 'Admit only the lab's own initiators to the target'
tgtadm --lld iscsi --op unbind --mode target --tid 1 -I 192.168.152.0/24
# 20. Undo 'Add LUN 1 on the backing file'
tgtadm --lld iscsi --op delete --mode logicalunit --tid 1 --lun 1
# 21. Undo 'Create the iSCSI target'
tgtadm --lld iscsi --op delete --mode target --tid 1 --force
# 22. Undo 'Run the iSCSI target daemon (tgtd)'
# only if labctl started this tgtd:
tgtadm --op delete --mode system
# 23. Undo 'Create the sparse backing file'
rm -f /var/lib/labctl/container/container.img
# 24. Undo 'Create the lab bridge lab-container with the gateway address'
ip link del lab-container
# 25. Undo 'Check the host (CPU, memory, disk, tools)'
