"""Builders of API-shaped StatefulSets and pods for the pure rollout tests."""

REV_A = "web-5d8f7c9b6"     # the current revision
REV_B = "web-7f6c4d8b9"     # the update revision
REV_C = "web-1a2b3c4d5"     # an older revision


# -- builders -----------------------------------------------------------------------------------

def make_sts(name="web", replicas=5, partition=None, start=None, strategy=None,
             max_unavailable=None, pod_management=None, min_ready=None, current=REV_A,
             update=REV_B, generation=2, observed=None, annotations=None, rolling=True):
    spec = {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
            "template": {"metadata": {"labels": {"app": name}},
                         "spec": {"containers": [{"name": "app", "image": "nginx:1.27"}]}}}
    if strategy == "OnDelete":
        spec["updateStrategy"] = {"type": "OnDelete"}
    elif rolling:
        body = {}
        if partition is not None:
            body["partition"] = partition
        if max_unavailable is not None:
            body["maxUnavailable"] = max_unavailable
        spec["updateStrategy"] = {"type": "RollingUpdate", "rollingUpdate": body}
    if start is not None:
        spec["ordinals"] = {"start": start}
    if pod_management:
        spec["podManagementPolicy"] = pod_management
    if min_ready is not None:
        spec["minReadySeconds"] = min_ready
    meta = {"name": name, "namespace": "ns", "generation": generation, "uid": "sts-uid",
            "resourceVersion": "42"}
    if annotations:
        meta["annotations"] = dict(annotations)
    return {"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": meta, "spec": spec,
            "status": {"observedGeneration": generation if observed is None else observed,
                       "currentRevision": current, "updateRevision": update}}


def make_pod(ordinal, revision=REV_A, ready=True, waiting=None, restarts=0, phase="Running",
             deleting=False, name="web", uid=None):
    status = {"phase": phase,
              "conditions": [{"type": "Ready", "status": "True" if ready else "False"}],
              "containerStatuses": [{"name": "app", "restartCount": restarts, "ready": ready,
                                     "state": ({"waiting": {"reason": waiting,
                                                            "message": "why: " + waiting}}
                                               if waiting else {"running": {}})}]}
    meta = {"name": "%s-%d" % (name, ordinal), "uid": uid or "uid-%d-%s" % (ordinal, revision),
            "labels": {"app": name, "controller-revision-hash": revision}}
    if deleting:
        meta["deletionTimestamp"] = "2024-06-01T12:00:00Z"
    return {"metadata": meta, "status": status}


def pods_at(replicas, partition, start=0, **kwargs):
    """Pods of a set mid-rollout: ordinals >= start+partition at REV_B, the rest at REV_A."""
    return [make_pod(o, REV_B if o >= start + partition else REV_A, **kwargs)
            for o in range(start, start + replicas)]
