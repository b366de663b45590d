# labctl reset --recipe @DATADIR@/recipes/container-3node.lab: lab container, flavor container
# This flavor's reset leaves the work of every step of 'labctl up' in place: no step runs again.
