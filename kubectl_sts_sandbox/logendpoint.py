"""GET pods/NAME/log: a container's log, as kube-apiserver and the kubelet serve it.

- kube-apiserver (pkg/registry/core/pod/rest/log.go LogREST.Get): the PodLogOptions query
  decoded (a bad number is a 400), validated (pkg/apis/core/validation ValidatePodLogOptions:
  422 `PodLogOptions "NAME" is invalid: ...`), the pod read (404), the container chosen
  (pkg/registry/core/pod/strategy.go LogLocation and validateContainer: `a container name
  must be specified for pod NAME, choose one of: [a b]`, `container X is not valid for pod
  NAME`); a pod not yet bound to a node has no log location, answered 204 No Content
  (apiserver endpoints/handlers/rest.go: a nil stream). The kubelet's errors come back as
  400 with its text (genericrest.GenericHttpResponseChecker).
- the kubelet (pkg/kubelet/kubelet_pods.go validateContainerLogStatus): which instance is
  read, or `container "C" in pod "P" is waiting to start: REASON`, `previous terminated
  container "C" in pod "P" not found`, ...; then the CRI log reader's options
  (pkg/kubelet/kuberuntime/logs/logs.go ReadLogs): tailLines counted from the end first,
  then sinceSeconds/sinceTime, timestamps as a prefix, limitBytes cutting the output.
- `follow` streams (chunked, text/plain) until the instance ends, the pod goes, the client
  goes or the sandbox stops, waiting on the store's condition.
- A Logs/ClusterLogs mapping (podaccess.py; kwok's pkg/kwok/server/debugging_logs.go
  getPodLogs, findLogInLogs: podaccess.entry_for) serves a local file as the current
  instance's log: lines in the CRI log format (`TIME STREAM TAG TEXT`, what kwok's
  crilogs.ReadLogs reads) keep their times, other lines are served as they are, stamped with
  the file's modification time. With `follow: true` the file is read again for new lines
  while `kubectl logs -f` waits.
"""

import datetime
import os
import re
import select
import threading
from typing import Any, Dict, Iterable, List, Optional, Tuple
from urllib.parse import parse_qs

from . import errors
from .errors import ApiError
from .params import query_bool
from .podaccess import entry_for
from .podlogs import Instance, Line, stamp
from .resources import BY_KIND
from .routes import Request, begin_stream
from .validation import invalid_status
from .validation.field import forbidden, invalid

Obj = Dict[str, Any]
POD = BY_KIND["Pod"]
CRI_LINE = re.compile(r"^(\S+) (stdout|stderr) ([FP]) ?(.*)$")
# seconds between looks at a followed file for new lines (nothing notifies a file's growth)
FILE_RECHECK = 0.5


class LogOptions:
    """PodLogOptions as decoded from the query."""

    def __init__(self, query: Dict[str, List[str]]) -> None:
        last = {k: v[-1] for k, v in query.items()}
        self.container = last.get("container") or ""
        self.follow = query_bool(last, "follow")
        self.previous = query_bool(last, "previous")
        self.timestamps = query_bool(last, "timestamps")
        self.since_seconds = _int(last, "sinceSeconds")
        self.tail_lines = _int(last, "tailLines")
        self.limit_bytes = _int(last, "limitBytes")
        self.since_time: Optional[int] = None      # nanoseconds
        if last.get("sinceTime"):
            self.since_time = parse_time(last["sinceTime"])
            if self.since_time is None:
                raise errors.bad_request('parsing time "%s" as "2006-01-02T15:04:05Z07:00": '
                                         'cannot parse "%s" as "2006"'
                                         % (last["sinceTime"], last["sinceTime"]))

    def problems(self) -> List[Obj]:
        """ValidatePodLogOptions."""
        causes = []
        if self.tail_lines is not None and self.tail_lines < 0:
            causes.append(invalid("tailLines", self.tail_lines,
                                  "must be greater than or equal to 0"))
        if self.limit_bytes is not None and self.limit_bytes < 1:
            causes.append(invalid("limitBytes", self.limit_bytes, "must be greater than 0"))
        if self.since_seconds is not None and self.since_time is not None:
            causes.append(forbidden("", "at most one of `sinceTime` or `sinceSeconds` may be "
                                        "specified"))
        elif self.since_seconds is not None and self.since_seconds < 1:
            causes.append(invalid("sinceSeconds", self.since_seconds, "must be greater than 0"))
        return causes


