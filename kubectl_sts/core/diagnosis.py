"""The one diagnosis of a StatefulSet: for every ordinal, a verdict (healthy, progressing,
failing, blocked, down, stuck), its cause chain (pod -> container -> node -> claim -> PV), the
evidence that still describes the current state, and the remedies that can work, each with
its command, and, for those that cannot, why not. Every view renders this: `status` rows,
the rollout plan, `rollout --status` and the step gate, `wait`, `repair` and `doctor`.

Pure: plain API dicts in (`Facts`), plain data out; the clock is the caller's (`now`, epoch
seconds). What the controller does is upstream's pkg/controller/statefulset/
stateful_set_control.go, updateStatefulSet: under OrderedReady (monotonic) processReplica
stops at the first replica that is not running and ready and never deletes it; the rolling
update deletes a pod of another revision only when it gets there (gate off: from the highest
ordinal down, stopping at an unhealthy updated pod; MaxUnavailableStatefulSet on: only while
fewer than maxUnavailable pods are unavailable; from 1.37 on, under Parallel, old-revision
pods that are unavailable already are replaced first, kubernetes #137666). A pod the
controller will never replace by itself is `stuck`."""

from typing import Any, Dict, List, NamedTuple, Optional, Tuple

from ..k8s import statefulset as facts
from ..k8s.conditions import find_condition
from ..k8s.humanreadable import human_duration, pod_summary
from ..k8s.statefulset import pod_revision
from ..k8s.nodes import cordoned, down_for, out_of_service, pv_allowed_nodes
from ..k8s.taints import OUT_OF_SERVICE
from .events import current_events, evidence_row
from .labels import selector_matches
from .restart import comes_back_at
from .pods import FAILING_REASONS, is_ready, pod_failure, readiness_failing

Obj = Dict[str, Any]
VERDICTS = ("healthy", "progressing", "failing", "blocked", "down", "stuck")
# pod STATUS strings (as kubectl prints them) that mean "failing", not "starting"
FAILING_STATUSES = FAILING_REASONS | {"Error", "OOMKilled", "ContainerStatusUnknown"}
# Warning events that say a pod cannot start for a reason outside it (kubelet, attach/detach
# controller, scheduler): while they are current, a starting pod is blocked
BLOCKING_EVENTS = frozenset({"FailedAttachVolume", "FailedMount", "FailedScheduling"})
DEFAULT_MIN_DOWN = 300.0


class Facts(NamedTuple):
    """What the diagnosis reads. `pvs`, `nodes`: by name, None when they could not be read
    (then nothing is concluded from them); `pdbs`: None when unreadable; `server_minor`: the
    API server's minor version (None: unknown); `now`: epoch seconds (None: no clock, ages
    are not shown and durations are unknown). A healthy ordinal's chain is left empty (it is
    shown only by repair, which names the ordinal in `explain`): 10 000 healthy pods cost
    no chain."""
    sts: Obj
    pods: List[Obj]
    claims: List[Obj] = []
    pvs: Optional[Dict[str, Obj]] = None
    nodes: Optional[Dict[str, Obj]] = None
    events: List[Obj] = []
    pdbs: Optional[List[Obj]] = None
    now: Optional[float] = None
    server_minor: Optional[int] = None
    min_down: float = DEFAULT_MIN_DOWN
    explain: Optional[int] = None       # an ordinal whose chain is wanted even when healthy


# -- small facts ---------------------------------------------------------------------------

def failing(status: str, restarts: int, phase: Optional[str]) -> bool:
    """A pod that is failing, not just starting: a failing STATUS, a restart, phase Failed."""
    return status in FAILING_STATUSES or restarts > 0 or phase == "Failed"


def duration(seconds: Optional[float]) -> str:
    return human_duration(seconds) if seconds is not None else "an unknown time"


# -- the verdict of one ordinal ------------------------------------------------------------

