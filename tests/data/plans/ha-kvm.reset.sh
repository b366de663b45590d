# labctl reset --recipe @DATADIR@/tests/data/ha-kvm.lab: lab kvmha, flavor kvm
# The flavor's reset takes the nodes back to their clean state; what these steps of 'labctl up' made goes with it, so they run again (as root), in order; every other step is only checked:
# 31. Copy the lab's fence key to node node1
ssh -F /var/lib/labctl/kvmha/ssh/config -T node1 -- sh -c 'umask 077 && mkdir -p /etc/cluster && cat > /etc/cluster/fence_xvm.key' < /var/lib/labctl/kvmha/fence_xvm.key
# 32. Copy the lab's fence key to node node2
ssh -F /var/lib/labctl/kvmha/ssh/config -T node2 -- sh -c 'umask 077 && mkdir -p /etc/cluster && cat > /etc/cluster/fence_xvm.key' < /var/lib/labctl/kvmha/fence_xvm.key
# 33. Copy the lab's fence key to node node3
ssh -F /var/lib/labctl/kvmha/ssh/config -T node3 -- sh -c 'umask 077 && mkdir -p /etc/cluster && cat > /etc/cluster/fence_xvm.key' < /var/lib/labctl/kvmha/fence_xvm.key
# 34. Start corosync on node node1
ssh -F /var/lib/labctl/kvmha/ssh/config -T node1 -- sh -c 'cat > /etc/corosync/corosync.conf' <<'EOF'
# corosync.conf written by labctl for lab kvmha
totem {
    version: 2
    cluster_name: kvmha
    transport: knet
    # the lab network is one host's private bridge
    crypto_cipher: none
    crypto_hash: none
    # [cluster] token: a node silent for this long is lost; corosync adds
    # token_coefficient (650 ms) per node beyond two: 1650 ms with 3 nodes
    token: 1000
}
nodelist {
    node {
        name: node1
        nodeid: 1
        ring0_addr: 192.168.152.11
    }
    node {
        name: node2
        nodeid: 2
        ring0_addr: 192.168.152.12
    }
    node {
        name: node3
        nodeid: 3
        ring0_addr: 192.168.152.13
    }
}
quorum {
    # one vote per node: a partition needs a majority to run guests
    provider: corosync_votequorum
}
logging {
    to_logfile: yes
    logfile: /var/log/corosync/corosync.log
    to_stderr: no
    to_syslog: no
    # milliseconds: the failover experiment reads its phases here
    timestamp: hires
}
EOF
ssh -F /var/lib/labctl/kvmha/ssh/config -T node1 -- systemctl restart corosync.service
# 35. Start corosync on node node2
ssh -F /var/lib/labctl/kvmha/ssh/config -T node2 -- sh -c 'cat > /etc/corosync/corosync.conf' <<'EOF'
# corosync.conf written by labctl for lab kvmha
totem {
    version: 2
    cluster_name: kvmha
    transport: knet
    # the lab network is one host's private bridge
    crypto_cipher: none
    crypto_hash: none
    # [cluster] token: a node silent for this long is lost; corosync adds
    # token_coefficient (650 ms) per node beyond two: 1650 ms with 3 nodes
    token: 1000
}
nodelist {
    node {
        name: node1
        nodeid: 1
        ring0_addr: 192.168.152.11
    }
    node {
        name: node2
        nodeid: 2
        ring0_addr: 192.168.152.12
    }
    node {
        name: node3
        nodeid: 3
        ring0_addr: 192.168.152.13
    }
}
quorum {
    # one vote per node: a partition needs a majority to run guests
    provider: corosync_votequorum
}
logging {
    to_logfile: yes
    logfile: /var/log/corosync/corosync.log
    to_stderr: no
    to_syslog: no
    # milliseconds: the failover experiment reads its phases here
    timestamp: hires
}
EOF
ssh -F /var/lib/labctl/kvmha/ssh/config -T node2 -- systemctl restart corosync.service
# 36. Start corosync on node node3
ssh -F /var/lib/labctl/kvmha/ssh/config -T node3 -- sh -c 'cat > /etc/corosync/corosync.conf' <<'EOF'
# corosync.conf written by labctl for lab kvmha
totem {
    version: 2
    cluster_name: kvmha
    transport: knet
    # the lab network is one host's private bridge
    crypto_cipher: none
    crypto_hash: none
    # [cluster] token: a node silent for this long is lost; corosync adds
    # token_coefficient (650 ms) per node beyond two: 1650 ms with 3 nodes
    token: 1000
}
nodelist {
    node {
        name: node1
        nodeid: 1
        ring0_addr: 192.168.152.11
    }
    node {
        name: node2
        nodeid: 2
        ring0_addr: 192.168.152.12
    }
    node {
        name: node3
        nodeid: 3
        ring0_addr: 192.168.152.13
    }
}
quorum {
    # one vote per node: a partition needs a majority to run guests
    provider: corosync_votequorum
}
logging {
    to_logfile: yes
    logfile: /var/log/corosync/corosync.log
    to_stderr: no
    to_syslog: no
    # milliseconds: the failover experiment reads its phases here
    timestamp: hires
}
EOF
ssh -F /var/lib/labctl/kvmha/ssh/config -T node3 -- systemctl restart corosync.service
# 37. Wait until corosync has quorum with every node's vote
ssh -F /var/lib/labctl/kvmha/ssh/config -T node1 -- corosync-quorumtool -s
# 38. Start pacemaker on node node1
ssh -F /var/lib/labctl/kvmha/ssh/config -T node1 -- systemctl restart pacemaker.service
# 39. Start pacemaker on node node2
ssh -F /var/lib/labctl/kvmha/ssh/config -T node2 -- systemctl restart pacemaker.service
# 40. Start pacemaker on node node3
ssh -F /var/lib/labctl/kvmha/ssh/config -T node3 -- systemctl restart pacemaker.service
# 41. Wait until every node is online in pacemaker
ssh -F /var/lib/labctl/kvmha/ssh/config -T node1 -- crm_mon --one-shot
# 42. Configure the cluster: fencing on, stickiness, the fence device
ssh -F /var/lib/labctl/kvmha/ssh/config -T node1 -- crm_attribute --type crm_config --name stonith-enabled --update true
ssh -F /var/lib/labctl/kvmha/ssh/config -T node1 -- crm_attribute --type crm_config --name stonith-action --update off
ssh -F /var/lib/labctl/kvmha/ssh/config -T node1 -- crm_attribute --type crm_config --name no-quorum-policy --update stop
ssh -F /var/lib/labctl/kvmha/ssh/config -T node1 -- crm_attribute --type rsc_defaults --name resource-stickiness --update 100
ssh -F /var/lib/labctl/kvmha/ssh/config -T node1 -- cibadmin --modify --allow-create --scope resources --xml-text '<primitive id='\''labctl-fence'\'' class='\''stonith'\'' type='\''fence_xvm'\''>
  <instance_attributes id='\''labctl-fence-params'\''>
    <nvpair id='\''labctl-fence-params-pcmk_host_list'\'' name='\''pcmk_host_list'\'' value='\''node1 node2 node3'\''/>
    <nvpair id='\''labctl-fence-params-pcmk_host_check'\'' name='\''pcmk_host_check'\'' value='\''static-list'\''/>
    <nvpair id='\''labctl-fence-params-key_file'\'' name='\''key_file'\'' value='\''/etc/cluster/fence_xvm.key'\''/>
    <nvpair id='\''labctl-fence-params-multicast_address'\'' name='\''multicast_address'\'' value='\''225.0.0.12'\''/>
    <nvpair id='\''labctl-fence-params-ipport'\'' name='\''ipport'\'' value='\''1229'\''/>
    <nvpair id='\''labctl-fence-params-pcmk_host_map'\'' name='\''pcmk_host_map'\'' value='\''node1:node1;node2:node2;node3:node3'\''/>
  </instance_attributes>
  <operations>
    <op id='\''labctl-fence-monitor-60s'\'' name='\''monitor'\'' interval='\''60s'\'' timeout='\''20s'\''/>
  </operations>
