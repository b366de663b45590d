# labctl reset --recipe @DATADIR@/tests/data/ha-cluster.lab: lab e2eha, flavor container
# This flavor's reset leaves the work of every step of 'labctl up' in place: no step runs again.