class _Ordinal:
    """What is known about one ordinal while its verdict is made."""

    def __init__(self, f: Facts, ordinal: int, pod: Optional[Obj], claims: List[Obj]) -> None:
        self.f, self.ordinal, self.pod, self.claims = f, ordinal, pod, claims
        self.name = facts.pod_name(f.sts["metadata"]["name"], ordinal)
        self.set_name = f.sts["metadata"]["name"]
        self.chain: List[Obj] = []
        self.remedies: List[Obj] = []
        self._summary: Optional[Tuple[int, int, str, int, Any]] = None
        self.node_name = ((pod or {}).get("spec") or {}).get("nodeName") or ""
        self.node = (f.nodes or {}).get(self.node_name) if self.node_name else None
        self.node_known = bool(self.node_name) and f.nodes is not None
        self.node_gone = self.node_known and self.node is None
        self.down = None if not self.node_known or self.node_gone else \
            down_for(self.node, f.now)

    @property
    def summary(self) -> Tuple[int, int, str, int, Any]:
        """kubectl's READY/STATUS/RESTARTS of the pod (humanreadable.pod_summary), once."""
        if self._summary is None:
            self._summary = pod_summary(self.pod or {})
        return self._summary

    def link(self, obj: str, text: str) -> None:
        self.chain.append({"object": obj, "text": text})

    def remedy(self, kind: str, works: bool, command: str, text: str, why: str = "") -> None:
        self.remedies.append({"kind": kind, "works": works, "command": command, "text": text,
                              "why": why})

    @property
    def node_is_down(self) -> bool:
        return self.node_gone or self.down is not None

    def node_text(self) -> str:
        if self.node_gone:
            return "node %s is gone" % self.node_name
        cond = find_condition(self.node, "Ready") or {}
        return "node %s is not Ready (%s for %s%s)%s" % (
            self.node_name, cond.get("status", "Unknown"), duration(self.down),
            ": %s" % cond["reason"] if cond.get("reason") else "",
            ", out-of-service taint" if out_of_service(self.node) else "")

    def pinned(self) -> List[Tuple[Obj, str, List[str]]]:
        """The claims whose PV may attach only on nodes none of which is usable now:
        (claim, PV name, the nodes its affinity allows)."""
        if self.f.pvs is None or self.f.nodes is None:
            return []
        out = []
        for claim in self.claims:
            volume = (claim.get("spec") or {}).get("volumeName") or ""
            pv = self.f.pvs.get(volume)
            if pv is None or not (pv.get("spec") or {}).get("nodeAffinity"):
                continue
            allowed = pv_allowed_nodes(pv, self.f.nodes.values())
            usable = [n for n in allowed if down_for(self.f.nodes[n], self.f.now) is None
                      and not out_of_service(self.f.nodes[n])]
            if not usable:
                out.append((claim, volume, allowed))
        return out


def _row(o: _Ordinal, verdict: str, cause: str, fails_fast: bool = False,
         evidence: Optional[List[Obj]] = None) -> Obj:
    if verdict != "healthy" or o.f.explain == o.ordinal:
        _pod_chain(o)
        _volume_chain(o)
    return {"ordinal": o.ordinal, "pod": o.name, "exists": o.pod is not None,
            "uid": (o.pod or {}).get("metadata", {}).get("uid"), "verdict": verdict,
            "cause": cause, "chain": o.chain, "evidence": evidence or [],
            "remedies": o.remedies, "failsFast": fails_fast,
            "revision": pod_revision(o.pod) if o.pod is not None else "",
            "status": "" if verdict == "healthy" else o.summary[2] if o.pod is not None
            else "Missing",
            "node": o.node_name}


def _volume_chain(o: _Ordinal) -> None:
    for claim in o.claims:
        spec = claim.get("spec") or {}
        volume = spec.get("volumeName") or ""
        pv = (o.f.pvs or {}).get(volume)
        text = "%s, PV %s" % ((claim.get("status") or {}).get("phase", "?"), volume or "(none)")
        if pv is not None:
            text += " (reclaimPolicy %s)" % (pv.get("spec") or {}).get(
                "persistentVolumeReclaimPolicy")
            if (pv.get("spec") or {}).get("nodeAffinity") and o.f.nodes is not None:
                allowed = pv_allowed_nodes(pv, o.f.nodes.values())
                usable = [n for n in allowed if down_for(o.f.nodes[n], o.f.now) is None
                          and not out_of_service(o.f.nodes[n])]
                text += "; node affinity allows %s, usable: %s" % (
                    ", ".join(allowed) or "no node", ", ".join(usable) or "none")
        o.link("pvc/%s" % claim["metadata"]["name"], text)