def _int(query: Dict[str, str], key: str) -> Optional[int]:
    text = query.get(key)
    if text is None or text == "":
        return None
    try:
        return int(text)
    except ValueError:
        raise errors.bad_request('strconv.ParseInt: parsing "%s": invalid syntax' % text)


def parse_time(text: str) -> Optional[int]:
    """An RFC 3339 time in nanoseconds since the epoch, with up to nine fractional digits
    (Python before 3.11 takes six)."""
    m = re.match(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$", text)
    if not m:
        return None
    try:
        base = datetime.datetime.fromisoformat(m.group(1) + (
            "+00:00" if m.group(3) == "Z" else m.group(3))).timestamp()
    except ValueError:
        return None
    return int(base) * 1000000000 + int(((m.group(2) or "") + "000000000")[:9])


def choose_container(pod: Obj, container: str) -> str:
    """strategy.go validateContainer."""
    spec = pod.get("spec") or {}
    names = [c.get("name") for key in ("initContainers", "containers", "ephemeralContainers")
             for c in spec.get(key) or []]
    name = pod["metadata"]["name"]
    if not container:
        containers = spec.get("containers") or []
        if len(containers) == 1:
            return str(containers[0]["name"])
        if not containers:
            raise errors.bad_request("a container name must be specified for pod %s" % name)
        raise errors.bad_request("a container name must be specified for pod %s, choose one "
                                 "of: [%s]" % (name, " ".join(str(n) for n in names)))
    if container not in names:
        raise errors.bad_request("container %s is not valid for pod %s" % (container, name))
    return container


def kubelet_refusal(pod: Obj, cname: str, previous: bool) -> Optional[str]:
    """validateContainerLogStatus's error for the container's status, or None."""
    status = pod.get("status") or {}
    name = pod["metadata"]["name"]
    found = None
    for key in ("containerStatuses", "initContainerStatuses", "ephemeralContainerStatuses"):
        found = next((s for s in status.get(key) or [] if s.get("name") == cname), None)
        if found is not None:
            break
    if found is None:
        return 'container "%s" in pod "%s" is not available' % (cname, name)
    last = (found.get("lastState") or {}).get("terminated")
    state = found.get("state") or {}
    if previous:
        if not last or not last.get("containerID"):
            return 'previous terminated container "%s" in pod "%s" not found' % (cname, name)
        return None
    if state.get("running") is not None:
        return None
    if state.get("terminated") is not None:
        if state["terminated"].get("containerID") or (last and last.get("containerID")):
            return None
        return 'container "%s" in pod "%s" is terminated' % (cname, name)
    if last is not None:
        return None if last.get("containerID") else \
            'container "%s" in pod "%s" is terminated' % (cname, name)
    waiting = state.get("waiting")
    if waiting is not None:
        reason = waiting.get("reason") or ""
        why = {"ErrImagePull": "image can't be pulled",
               "ImagePullBackOff": "trying and failing to pull image"}.get(reason, reason)
        return 'container "%s" in pod "%s" is waiting to start: %s' % (cname, name, why)
    return 'container "%s" in pod "%s" is waiting to start - no logs yet' % (cname, name)


def read_file(path: str, offset: int = 0) -> Tuple[List[Line], int]:
    """The lines of a mapped file from byte `offset` (whole lines only), and the offset after
    them."""
    try:
        with open(path, "rb") as f:
            mtime = os.fstat(f.fileno()).st_mtime_ns
            f.seek(offset)
            data = f.read()
    except OSError as exc:
        raise errors.bad_request('failed to open log file "%s": open %s: %s'
                                 % (path, path, (exc.strerror or str(exc)).lower()))
    end = data.rfind(b"\n") + 1
    lines: List[Line] = []
    partial = ""
    for raw in data[:end].decode("utf-8", "replace").splitlines():
        m = CRI_LINE.match(raw)
        at = parse_time(m.group(1)) if m else None
        if m is None or at is None:
            lines.append(Line(mtime, raw))
            continue
        if m.group(3) == "P":             # a partial line: joined with what follows
            partial += m.group(4)
            continue
        lines.append(Line(at, partial + m.group(4)))
        partial = ""
    return lines, offset + end


def render(lines: Iterable[Line], opts: LogOptions, since: Optional[int]) -> bytes:
    out = []
    for line in lines:
        if since is not None and line.nanos < since:
            continue
        text = line.text + "\n"
        out.append((stamp(line.nanos) + " " + text) if opts.timestamps else text)
    return "".join(out).encode()


def serve_log(handler: Request, rt: Any, ns: Optional[str], name: Optional[str],
              sub: Optional[str], rest: List[str]) -> None:
    if handler.command not in ("GET", "HEAD") or name is None or ns is None:
        raise errors.method_not_allowed()
    opts = LogOptions(parse_qs(handler.url.query, keep_blank_values=True))
    causes = opts.problems()
    if causes:
        raise ApiError(invalid_status("PodLogOptions", "", name, causes))
    cluster = handler.server.cluster
    pod = cluster.store.get(POD, ns, name)
    cname = choose_container(pod, opts.container)
    if not (pod.get("spec") or {}).get("nodeName"):
        handler.record(204)
        handler.send_response(204)
        handler.end_headers()
        return
    book = cluster.kubelet.logs
    with book.cond:
        refusal = kubelet_refusal(pod, cname, opts.previous)
        instance = book.instance(pod["metadata"]["uid"], cname, opts.previous)
    if refusal is not None:
        raise ApiError(errors.status(400, "BadRequest", refusal, {
            "name": name, "kind": "pods/log",
            "causes": [{"reason": "UnexpectedServerResponse", "message": refusal}]}))
    mapping = None if opts.previous else entry_for(
        cluster.config.pod_access.spec_for("Logs", pod), "Logs", cname)
    _Stream(handler, opts, instance or Instance(), mapping).run()


class _Stream:
    """One answer: the lines there are, then, with follow, those still to come."""

    def __init__(self, handler: Request, opts: LogOptions, instance: Instance,
                 mapping: Optional[Obj]) -> None:
        self.handler = handler
        self.opts = opts
        self.instance = instance
        self.path = str(mapping.get("logsFile") or "") if mapping else None
        self.tail_file = bool(mapping and mapping.get("follow"))
        self.left = opts.limit_bytes
        clock = handler.server.cluster.clock
        self.since = opts.since_time if opts.since_time is not None else (
            int((clock.now() - opts.since_seconds) * 1e9) if opts.since_seconds is not None
            else None)

    def _send(self, data: bytes) -> bool:
        """Write a chunk; False once the limit is reached."""
        if self.left is not None:
            data = data[:self.left]
            self.left -= len(data)
        if data:
            self.handler.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
            self.handler.wfile.flush()
        return self.left is None or self.left > 0

    def run(self) -> None:
        handler = self.handler
        cond = handler.server.cluster.store.cond
        offset = 0
        with cond:
            if self.path is not None:
                lines, offset = read_file(self.path)
            else:
                lines = list(self.instance.lines)
            sent = len(self.instance.lines)
        tail = self.opts.tail_lines
        if tail is not None:
            lines = lines[len(lines) - tail:] if tail else []
        begin_stream(handler, "text/plain")
        if handler.command == "HEAD":
            return
        try:
            more = self._send(render(lines, self.opts, self.since))
            if more and self.opts.follow:
                self._follow(cond, sent, offset)
            handler.wfile.write(b"0\r\n\r\n")
            handler.wfile.flush()
        except OSError:
            pass
        handler.close_connection = True

    def _follow(self, cond: threading.Condition, sent: int, offset: int) -> None:
        stopping = getattr(self.handler.server, "stopping", None) or threading.Event()
        while True:
            with cond:
                while True:
                    if self.path is not None and self.tail_file:
                        new, offset = read_file(self.path, offset)
                    else:
                        new = []
                    if self.path is None:
                        new = list(self.instance.lines[sent:])
                        sent += len(new)
                    ended = self.instance.ended or stopping.is_set()
                    if new or ended or self._client_gone():
                        break
                    cond.wait(timeout=FILE_RECHECK if self.tail_file else 1.0)
            if new and not self._send(render(new, self.opts, self.since)):
                return
            if not new:
                return

    def _client_gone(self) -> bool:
        """Whether the client closed its side (it sends nothing while it follows)."""
        try:
            readable, _, _ = select.select([self.handler.connection], [], [], 0)
        except (OSError, ValueError):
            return True
        return bool(readable)
