"""The containers' logs as the sandbox's kubelet keeps them: for each container of each pod it
runs, the current instance and the previous one (what `kubectl logs --previous` reads; a real
kubelet keeps the last terminated container's log file next to the running one's), dropped
with the pod.

Nothing runs in a sandbox container, so its log is what the kubelet saw happen to it: the
start (image, the pod's controller-revision-hash, the restart count), readiness, the end
(reason and exit code). Each line carries its time on the cluster's clock, which `timestamps`
prints as the kubelet's CRI log reader does (pkg/kubelet/kuberuntime/logs/logs.go,
timeFormatOut: RFC 3339 with nine fractional digits).

The kubelet's loop writes, the API server's log endpoint (logendpoint.py) reads; both under
the store's condition, which every write notifies, so a follower waits on it.
"""

import datetime
import threading
from typing import Any, Dict, List, NamedTuple, Optional, Tuple

Obj = Dict[str, Any]
REVISION_LABEL = "controller-revision-hash"


class Line(NamedTuple):
    nanos: int          # nanoseconds since the epoch, on the cluster's clock
    text: str           # without its newline


class Instance:
    """One run of a container: its lines, and whether it has ended."""

    def __init__(self) -> None:
        self.lines: List[Line] = []
        self.ended = False


class LogBook:
    """(pod uid, container name) -> [previous instance or None, current instance]."""

    def __init__(self, cond: threading.Condition) -> None:
        self.cond = cond
        self._runs: Dict[Tuple[str, str], List[Optional[Instance]]] = {}

    def _append(self, uid: str, cname: str, now: float, text: str, new: bool = False,
                end: bool = False) -> None:
        with self.cond:
            runs = self._runs.setdefault((uid, cname), [None, None])
            if new or runs[1] is None:
                if runs[1] is not None:
                    runs[1].ended = True
                runs[0], runs[1] = runs[1], Instance()
            current = runs[1]
            assert current is not None
            current.lines.append(Line(int(round(now * 1e9)), text))
            if end:
                current.ended = True
            self.cond.notify_all()

    def started(self, pod: Obj, container: Obj, restarts: int, now: float) -> None:
        """A new instance of the container: the previous one is kept, an older one dropped."""
        labels = pod["metadata"].get("labels") or {}
        text = "sandbox: started container %s, image %s" % (container["name"],
                                                           container.get("image", ""))
        if labels.get(REVISION_LABEL):
            text += ", revision %s" % labels[REVISION_LABEL]
        if restarts:
            text += ", restart %d" % restarts
        self._append(pod["metadata"]["uid"], container["name"], now, text, new=True)

    def write(self, pod: Obj, cname: str, now: float, text: str) -> None:
        """A line in the container's current instance."""
        self._append(pod["metadata"]["uid"], cname, now, text)

    def ended(self, pod: Obj, cname: str, now: float, reason: str, code: int) -> None:
        """The current instance's last line: how it ended."""
        with self.cond:
            runs = self._runs.get((pod["metadata"]["uid"], cname))
            if runs is None or runs[1] is None or runs[1].ended:
                return
            self._append(pod["metadata"]["uid"], cname, now,
                         "sandbox: container %s terminated: %s, exit code %d"
                         % (cname, reason, code), end=True)

    def drop(self, uid: str) -> None:
        with self.cond:
            for key in [k for k in self._runs if k[0] == uid]:
                for run in self._runs.pop(key):
                    if run is not None:
                        run.ended = True        # a follower stops
            self.cond.notify_all()

    def instance(self, uid: str, cname: str, previous: bool) -> Optional[Instance]:
        """The instance the kubelet reads (kubelet_pods.go validateContainerLogStatus): with
        `previous`, the last one terminated (the current one once it has ended, as when the
        container waits in CrashLoopBackOff; else the one before); without, the current one."""
        with self.cond:
            runs = self._runs.get((uid, cname))
            if runs is None:
                return None
            if previous and runs[1] is not None and not runs[1].ended:
                return runs[0]
            return runs[1]


def note_container(book: LogBook, pod: Obj, container: Obj, cs: Obj, was_running: bool,
                   now: float) -> None:
    """What a step of the kubelet's container state machine (containers.py) did, as lines:
    a start (a new instance) or a crash (the end of one)."""
    running = bool(cs.get("running"))
    if running and not was_running:
        book.started(pod, container, cs.get("restarts", 0), now)
        if cs.get("kind") == "never-ready":
            book.write(pod, container["name"], now, "sandbox: readiness probe failing: "
                       "container %s never becomes ready" % container["name"])
    elif was_running and not running:
        last = (cs.get("last") or {}).get("terminated") or {}
        book.ended(pod, container["name"], now, last.get("reason") or "Error",
                   int(last.get("exitCode", 1)))


def stamp(nanos: int) -> str:
    """RFC 3339 with nine fractional digits, in UTC (the kubelet's timeFormatOut)."""
    whole, frac = divmod(nanos, 1000000000)
    text = datetime.datetime.fromtimestamp(whole, datetime.timezone.utc).strftime(
        "%Y-%m-%dT%H:%M:%S")
    return "%s.%09dZ" % (text, frac)