def _pod_chain(o: _Ordinal) -> None:
    pod = o.pod
    if pod is None:
        o.link("pod/%s" % o.name, "does not exist")
        return
    _, _, reason, _, _ = o.summary
    state = "Terminating" if pod["metadata"].get("deletionTimestamp") else \
        (pod.get("status") or {}).get("phase", "?")
    target = find_condition(pod, "DisruptionTarget")
    if target is not None and target.get("status") == "True" and target.get("reason"):
        state += " (%s)" % target["reason"]
    o.link("pod/%s" % o.name, "%s, %s, node %s" % (
        state if reason in state else "%s (%s)" % (state, reason),
        "Ready" if is_ready(pod) else "not Ready", o.node_name or "(none)"))
    failure = pod_failure(pod)
    if failure and failure.get("container"):
        o.link("container/%s" % failure["container"], "%s: %s" % (
            failure["reason"], failure.get("message") or "no message"))
    if o.node_name:
        if o.node_gone:
            o.link("node/%s" % o.node_name, "gone")
        elif o.node is not None:
            cond = find_condition(o.node, "Ready") or {}
            o.link("node/%s" % o.node_name, "Ready=%s%s%s%s" % (
                cond.get("status", "Unknown"),
                " for %s (%s)" % (duration(o.down), cond.get("reason", ""))
                if o.down is not None else "",
                ", out-of-service taint" if out_of_service(o.node) else "",
                ", cordoned" if cordoned(o.node) else ""))


def _node_remedies(o: _Ordinal, pinned: List[Tuple[Obj, str, List[str]]]) -> None:
    cmd = "kubectl sts repair %s --ordinal %d" % (o.set_name, o.ordinal)
    o.remedy("wait", True, "", "wait for node %s to come back" % o.node_name)
    if out_of_service(o.node):
        why = "node %s already has the out-of-service taint: its pods are being " \
              "force-deleted" % o.node_name
        o.remedy("taint", False, cmd, "taint the node out-of-service", why)
        return
    why = ""
    if pinned:
        why = "%s can attach only on %s: a pod made again elsewhere could not start" % (
            ", ".join("the volume of %s (PV %s)" % (c["metadata"]["name"], v)
                      for c, v, _ in pinned),
            ", ".join(sorted({n for _, _, allowed in pinned for n in allowed})) or "no node")
    elif not o.node_gone and (o.down or 0) < o.f.min_down:
        why = "node %s has not been Ready for %s only (--min-down %s): it may come back" % (
            o.node_name, duration(o.down), duration(o.f.min_down))
        o.remedies[-1]["text"] += " (or, once it has been down for %s: %s)" % (
            duration(o.f.min_down), cmd)
    o.remedy("taint", not why, cmd, "taint node %s %s=nodeshutdown:NoExecute (make sure it "
             "is really off first), so its pods are force-deleted and %s is made again "
             "elsewhere" % (o.node_name, OUT_OF_SERVICE, o.name), why)
    o.remedy("force-delete", not why, cmd + " --force-delete",
             "delete %s with grace period 0 so it is made again elsewhere" % o.name, why)
    if pinned:
        _fresh_volume(o, pinned)


def _fresh_volume(o: _Ordinal, pinned: List[Tuple[Obj, str, List[str]]]) -> None:
    names = ", ".join(c["metadata"]["name"] for c, _, _ in pinned)
    o.remedy("fresh-volume", True, "kubectl sts repair %s --ordinal %d --fresh-volume" % (
        o.set_name, o.ordinal), "delete %s (the PV is kept, Retain) and the pod, so %s starts "
        "on an empty volume: THE DATA OF %s IS NOT ON THE NEW VOLUME" % (names, o.name, names))


