"""The scheduling queue (pkg/scheduler/backend/queue/scheduling_queue.go, PriorityQueue):
activeQ, backoffQ and the unschedulable pod pool, on the sandbox's simulated clock.

- A new unscheduled pod goes to activeQ (Add). Each pop is an attempt (Attempts++).
- A pod that failed goes to the unschedulable pool with the plugins that rejected it and the
  time of the failure (AddUnschedulableIfNotPresent refreshes Timestamp).
- A cluster event moves the pods whose rejecting plugins registered it and whose queueing
  hint says Queue (movePodsToActiveOrBackoffQueue, isPodWorthRequeuing): to backoffQ while
  the pod is backing off (isPodBackingoff), else to activeQ (requeuePodViaQueueingHint). The
  pool is indexed by rejecting plugin, so an event only looks at the pods it can concern.
- The backoff is podInitialBackoffDuration doubled per attempt up to podMaxBackoffDuration
  (calculateBackoffDuration: 1 s, 2 s, 4 s, 8 s, then 10 s), counted from the last failure;
  backoffQ is flushed when it ends (flushBackoffQCompleted, every second upstream).
- Every 30 s, pods unschedulable for longer than podMaxInUnschedulablePodsDuration (5 min)
  are moved as by an event every plugin wants (flushUnschedulablePodsLeftover,
  UnschedulableTimeout).
- activeQ pops by priority, then by Timestamp (queuesort PrioritySort).
- SchedulerPopFromBackoffQ (beta, on by default from 1.33; off in 1.32): when activeQ is
  empty the scheduler pops from backoffQ before the backoff ends (active_queue.go pop,
  backoff_queue.go: podBackoffQ only, not the error backoff of pods no plugin rejected).
"""

from __future__ import annotations

from typing import Any, Dict, FrozenSet, Iterable, List, Optional, Set

Obj = Dict[str, Any]
FLUSH_LEFTOVER_SECONDS = 30.0


class QueuedPod:
    """QueuedPodInfo: what the queue knows of one pod."""
    __slots__ = ("uid", "ns", "name", "pod", "priority", "attempts", "timestamp", "rejectors")

    def __init__(self, pod: Obj, priority: int, now: float) -> None:
        meta = pod["metadata"]
        self.uid, self.ns, self.name = meta["uid"], meta["namespace"], meta["name"]
        self.pod = pod                  # the pod as last seen (the store never mutates it)
        self.priority = priority
        self.attempts = 0
        self.timestamp = now
        self.rejectors: FrozenSet[str] = frozenset()


class SchedulingQueue:
    def __init__(self, initial_backoff: float, max_backoff: float,
                 max_unschedulable: float, now: float, pop_from_backoff: bool = False) -> None:
        self.pop_from_backoff = pop_from_backoff
        self.initial_backoff = initial_backoff
        self.max_backoff = max_backoff
        self.max_unschedulable = max_unschedulable
        self.pods: Dict[str, QueuedPod] = {}          # uid -> every pod the queue holds
        self.active: Set[str] = set()
        self.backoff: Dict[str, float] = {}           # uid -> when its backoff ends
        self.unschedulable: Set[str] = set()
        self.by_plugin: Dict[str, Set[str]] = {}      # rejecting plugin -> unschedulable uids
        self.next_flush = now + FLUSH_LEFTOVER_SECONDS

    # -- entering and leaving ----------------------------------------------------------------
    def add(self, pod: Obj, priority: int, now: float) -> None:
        """Add (a new pod), or Update of a pod the queue does not hold: to activeQ."""
        q = QueuedPod(pod, priority, now)
        if q.uid not in self.pods:
            self.pods[q.uid] = q
            self.active.add(q.uid)

    def forget(self, uid: str) -> None:
        """Delete, or the pod was bound."""
        self._leave_pool(uid)
        self.pods.pop(uid, None)
        self.active.discard(uid)
        self.backoff.pop(uid, None)

    def _leave_pool(self, uid: str) -> None:
        if uid in self.unschedulable:
            self.unschedulable.discard(uid)
            for plugin in self.pods[uid].rejectors or ("",):
                self.by_plugin.get(plugin, set()).discard(uid)

    def failed(self, q: QueuedPod, rejectors: Iterable[str], now: float) -> None:
        """AddUnschedulableIfNotPresent: into the unschedulable pool, indexed by the plugins
        that rejected it ("" for none: any event moves it)."""
        q.timestamp = now
        q.rejectors = frozenset(rejectors)
        self.unschedulable.add(q.uid)
        for plugin in q.rejectors or ("",):
            self.by_plugin.setdefault(plugin, set()).add(q.uid)

    # -- moving ------------------------------------------------------------------------------
    def backoff_duration(self, q: QueuedPod) -> float:
        duration = self.initial_backoff
        for _ in range(1, q.attempts):
            if duration > self.max_backoff - duration:
                return self.max_backoff
            duration += duration
        return duration

    def candidates(self, plugins: Iterable[str]) -> Set[str]:
        """The unschedulable pods some of `plugins` rejected, and those no plugin rejected."""
        out = set(self.by_plugin.get("", ()))
        for plugin in plugins:
            out |= self.by_plugin.get(plugin, set())
        return out

    def requeue(self, uid: str, now: float) -> None:
        """requeuePodViaQueueingHint with queueAfterBackoff."""
        q = self.pods[uid]
        self._leave_pool(uid)
        end = q.timestamp + self.backoff_duration(q)
        if end > now:
            self.backoff[uid] = end
        else:
            self.active.add(uid)

    def flush(self, now: float) -> None:
        """flushBackoffQCompleted, and on its period flushUnschedulablePodsLeftover (the
        UnschedulableTimeout event is a wildcard: every plugin's hint says Queue)."""
        for uid, end in list(self.backoff.items()):
            if end <= now:
                del self.backoff[uid]
                self.active.add(uid)
        if now < self.next_flush:
            return
        self.next_flush = now + FLUSH_LEFTOVER_SECONDS
        for uid in list(self.unschedulable):
            q = self.pods[uid]
            if now - q.timestamp > self.max_unschedulable:
                self.requeue(uid, now)

    def _early(self) -> List[str]:
        """The backoffQ pods SchedulerPopFromBackoffQ may pop while activeQ is empty."""
        if not self.pop_from_backoff or self.active:
            return []
        return [uid for uid in self.backoff if self.pods[uid].rejectors]

    def pop_all(self) -> List[QueuedPod]:
        """Everything in activeQ, in PrioritySort's order; each pop is an attempt."""
        for uid in self._early():
            del self.backoff[uid]
            self.active.add(uid)
        popped = sorted((self.pods[uid] for uid in self.active),
                        key=lambda q: (-q.priority, q.timestamp, q.ns, q.name))
        self.active.clear()
        for q in popped:
            q.attempts += 1
        return popped

    def next_due(self) -> Optional[float]:
        due = list(self.backoff.values())
        if self.active or self._early():
            due.append(0.0)
        if self.unschedulable:
            due.append(self.next_flush)
        return min(due) if due else None
