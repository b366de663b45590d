# labctl reset --recipe @DATADIR@/tests/data/e2e.lab: lab e2e, flavor container
# This flavor's reset leaves the work of every step of 'labctl up' in place: no step runs again.
