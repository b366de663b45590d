#!/bin/sh
# A private libvirt host for system tests and benchmarks: libvirtd (QEMU
# driver, network driver) in its own network + mount namespace with its own
# run/lib/cache/log/etc directories under DIR, so it never meets the
# machine's own libvirt or another test's.
#
#   virt-host.sh up DIR NETNS     starts it; prints the connection URI
#   virt-host.sh down DIR NETNS   destroys its domains and networks, stops
#                                 libvirtd (pid file), deletes the netns
#
# QEMU runs as root with no security driver and no cgroups (nothing else is
# available here), guest consoles go to files (no virtlogd). libvirtd starts
# pinned to CPU 0 with a seeded QEMU capabilities cache ($LABCTL_TEST_CACHE,
# default /var/tmp/labctl-test-cache) so it does not re-probe QEMU for ~8 s
# (the vCPUs of this machine report different CPUIDs), then gets all CPUs.
set -eu
cmd=$1 DIR=$2 NS=$3
CACHE=${LABCTL_TEST_CACHE:-/var/tmp/labctl-test-cache}
URI="qemu+unix:///system?socket=$DIR/run/libvirt-sock"

alive () { [ -r /proc/$1/stat ] && ! awk '{ exit ($3 == "Z") ? 0 : 1 }' /proc/$1/stat; }

case $cmd in
up)
  mkdir -p "$DIR/run" "$DIR/lib" "$DIR/cache" "$DIR/log" "$DIR/etc" "$CACHE"
  chmod 755 "$DIR"
  cp -a /etc/libvirt/. "$DIR/etc/"
  rm -f "$DIR"/etc/qemu/networks/autostart/* "$DIR"/etc/qemu/networks/*.xml "$DIR"/etc/qemu/*.xml 2>/dev/null || true
  if [ -d "$CACHE/libvirt-cache/qemu" ]; then cp -a "$CACHE/libvirt-cache/." "$DIR/cache/"; fi
  cat > "$DIR/etc/libvirtd.conf" <<EOC
listen_tls = 0
listen_tcp = 0
auth_unix_rw = "none"
auth_unix_ro = "none"
unix_sock_group = "root"
unix_sock_rw_perms = "0770"
log_outputs = "3:file:/var/log/libvirt/libvirtd.log"
EOC
  cat >> "$DIR/etc/qemu.conf" <<EOC
# --- labctl system test ---
cgroup_controllers = [ ]
stdio_handler = "file"
user = "root"
group = "root"
dynamic_ownership = 0
security_driver = "none"
EOC
  ip netns add "$NS"
  ip -n "$NS" link set lo up
  mkdir -p /run/libvirt /var/lib/libvirt /var/cache/libvirt /var/log/libvirt /etc/libvirt
  ip netns exec "$NS" unshare -m --propagation private sh -ec "
    mount --bind '$DIR/run'   /run/libvirt
    mount --bind '$DIR/lib'   /var/lib/libvirt
    mount --bind '$DIR/cache' /var/cache/libvirt
    mount --bind '$DIR/log'   /var/log/libvirt
    mount --bind '$DIR/etc'   /etc/libvirt
    taskset -c 0 libvirtd -d -p /run/libvirt/libvirtd.pid
  "
  i=0
  until virsh -q -c "$URI" version >/dev/null 2>&1; do
    i=$((i + 1))
    if [ $i -gt 300 ]; then echo "libvirtd did not come up; see $DIR/log/libvirtd.log" >&2; exit 1; fi
    sleep 0.1
  done
  # the capabilities are loaded and validated at start-up, on CPU 0; from
  # now on libvirtd may use every CPU (parallel starts need them)
  taskset -a -p -c "0-$(($(nproc) - 1))" "$(cat "$DIR/run/libvirtd.pid")" >/dev/null
  if [ ! -d "$CACHE/libvirt-cache/qemu" ] && [ -d "$DIR/cache/qemu" ]; then
    mkdir -p "$CACHE/libvirt-cache.tmp.$$" && cp -a "$DIR/cache/." "$CACHE/libvirt-cache.tmp.$$/" &&
      mv "$CACHE/libvirt-cache.tmp.$$" "$CACHE/libvirt-cache" 2>/dev/null || rm -rf "$CACHE/libvirt-cache.tmp.$$"
  fi
  echo "$URI"
  ;;
down)
  if virsh -q -c "$URI" version >/dev/null 2>&1; then
    for d in $(virsh -q -c "$URI" list --name --all); do
      virsh -q -c "$URI" destroy "$d" >/dev/null 2>&1 || true
      virsh -q -c "$URI" undefine "$d" --snapshots-metadata --nvram >/dev/null 2>&1 ||
        virsh -q -c "$URI" undefine "$d" --snapshots-metadata >/dev/null 2>&1 || true
    done
    for n in $(virsh -q -c "$URI" net-list --name --all); do
      virsh -q -c "$URI" net-destroy "$n" >/dev/null 2>&1 || true
      virsh -q -c "$URI" net-undefine "$n" >/dev/null 2>&1 || true
    done
  fi
  if [ -f "$DIR/run/libvirtd.pid" ]; then
    pid=$(cat "$DIR/run/libvirtd.pid")
    kill "$pid" 2>/dev/null || true
    i=0
    while alive "$pid" && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
    if alive "$pid"; then kill -9 "$pid" 2>/dev/null || true; fi
  fi
  ip netns del "$NS" 2>/dev/null || true
  ;;
*)
  echo "usage: $0 up|down DIR NETNS" >&2
  exit 2
  ;;
esac
