#!/usr/bin/env python3
# Trims Proxmox VE's published API schema (pve-docs api-viewer/apidata.js)
# to the endpoints labctl calls, for the contract test server
# (tests/lib/lab-pve-server.c) and the schema test (tests/unit/test-pve.c).
#
#   python3 trim-apidata.py FULL.js VERSION "PROVENANCE" > apidata-VERSION.json
#
# The output keeps each used path's `info` exactly as published (no field
# edited), flattened into a list; test-pve compares it with the full copy
# in ../shared/research/pve-apidata/ when that is present.
import json, sys

PATHS = [
    "/access/ticket",
    "/version",
    "/cluster/status",
    "/cluster/resources",
    "/cluster/config",
    "/cluster/config/join",
    "/cluster/config/nodes",
    "/nodes/{node}/tasks/{upid}/status",
    "/nodes/{node}/certificates/info",
    "/storage",
    "/storage/{storage}",
    "/nodes/{node}/storage/{storage}/content",
    "/nodes/{node}/storage/{storage}/content/{volume}",
    "/nodes/{node}/storage/{storage}/upload",
    "/nodes/{node}/qemu",
    "/nodes/{node}/qemu/{vmid}",
    "/nodes/{node}/qemu/{vmid}/status/current",
    "/nodes/{node}/qemu/{vmid}/status/start",
    "/nodes/{node}/qemu/{vmid}/status/stop",
    "/nodes/{node}/lxc",
    "/nodes/{node}/lxc/{vmid}",
    "/nodes/{node}/lxc/{vmid}/status/current",
    "/nodes/{node}/lxc/{vmid}/status/start",
    "/nodes/{node}/lxc/{vmid}/status/stop",
    "/nodes/{node}/qemu/{vmid}/migrate",
    "/nodes/{node}/lxc/{vmid}/migrate",
    "/nodes/{node}/tasks/{upid}/log",
    "/nodes/{node}/tasks",
    "/cluster/ha/resources",
    "/cluster/ha/resources/{sid}",
    "/cluster/ha/status/current",
    # the exercises (labctl/exercises/, lab-pve-exercise.c) and their
    # scripted student (tests/unit/test-exercise-pve.c)
    "/nodes/{node}/qemu/{vmid}/config",
    "/nodes/{node}/qemu/{vmid}/clone",
    "/nodes/{node}/qemu/{vmid}/template",
    "/nodes/{node}/qemu/{vmid}/snapshot",
    "/nodes/{node}/qemu/{vmid}/snapshot/{snapname}",
    "/nodes/{node}/qemu/{vmid}/snapshot/{snapname}/rollback",
]

full, version, provenance = sys.argv[1], sys.argv[2], sys.argv[3]
text = open(full, encoding="utf-8").read()
tree = json.loads(text[text.index("["):text.rindex("]") + 1])
found = {}
def walk(n):
    found[n["path"]] = n
    for c in n.get("children", []):
        walk(c)
for n in tree:
    walk(n)
out = {"version": version, "provenance": provenance,
       "source": "pve-docs api-viewer/apidata.js", "paths": []}
for p in PATHS:
    n = found[p]
    out["paths"].append({"path": p, "info": n.get("info", {})})
json.dump(out, sys.stdout, indent=1, sort_keys=True)
sys.stdout.write("\n")