def _pinned_text(pinned: List[Tuple[Obj, str, List[str]]], nodes: Optional[Dict[str, Obj]],
                 now: Optional[float]) -> str:
    parts = []
    for claim, volume, allowed in pinned:
        states = []
        for n in allowed:
            node = (nodes or {}).get(n)
            states.append("%s, which is %s" % (n, "cordoned out-of-service"
                                               if out_of_service(node) and
                                               down_for(node, now) is None
                                               else "not Ready"))
        parts.append("its volume %s (PV %s) is pinned to %s" % (
            claim["metadata"]["name"], volume, " or ".join(states) or "no node that exists"))
    return "; ".join(parts)


def _controller_replaces(f: Facts, o: _Ordinal, unavailable: int) -> bool:
    """Whether the controller replaces, by itself, this unhealthy pod of a revision other than
    the one it wants (see the module's docstring)."""
    sts = f.sts
    if (o.pod.get("status") or {}).get("phase") in ("Failed", "Succeeded"):  # type: ignore
        return True                          # processReplica deletes and recreates those
    if facts.strategy_type(sts) != "RollingUpdate":
        return False                         # OnDelete: only a delete updates a pod
    if o.ordinal < facts.start(sts) + (facts.effective_partition(sts) or 0):
        return False                         # below the partition nothing is replaced
    if facts.pod_management(sts) != "Parallel":
        return False                         # monotonic: processReplica waits for it forever
    max_unavailable = facts.max_unavailable(sts)
    if max_unavailable is None:
        return True                          # gate off: deleted when the loop reaches it
    if f.server_minor is not None and f.server_minor >= 37:
        return True                          # #137666: broken old pods are replaced first
    try:
        budget = facts.resolve_max_unavailable(max_unavailable, facts.replicas(sts))
    except ValueError:
        budget = 1                           # not as the API validates it: the default
    return unavailable < budget


def _pdb_blocking(f: Facts, pod: Obj) -> Optional[Obj]:
    for pdb in f.pdbs or []:
        selector = (pdb.get("spec") or {}).get("selector")
        if selector is None or not selector_matches(selector, pod["metadata"].get("labels")):
            continue
        if ((pdb.get("status") or {}).get("disruptionsAllowed") or 0) <= 0:
            return pdb
    return None


def meta_name(obj: Obj) -> str:
    return obj["metadata"]["name"]


