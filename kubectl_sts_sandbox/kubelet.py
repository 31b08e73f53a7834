"""A simulated kubelet: runs the pods the scheduler (scheduler.py) bound to its node, starts
containers after configured delays, reports readiness, and fails on request, with the events
a real kubelet records.
How a container asks to fail, and its state machine: containers.py; Secrets and ConfigMaps
it waits for: podconfig.py.

A slow start (sandbox only): the annotation `sandbox.kubectl-sts.io/ready-after` (a duration,
e.g. `5s`) makes the pod Ready that long after its containers start, instead of
Config.ready_seconds.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Dict, Optional, Set, Tuple, Union

from . import events
from .clock import rfc3339
from .containers import container_behavior, cycle
from .podlogs import LogBook, note_container
from .podconfig import ConfigGate
from .resources import BY_KIND

if TYPE_CHECKING:
    from .nodes import NodeLifecycle
    from .store import Store

Obj = Dict[str, Any]

POD = BY_KIND["Pod"]
CONFIG_KINDS = (BY_KIND["Secret"], BY_KIND["ConfigMap"])
READY_AFTER_ANNOTATION = "sandbox.kubectl-sts.io/ready-after"
NODES = ["sandbox-node-1", "sandbox-node-2", "sandbox-node-3"]


class _PodState:
    """What the kubelet knows of one pod it runs."""

    def __init__(self, pod: Obj, node: str, ip: str, now: float) -> None:
        self.ns: str = pod["metadata"]["namespace"]
        self.name: str = pod["metadata"]["name"]
        self.node, self.ip = node, ip
        self.scheduled_at = now
        self.started = False
        self.started_at = now         # set again when the containers start
        self.ready_since: Optional[float] = None
        self.terminating_since: Optional[float] = None
        self.stopped = False          # the containers were stopped (the pod is terminal)
        self.containers: Dict[str, Obj] = {}    # name -> its state (containers.py)
        self.mount_error: Optional[str] = None  # the FailedMount message last recorded


class Kubelet(ConfigGate):
    def __init__(self, store: Store, config: Any) -> None:
        self.store = store
        self.config = config
        self.pods: Dict[str, _PodState] = {}    # uid -> _PodState
        self.due: Dict[str, float] = {}         # uid -> sim time of the next transition
        self.dirty: Set[Tuple[str, str]] = set()   # (ns, name)
        self._ips = 0
        self.waiting_config: Set[str] = set()   # uids of pods waiting for a Secret or ConfigMap
        self.dirty_uids: Set[str] = set()
        self.nodes: Optional[NodeLifecycle] = None   # set by the cluster
        self.logs = LogBook(store.cond)         # what `kubectl logs` reads (podlogs.py)

    def node_resumed(self, node: str) -> None:
        """A stopped kubelet starts again: it syncs every pod bound to its node."""
        pods, _ = self.store.list(POD)
        self.dirty.update((p["metadata"]["namespace"], p["metadata"]["name"]) for p in pods
                          if p.get("spec", {}).get("nodeName") == node)

    def on_change(self, rt: Any, etype: str, obj: Obj) -> None:
        if rt is POD and etype != "DELETED":
            self.dirty.add((obj["metadata"]["namespace"], obj["metadata"]["name"]))
        elif rt is POD:
            self.pods.pop(obj["metadata"]["uid"], None)
            self.logs.drop(obj["metadata"]["uid"])
            self.due.pop(obj["metadata"]["uid"], None)
            self.waiting_config.discard(obj["metadata"]["uid"])
        elif rt in CONFIG_KINDS and etype != "DELETED":
            # the kubelet's secret/configmap managers see the object: retry waiting pods
            self.dirty_uids |= self.waiting_config

    def next_due(self) -> Optional[float]:
        return min(self.due.values()) if self.due else None

    def step(self, now: float) -> None:
        keys: Set[Union[str, Tuple[str, str]]] = set(self.dirty)
        self.dirty.clear()
        keys |= self.dirty_uids
        self.dirty_uids = set()
        for uid, when in list(self.due.items()):
            if when <= now:
                del self.due[uid]
                keys.add(uid)
        for key in keys:
            if isinstance(key, tuple):
                pod = self.store.peek(POD, key[0], key[1])
            else:
                pod = self._pod_by_uid(key)
            if pod is not None:
                self._sync(pod, now)

    def _pod_by_uid(self, uid: str) -> Optional[Obj]:
        state = self.pods.get(uid)
        if state is None:
            return None
        return self.store.peek(POD, state.ns, state.name)

    # -- one pod ------------------------------------------------------------------------------
    def _sync(self, pod: Obj, now: float) -> None:
        meta = pod["metadata"]
        uid = meta["uid"]
        state = self.pods.get(uid)
        node = pod.get("spec", {}).get("nodeName")
        if node and self.nodes is not None and self.nodes.kubelet_stopped(node):
            return                 # nobody on that node reports or terminates anything
        if meta.get("deletionTimestamp"):
            self._terminate(pod, state, now)
            return
        if (pod.get("status") or {}).get("phase") in ("Failed", "Succeeded"):
            self._stop_terminal(pod, state, now)
            return
        if not node:
            return                 # not bound yet: the scheduler's (scheduler.py)
        if state is None:          # bound elsewhere (created with nodeName): adopt it
            state = self._new_state(pod, pod["spec"]["nodeName"], now)
        self._advance(pod, state, now)

    def _new_state(self, pod: Obj, node: str, now: float) -> _PodState:
        self._ips += 1
        ip = "10.244.%d.%d" % (1 + (self._ips // 250) % 250, 2 + self._ips % 250)
        state = _PodState(pod, node, ip, now)
        self.pods[pod["metadata"]["uid"]] = state
        return state

    def pod_bound(self, pod: Obj, node: str, now: float) -> None:
        """The scheduler bound the pod to `node` (scheduler.py): its kubelet admits it, the
        containers are being created."""
        if self.nodes is not None and self.nodes.kubelet_stopped(node):
            return                 # it syncs the pod when it comes back (node_resumed)
        state = self._new_state(pod, node, now)
        for c in pod["spec"].get("containers") or []:
            state.containers[c["name"]] = {"kind": container_behavior(pod, c), "restarts": 0,
                                           "running": False, "reason": "ContainerCreating",
                                           "last": None, "started_at": None, "backoff": 0}
        self._write(pod, self._render(pod, state, now))
        self.due[pod["metadata"]["uid"]] = now + self.config.start_seconds

    def _advance(self, pod: Obj, state: _PodState, now: float) -> None:
        cfg = self.config
        uid = pod["metadata"]["uid"]
        nexts = []
        if not state.started:
            if now < state.scheduled_at + cfg.start_seconds:
                self.due[uid] = state.scheduled_at + cfg.start_seconds
                return
            if self._mount_failed(pod, state):
                self._write(pod, self._render(pod, state, now))
                return
            state.started = True
            state.started_at = now
            for c in pod["spec"].get("containers") or []:
                cs = state.containers.setdefault(c["name"], {"kind": container_behavior(pod, c),
                                                             "restarts": 0, "last": None,
                                                             "backoff": 0})
                was_running = bool(cs.get("running"))
                self._create_container(pod, c, cs, state, now)
                note_container(self.logs, pod, c, cs, was_running, now)
        for c in pod["spec"].get("containers") or []:
            cs = state.containers[c["name"]]
            was_running = bool(cs.get("running"))
            if cs.get("reason") == "CreateContainerConfigError":
                self._create_container(pod, c, cs, state, now)
            if cs.get("next") is not None and cs["next"] <= now:
                cycle(self.store, self.config, pod, c, cs, now)
            note_container(self.logs, pod, c, cs, was_running, now)
            if cs.get("next") is not None:
                nexts.append(cs["next"])
        all_ready = all(cs["kind"] == "ok" and cs["running"] for cs in state.containers.values())
        if all_ready and state.ready_since is None:
            ready_at = state.started_at + _ready_seconds(pod, cfg)
            if now >= ready_at:
                state.ready_since = now
                for cname in state.containers:
                    self.logs.write(pod, cname, now, "sandbox: container %s is ready" % cname)
            else:
                nexts.append(ready_at)
        if nexts:
            self.due[uid] = min(nexts)
        self._write(pod, self._render(pod, state, now))

    def _terminate(self, pod: Obj, state: Optional[_PodState], now: float) -> None:
        uid = pod["metadata"]["uid"]
        ns, name = pod["metadata"]["namespace"], pod["metadata"]["name"]
        if state is None:
            self.store.delete(POD, ns, name, grace=0)
            return
        if state.terminating_since is None:
            state.terminating_since = now
            for c in pod["spec"].get("containers") or []:
                if state.containers.get(c["name"], {}).get("running"):
                    events.record(self.store, pod, "Normal", "Killing", "Stopping container %s"
                                  % c["name"], "kubelet", state.node,
                                  "spec.containers{%s}" % c["name"])
        grace = pod["metadata"].get("deletionGracePeriodSeconds") or 0
        done_at = state.terminating_since + min(self.config.terminate_seconds, grace)
        if now >= done_at:
            # kubelet.go SyncTerminatingPod: once killPod has stopped the containers the
            # status is generated with podIsTerminal=true and written; only then does the
            # status manager delete the pod (grace 0), which a finalizer may still hold
            killed = self.config.terminate_seconds >= grace     # SIGKILL at the deadline
            if not state.stopped:
                self._write(pod, self._render_stopped(pod, state, now, killed))
                self._log_stopped(pod, state, now, killed)
            self.pods.pop(uid, None)
            self.due.pop(uid, None)
            self.store.delete(POD, ns, name, grace=0)
        else:
            self.due[uid] = done_at

    def _stop_terminal(self, pod: Obj, state: Optional[_PodState], now: float) -> None:
        """A pod whose API phase is already Failed/Succeeded (evicted, rejected): the kubelet
        never moves it out of that phase (kubelet_pods.go generateAPIPodStatus) and stops its
        containers."""
        if state is not None and not state.stopped:
            self._write(pod, self._render_stopped(pod, state, now, killed=True))
            self._log_stopped(pod, state, now, killed=True)
            state.stopped = True
            self.due.pop(pod["metadata"]["uid"], None)

    def _log_stopped(self, pod: Obj, state: _PodState, now: float, killed: bool) -> None:
        for cname, cs in state.containers.items():
            if cs.get("running"):
                self.logs.ended(pod, cname, now, "Error" if killed else "Completed",
                                137 if killed else 0)

    def _render_stopped(self, pod: Obj, state: _PodState, now: float, killed: bool) -> Obj:
        """The status once every container has stopped: containers terminated (exit 0 when
        they stopped within the grace period, 137 when killed at its end; never-started ones
        as status_manager.go TerminatePod leaves them), not ready, not started; phase from
        kubelet_pods.go getPhase with podIsTerminal; conditions from status/generate.go."""
        status = self._render(pod, state, now)
        stopped_at = rfc3339(now)
        for entry in status["containerStatuses"]:
            cs = state.containers.get(entry["name"]) or {}
            current = entry["state"]
            if current.get("running"):
                code = 137 if killed else 0
                entry["state"] = {"terminated": {
                    "exitCode": code, "reason": "Error" if code else "Completed",
                    "startedAt": current["running"]["startedAt"], "finishedAt": stopped_at,
                    "containerID": entry.get("containerID", "")}}
            elif (cs.get("last") or {}).get("terminated"):
                entry["state"] = cs["last"]
                entry["lastState"] = {}
            else:
                entry["state"] = {"terminated": {
                    "exitCode": 137, "reason": "ContainerStatusUnknown",
                    "message": "The container could not be located when the pod was "
                               "terminated", "startedAt": None, "finishedAt": None}}
            entry["ready"] = False
            entry["started"] = False
        succeeded = all(e["state"]["terminated"]["exitCode"] == 0
                        for e in status["containerStatuses"])
        status["phase"] = "Succeeded" if succeeded else "Failed"
        old = pod.get("status") or {}
        if old.get("phase") in ("Succeeded", "Failed"):
            # generateAPIPodStatus: no transition out of a terminal phase the API shows, and
            # the reason and message of an unchanged phase are kept (e.g. Evicted)
            status["phase"] = old["phase"]
            for key in ("reason", "message"):
                if old.get(key):
                    status[key] = old[key]
        reason = "PodCompleted" if status["phase"] == "Succeeded" else "PodFailed"
        for cond in status["conditions"]:
            if cond["type"] in ("Ready", "ContainersReady", "PodReadyToStartContainers"):
                if cond["status"] != "False":
                    cond["lastTransitionTime"] = stopped_at
                cond["status"] = "False"
                cond.pop("message", None)
                if cond["type"] == "PodReadyToStartContainers":
                    cond.pop("reason", None)
                else:
                    cond["reason"] = reason
        return status

    # -- status -------------------------------------------------------------------------------
    def _render(self, pod: Obj, state: _PodState, now: float) -> Obj:
        statuses = []
        for c in pod["spec"].get("containers") or []:
            cs = state.containers.get(c["name"]) or {}
            entry = {"name": c["name"], "image": c.get("image", ""), "imageID": "",
                     "restartCount": cs.get("restarts", 0), "started": bool(cs.get("running")),
                     "ready": bool(cs.get("running") and cs.get("kind") == "ok" and
                                   state.ready_since is not None)}
            if cs.get("running"):
                entry["state"] = {"running": {"startedAt": rfc3339(cs["started_at"])}}
                entry["containerID"] = "containerd://%s-%s" % (pod["metadata"]["uid"][:8], c["name"])
                entry["imageID"] = "docker.io/library/%s" % c.get("image", "")
            else:
                waiting = {"reason": cs.get("reason") or "ContainerCreating"}
                if cs.get("message"):
                    waiting["message"] = cs["message"]
                entry["state"] = {"waiting": waiting}
            entry["lastState"] = cs.get("last") or {}
            statuses.append(entry)
        started = state.started and all(s["state"].get("running") or
                                         s["state"]["waiting"]["reason"] == "CrashLoopBackOff"
                                         for s in statuses)
        ready = state.ready_since is not None and all(s["ready"] for s in statuses)
        old = {c["type"]: c for c in (pod.get("status") or {}).get("conditions") or []}

        def cond(ctype, ok, reason=None, message=None):
            value = "True" if ok else "False"
            prev = old.get(ctype)
            since = prev["lastTransitionTime"] if prev and prev.get("status") == value \
                else rfc3339(now)
            out = {"type": ctype, "status": value, "lastProbeTime": None,
                   "lastTransitionTime": since}
            if not ok and reason:
                out["reason"] = reason
                if message is not None:
                    out["message"] = message
            return out

        not_ready = [s["name"] for s in statuses if not s["ready"]]
        why = "containers with unready status: [%s]" % " ".join(not_ready)
        conditions = [
            cond("PodReadyToStartContainers", state.started),
            cond("Initialized", True),
            cond("Ready", ready, "ContainersNotReady", why),
            cond("ContainersReady", ready, "ContainersNotReady", why),
            cond("PodScheduled", True),
        ]
        status = {"phase": "Running" if started else "Pending", "conditions": conditions,
                  "hostIP": "172.18.0.%d" % (2 + NODES.index(state.node)) if state.node in NODES
                  else "172.18.0.2", "podIP": state.ip if state.started else None,
                  "startTime": rfc3339(state.scheduled_at), "containerStatuses": statuses,
                  "qosClass": "BestEffort"}
        if status["podIP"]:
            status["podIPs"] = [{"ip": state.ip}]
            status["hostIPs"] = [{"ip": status["hostIP"]}]
        else:
            del status["podIP"]
        return status

    def _write(self, pod: Obj, status: Obj) -> None:
        current = self.store.peek(POD, pod["metadata"]["namespace"], pod["metadata"]["name"])
        if current is None or current["metadata"]["uid"] != pod["metadata"]["uid"]:
            return
        if current.get("status") == status:
            return
        updated = dict(current)
        updated["status"] = status
        self.store.update(POD, updated, subresource="status", internal=True)


def _ready_seconds(pod: Obj, cfg: Any) -> float:
    text = (pod["metadata"].get("annotations") or {}).get(READY_AFTER_ANNOTATION)
    if text:
        from kubectl_sts.k8s.durations import parse_duration
        try:
            return parse_duration(text)
        except ValueError:
            pass
    return cfg.ready_seconds
