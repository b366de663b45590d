# labctl reset --recipe @DATADIR@/recipes/kvm-3node.lab: lab kvm, flavor kvm
# This flavor's reset leaves the work of every step of 'labctl up' in place: no step runs again.
