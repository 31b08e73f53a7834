"""The well-known taint keys the node lifecycle controller, the scheduler, the taint eviction
controller and the non-graceful node shutdown use (k8s.io/api/core/v1 well_known_taints.go),
for the plugin and the sandbox alike."""

NOT_READY = "node.kubernetes.io/not-ready"                 # TaintNodeNotReady
UNREACHABLE = "node.kubernetes.io/unreachable"             # TaintNodeUnreachable
UNSCHEDULABLE = "node.kubernetes.io/unschedulable"         # TaintNodeUnschedulable
OUT_OF_SERVICE = "node.kubernetes.io/out-of-service"       # TaintNodeOutOfService