def _diagnose_ordinal(f: Facts, o: _Ordinal, waits_on: Optional[str], unavailable: int,
                      index: Dict[Any, List[Obj]]) -> Obj:
    sts, pod, now = f.sts, o.pod, f.now
    if pod is None:
        if waits_on:
            return _row(o, "progressing", "not created yet: the controller makes it after %s "
                        "is Ready (OrderedReady)" % waits_on)
        return _row(o, "progressing", "not created yet")
    events = current_events(pod, "Pod", index.get(("Pod", meta_name(pod)), []))
    for claim in o.claims:
        events += current_events(claim, "PersistentVolumeClaim", index.get(
            ("PersistentVolumeClaim", meta_name(claim)), []))
    evidence = [evidence_row(ev, now) for ev in events[-5:]]
    meta, status = pod["metadata"], pod.get("status") or {}
    ready = is_ready(pod)
    if o.node_is_down:
        pinned = o.pinned()
        _node_remedies(o, pinned)
        cause = o.node_text()
        if meta.get("deletionTimestamp"):
            cause += "; the pod is Terminating and no kubelet confirms its deletion"
        if pinned:
            cause += "; " + _pinned_text(pinned, f.nodes, now)
        return _row(o, "down", cause, evidence=evidence)
    if meta.get("deletionTimestamp"):
        return _row(o, "progressing", "terminating", evidence=evidence)
    if ready:
        pdb = _pdb_blocking(f, pod) if cordoned(o.node) else None
        if pdb is not None:
            o.remedy("wait", True, "", "wait until PodDisruptionBudget %s allows a disruption "
                     "(the other pods it covers Ready)" % pdb["metadata"]["name"])
            o.remedy("uncordon", True, "kubectl uncordon %s" % o.node_name,
                     "stop the drain: uncordon node %s" % o.node_name)
            return _row(o, "blocked", "node %s is cordoned and PodDisruptionBudget %s allows "
                        "no disruption now (%s): evicting %s, as a drain of %s does, waits" % (
                            o.node_name, pdb["metadata"]["name"], _pdb_text(pdb), o.name,
                            o.node_name), evidence=evidence)
        return _row(o, "healthy", "", evidence=evidence)
    _, _, reason, restarts, _ = o.summary
    failure = pod_failure(pod)
    probe = readiness_failing(pod, now) if failure is None else None
    revision, wanted = pod_revision(pod), comes_back_at(sts, o.ordinal)
    update = (sts.get("status") or {}).get("updateRevision") or ""
    if failure is not None or probe is not None or failing(reason, restarts,
                                                           status.get("phase")):
        what = _failure_text(failure or probe, reason, restarts)
        if revision and wanted and revision != wanted and \
                not _controller_replaces(f, o, unavailable):
            o.remedy("delete-pod", True, "kubectl sts repair %s --ordinal %d" % (
                o.set_name, o.ordinal), "delete %s so the controller makes it again at "
                "revision %s" % (o.name, wanted))
            return _row(o, "stuck", "%s runs revision %s, which the controller no longer "
                        "wants (%s), and fails (%s): the controller will not replace it by "
                        "itself" % (o.name, revision, wanted, what), fails_fast=True,
                        evidence=evidence)
        pending = update and update != (sts.get("status") or {}).get("currentRevision")
        if revision == update and pending and facts.strategy_type(sts) == "RollingUpdate":
            o.remedy("undo", True, "kubectl sts rollout %s --undo" % o.set_name,
                     "restore the previous template and bring %s back to it" % o.name)
        return _row(o, "failing", what, fails_fast=bool(failure) and revision == update,
                    evidence=evidence)
    unschedulable = find_condition(pod, "PodScheduled")
    if unschedulable is not None and unschedulable.get("status") == "False" and \
            unschedulable.get("reason") == "Unschedulable":
        pinned = o.pinned()
        message = unschedulable.get("message") or "Unschedulable"
        if pinned:
            o.remedy("wait", True, "", "wait for %s to come back" % " or ".join(
                sorted({n for _, _, allowed in pinned for n in allowed})) or "its node")
            o.remedy("taint", False, "", "taint a node out-of-service", "the pod is not on a "
                     "node; its volume can attach only where it is pinned")
            _fresh_volume(o, pinned)
            return _row(o, "blocked", "cannot be scheduled: %s (%s)" % (
                _pinned_text(pinned, f.nodes, now), message), evidence=evidence)
        return _row(o, "blocked", "cannot be scheduled: %s" % message, evidence=evidence)
    pending_claims = [c for c in o.claims if (c.get("status") or {}).get("phase") == "Pending"]
    failed_provisioning = [e for e in events if e.get("type") == "Warning" and
                           (e.get("involvedObject") or {}).get("kind") ==
                           "PersistentVolumeClaim"]
    if pending_claims and failed_provisioning:
        last = failed_provisioning[-1]
        return _row(o, "blocked", "PVC %s is Pending: %s: %s" % (
            pending_claims[0]["metadata"]["name"], last.get("reason"),
            (last.get("message") or "").strip()), evidence=evidence)
    blocking = [e for e in events if e.get("type") == "Warning" and
                e.get("reason") in BLOCKING_EVENTS]
    if blocking and status.get("phase") == "Pending":
        last = blocking[-1]
        return _row(o, "blocked", "%s: %s" % (last.get("reason"),
                                              (last.get("message") or "").strip()),
                    evidence=evidence)
    if waits_on and status.get("phase") == "Pending" and not o.node_name:
        return _row(o, "progressing", "waiting to be scheduled", evidence=evidence)
    unhealthy = [e for e in events if e.get("reason") == "Unhealthy"]
    return _row(o, "progressing", "%s, not Ready yet%s" % (
        reason, ": %s" % (unhealthy[-1].get("message") or "").strip() if unhealthy else ""),
        evidence=evidence)