</primitive>
'
# 45. Make guest tiny a cluster resource (VirtualDomain)
ssh -F /var/lib/labctl/kvmha/ssh/config -T node1 -- sh -c 'cat > "$0"' /etc/libvirt/labctl-ha/tiny.xml < tiny.xml
ssh -F /var/lib/labctl/kvmha/ssh/config -T node1 -- install -D -m 0755 /dev/stdin /usr/lib/ocf/resource.d/labctl/lv < lv.ocf
ssh -F /var/lib/labctl/kvmha/ssh/config -T node2 -- sh -c 'cat > "$0"' /etc/libvirt/labctl-ha/tiny.xml < tiny.xml
ssh -F /var/lib/labctl/kvmha/ssh/config -T node2 -- install -D -m 0755 /dev/stdin /usr/lib/ocf/resource.d/labctl/lv < lv.ocf
ssh -F /var/lib/labctl/kvmha/ssh/config -T node3 -- sh -c 'cat > "$0"' /etc/libvirt/labctl-ha/tiny.xml < tiny.xml
ssh -F /var/lib/labctl/kvmha/ssh/config -T node3 -- install -D -m 0755 /dev/stdin /usr/lib/ocf/resource.d/labctl/lv < lv.ocf
ssh -F /var/lib/labctl/kvmha/ssh/config -T node1 -- cibadmin --modify --allow-create --scope configuration --xml-text '<configuration>
  <resources>
    <primitive id='\''tiny-disk'\'' class='\''ocf'\'' provider='\''labctl'\'' type='\''lv'\''>
      <instance_attributes id='\''tiny-disk-params'\''>
        <nvpair id='\''tiny-disk-params-volume'\'' name='\''volume'\'' value='\''vg_iscsi/lv_tiny'\''/>
      </instance_attributes>
      <operations>
        <op id='\''tiny-disk-start-0'\'' name='\''start'\'' interval='\''0'\'' timeout='\''60s'\''/>
        <op id='\''tiny-disk-stop-0'\'' name='\''stop'\'' interval='\''0'\'' timeout='\''60s'\''/>
        <op id='\''tiny-disk-monitor-10s'\'' name='\''monitor'\'' interval='\''10s'\'' timeout='\''30s'\''/>
      </operations>
    </primitive>
    <primitive id='\''tiny'\'' class='\''ocf'\'' provider='\''heartbeat'\'' type='\''VirtualDomain'\''>
      <instance_attributes id='\''tiny-params'\''>
        <nvpair id='\''tiny-params-config'\'' name='\''config'\'' value='\''/etc/libvirt/labctl-ha/tiny.xml'\''/>
        <nvpair id='\''tiny-params-hypervisor'\'' name='\''hypervisor'\'' value='\''qemu:///system'\''/>
        <nvpair id='\''tiny-params-force_stop'\'' name='\''force_stop'\'' value='\''true'\''/>
      </instance_attributes>
      <meta_attributes id='\''tiny-meta'\''>
        <nvpair id='\''tiny-meta-allow-migrate'\'' name='\''allow-migrate'\'' value='\''false'\''/>
      </meta_attributes>
      <operations>
        <op id='\''tiny-start-0'\'' name='\''start'\'' interval='\''0'\'' timeout='\''90s'\''/>
        <op id='\''tiny-stop-0'\'' name='\''stop'\'' interval='\''0'\'' timeout='\''90s'\''/>
        <op id='\''tiny-monitor-5s'\'' name='\''monitor'\'' interval='\''5s'\'' timeout='\''30s'\''/>
      </operations>
    </primitive>
  </resources>
  <constraints>
    <rsc_order id='\''tiny-disk-first'\'' first='\''tiny-disk'\'' then='\''tiny'\'' kind='\''Mandatory'\''/>
    <rsc_colocation id='\''tiny-with-disk'\'' rsc='\''tiny-disk'\'' with-rsc='\''tiny'\'' score='\''INFINITY'\''/>
  </constraints>
</configuration>
'