def _failure_text(failure: Optional[Obj], reason: str, restarts: int) -> str:
    if failure is not None:
        text = "%s%s" % (failure["reason"], " in container %s" % failure["container"]
                         if failure.get("container") else "")
        if failure.get("message"):
            text += ": %s" % failure["message"]
        return text
    return "%s (restarted %d time%s)" % (reason, restarts, "" if restarts == 1 else "s")


def _pdb_text(pdb: Obj) -> str:
    st = pdb.get("status") or {}
    return "%d of %d pods healthy, %d needed" % (st.get("currentHealthy", 0),
                                                 st.get("expectedPods", 0),
                                                 st.get("desiredHealthy", 0))


# -- the set -------------------------------------------------------------------------------

def diagnose(f: Facts) -> Obj:
    """{ordinals: [verdict rows, by ordinal], problems: [the rows that are not healthy],
    stuck: [rows the controller will not fix by itself], waitsOn: the pod an OrderedReady
    controller waits for (or None)}."""
    from .pvc import claims_of
    sts = f.sts
    name = sts["metadata"]["name"]
    by_ordinal = facts.pods_by_ordinal(name, f.pods)
    claims_by_key = claims_of(sts, f.claims) if f.claims else {}
    claims_of_ordinal: Dict[int, List[Obj]] = {}
    for (_, ordinal), claim in sorted(claims_by_key.items()):
        claims_of_ordinal.setdefault(ordinal, []).append(claim)
    ordered = facts.pod_management(sts) != "Parallel"
    # each ordinal's pod is up: it exists, is not terminating and is Ready (computed once)
    up = {o: p is not None and not p["metadata"].get("deletionTimestamp") and is_ready(p)
          for o, p in ((o, by_ordinal.get(o)) for o in facts.ordinals(sts))}
    unavailable = sum(1 for ok in up.values() if not ok)
    index: Dict[Any, List[Obj]] = {}        # the events by the object they are about
    for ev in f.events:
        ref = ev.get("involvedObject") or {}
        index.setdefault((ref.get("kind"), ref.get("name")), []).append(ev)
    rows = []
    waits_on: Optional[str] = None
    for ordinal in facts.ordinals(sts):
        o = _Ordinal(f, ordinal, by_ordinal.get(ordinal), claims_of_ordinal.get(ordinal, []))
        row = _diagnose_ordinal(f, o, waits_on, unavailable, index)
        rows.append(row)
        if ordered and waits_on is None and not up[ordinal]:
            waits_on = row["pod"]
    problems = [r for r in rows if r["verdict"] != "healthy"]
    return {"ordinals": rows, "problems": problems,
            "stuck": [r for r in rows if r["verdict"] == "stuck"],
            "waitsOn": waits_on if ordered else None}


def headline(row: Obj) -> str:
    """One line for a verdict: `web-2 down: node n3 is not Ready (...)`."""
    return "%s %s%s" % (row["pod"], row["verdict"], ": %s" % row["cause"] if row["cause"]
                        else "")


def remedy_line(row: Obj) -> Optional[str]:
    """What to do next, in one line: the first remedy that works and has a command, as
    `COMMAND   (what it does)`; never a destructive one first: when only waiting and
    `--fresh-volume` work, both, the wait first. None when nothing works."""
    works = [r for r in row["remedies"] if r["works"]]
    for remedy in works:
        if remedy["command"] and remedy["kind"] != "fresh-volume":
            return "%s   (%s)" % (remedy["command"], remedy["text"])
    parts = [r["text"] for r in works if r["kind"] == "wait"]
    parts += ["or, giving up its data: %s" % r["command"] for r in works
              if r["kind"] == "fresh-volume"]
    return "; ".join(parts) or None


def fails_fast(result: Obj) -> Optional[Obj]:
    """The row `wait`, `rollout --status` and the step gate fail on at once: a pod the
    controller will not replace (stuck), or an updated pod that fails; None otherwise."""
    for row in result["ordinals"]:
        if row["failsFast"]:
            return row
    return None
