"""GET (WebSocket) and POST (SPDY) pods/NAME/exec: a command in a container, as
kube-apiserver, the kubelet and containerd answer it; the command runs on the host only where
the user mapped it.

- kube-apiserver (pkg/registry/core/pod/rest/subresources.go ExecREST.Connect): the
  container chosen (strategy.go validateContainer, as for logs), `pod NAME does not have a
  host assigned` (400) for a pod not bound yet; then a WebSocket request offering
  v5.channel.k8s.io is served by the stream translator (apiserver/pkg/util/proxy/
  streamtranslator.go, websocket.go: v5 only; the upgrade first, every later error written to
  the error channel as a Status: NewInternalError for a failure, NonZeroExitCode with the
  ExitCode cause, Success), any other upgrade goes through to the kubelet (kubelet/pkg/cri/
  streaming/remotecommand/websocket.go: v4.channel.k8s.io, channel.k8s.io, their base64
  forms and no protocol). The `create` check on the GET is auth.py's.
- the kubelet (pkg/kubelet/kubelet.go GetExec, findContainer): a container not running is
  `container not found ("C")` (500), which the translator reports as `unable to upgrade
  connection: ...`. A SPDY/3.1 upgrade (kubectl's fallback when the WebSocket upgrade
  fails, older kubectl and client-go programs; KUBECTL_REMOTE_COMMAND_WEBSOCKETS=false) is
  the kubelet's too: execspdy.py (cri/streaming/remotecommand/httpstream.go), the same
  checks first, so its errors read as over WebSocket without the translator's wrapping.
- one exec whatever the transport: `execute` looks up the mapping and the environment, and a
  `Command` runs it, its stdin fed by the transport's adapter (`_WebSocketSession`,
  execspdy's session) and its output and status sent through it.
- the runtime: a command without an Exec/ClusterExec mapping (podaccess.py; kwok's
  pkg/kwok/server/debugging_exec.go getExecTarget, findContainerInExecs: podaccess.entry_for;
  `local: {workDir, envs}`) fails as containerd and runc fail for a binary the image lacks
  (`OCI runtime exec failed: exec failed: unable to start container process: exec: "ls":
  executable file not found in $PATH: unknown`, which kubectl prints after `Internal error
  occurred: `, twice over WebSocket where the translator wraps the kubelet's Status, once over
  SPDY). A mapped command runs on the host (argv, no shell) in the host's environment plus the
  container's as the kubelet and containerd make it (HOSTNAME, the pod spec's env and envFrom,
  the downward API, the service variables: podenv.py) plus the mapping's envs, as kwok's exec
  does with its envs.
"""

import base64
import os
import subprocess
import threading
import uuid
from typing import Any, Callable, Dict, List, Optional
from urllib.parse import parse_qs

from websocket import ABNF

from . import errors, execspdy, podenv, wsframes
from .execspdy import Adapter
from .logendpoint import choose_container
from .params import query_bool
from .podaccess import entry_for
from .resources import BY_KIND
from .routes import Request

Obj = Dict[str, Any]
POD = BY_KIND["Pod"]
V5 = "v5.channel.k8s.io"
# the kubelet's WebSocket protocols (binary, base64): cri/streaming/remotecommand/websocket.go
KUBELET_PROTOCOLS = {"v4.channel.k8s.io": True, "v4.base64.channel.k8s.io": False,
                     "channel.k8s.io": True, "base64.channel.k8s.io": False, "": True}
STDIN, STDOUT, STDERR, ERROR, RESIZE, CLOSE = 0, 1, 2, 3, 4, 255
FINISH_SECONDS = 30.0       # how long the client may take to close after the status


def missing_binary(argv: List[str]) -> str:
    """runc's error for a command the container does not have, as containerd's CRI exec and
    the kubelet wrap it."""
    name = argv[0] if argv else ""
    why = 'stat %s: no such file or directory' % name if "/" in name else \
        "executable file not found in $PATH"
    return ('error executing command in container: failed to exec in container: failed to '
            'start exec "%s": OCI runtime exec failed: exec failed: unable to start container '
            'process: exec: "%s": %s: unknown' % (uuid.uuid4().hex + uuid.uuid4().hex, name, why))


def internal_error(message: str) -> Obj:
    """apierrors.NewInternalError as json.Marshal writes it on the error channel."""
    return {"metadata": {}, "status": "Failure", "message": "Internal error occurred: " + message,
            "reason": "InternalError", "details": {"causes": [{"message": message}]},
            "code": 500}


def exit_status(code: int, message: str) -> Obj:
    return {"metadata": {}, "status": "Failure", "message": message,
            "reason": "NonZeroExitCode",
            "details": {"causes": [{"reason": "ExitCode", "message": str(code)}]}}


def serve_exec(handler: Request, rt: Any, ns: Optional[str], name: Optional[str],
               sub: Optional[str], rest: List[str]) -> None:
    if handler.command not in ("GET", "POST") or name is None or ns is None:
        raise errors.method_not_allowed()
    query = parse_qs(handler.url.query, keep_blank_values=True)
    last = {k: v[-1] for k, v in query.items()}
    argv = list(query.get("command") or [])
    streams = {k: query_bool(last, k) for k in ("stdin", "stdout", "stderr", "tty")}
    cluster = handler.server.cluster
    pod = cluster.store.get(POD, ns, name)
    cname = choose_container(pod, last.get("container") or "")
    if not (pod.get("spec") or {}).get("nodeName"):
        raise errors.bad_request("pod %s does not have a host assigned" % name)
    offered = wsframes.offered_protocols(handler.headers)
    translated = wsframes.is_websocket_request(handler.headers) and V5 in offered
    running = _running(pod, cname)
    command = Command(streams)

    def run(adapter: Adapter) -> None:
        execute(adapter, command, cluster, pod, cname, argv, translated)
    if not translated:
        # the kubelet answers: its own checks, then a WebSocket or SPDY
        refusal = None
        if not (streams["stdin"] or streams["stdout"] or streams["stderr"]):
            refusal = (400, "you must specify at least 1 of stdin, stdout, stderr")
        elif not running:
            refusal = (500, 'container not found ("%s")' % cname)
        if refusal is not None:
            return handler.send_bytes(refusal[0], refusal[1].encode() + b"\n",
                                      "text/plain; charset=utf-8")
        if not wsframes.is_websocket_request(handler.headers):
            return execspdy.serve(handler, streams, command, run)
    ws = wsframes.upgrade(handler, [V5] if translated else list(KUBELET_PROTOCOLS))
    if ws is None:
        return
    session = _WebSocketSession(ws, translated, streams, command)
    session.open()
    if translated and not running:
        command.end()
        return session.finish(internal_error(
            'unable to upgrade connection: container not found ("%s")' % cname))
    run(session)


def execute(adapter: Adapter, command: "Command", cluster: Any, pod: Obj, cname: str,
            argv: List[str], translated: bool) -> None:
    """The exec itself, whatever the transport: the mapping (or the runtime's error), the
    container's environment, the command run with its output sent through `adapter`, then its
    status given to `adapter.finish`."""
    def failed(message: str) -> Obj:
        return internal_error("Internal error occurred: " + message if translated else message)
    entry = entry_for(cluster.config.pod_access.spec_for("Exec", pod), "Exec", cname)
    local = entry.get("local") if entry is not None else None
    if entry is None or not argv:
        status = failed(missing_binary(argv) if argv else "error executing command in "
                        "container: no command given")
    elif not isinstance(local, dict):
        status = failed("error executing command in container: not set local exec")  # kwok
    else:
        with cluster.store.cond:
            env = podenv.process_env(cluster.store, pod, _container(pod, cname), os.environ)
        env.update({str(e.get("name")): str(e.get("value", "")) for e in
                    local.get("envs") or [] if isinstance(e, dict) and e.get("name")})
        status = command.run(argv, env, str(local.get("workDir") or "") or None,
                             adapter.send, translated)
    command.end()
    adapter.finish(status)


def _container(pod: Obj, cname: str) -> Obj:
    spec = pod.get("spec") or {}
    for key in ("containers", "initContainers", "ephemeralContainers"):
        for c in spec.get(key) or []:
            if c.get("name") == cname:
                return dict(c)
    return {"name": cname}


def _running(pod: Obj, cname: str) -> bool:
    status = pod.get("status") or {}
    if status.get("phase") in ("Succeeded", "Failed"):
        return False
    for key in ("containerStatuses", "initContainerStatuses", "ephemeralContainerStatuses"):
        for s in status.get(key) or []:
            if s.get("name") == cname:
                return bool((s.get("state") or {}).get("running") is not None)
    return False


class Command:
    """The command's side of an exec: the process, its stdin (fed by the transport until the
    client closes it), its stdout and stderr pumped to the transport, its status."""

    def __init__(self, streams: Dict[str, bool]) -> None:
        self.streams = streams
        self.proc: Optional["subprocess.Popen[bytes]"] = None
        self.started = threading.Event()
        self.done = threading.Event()       # the status is decided

    def feed(self, data: bytes) -> None:
        if not self.streams["stdin"]:
            return
        self.started.wait()
        proc = self.proc
        if proc is not None and proc.stdin is not None:
            try:
                proc.stdin.write(data)
                proc.stdin.flush()
            except (OSError, ValueError):
                pass

    def close_stdin(self) -> None:
        self.started.wait()
        proc = self.proc
        if proc is not None and proc.stdin is not None:
            try:
                proc.stdin.close()
            except OSError:
                pass

    def abandon(self) -> None:
        """The client went away: its session ends."""
        self.close_stdin()
        proc = self.proc
        if proc is not None and proc.poll() is None and not self.done.is_set():
            proc.kill()

    def end(self) -> None:
        self.done.set()
        self.started.set()          # no process (any more): stdin goes nowhere

    def run(self, argv: List[str], env: Dict[str, str], cwd: Optional[str],
            send: Callable[[int, bytes], None], translated: bool) -> Obj:
        tty = self.streams["tty"]
        try:
            self.proc = subprocess.Popen(
                argv, env=env, cwd=cwd,
                stdin=subprocess.PIPE if self.streams["stdin"] else subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT if tty else subprocess.PIPE)
        except OSError as exc:
            self.started.set()
            message = missing_binary(argv) if isinstance(exc, FileNotFoundError) else \
                "error executing command in container: %s" % exc
            return internal_error("Internal error occurred: " + message if translated
                                  else message)
        self.started.set()
        proc = self.proc
        pumps = [threading.Thread(target=self._pump, args=(pipe, channel, send), daemon=True)
                 for pipe, channel in ((proc.stdout, STDOUT), (proc.stderr, STDERR))
                 if pipe is not None]
        for pump in pumps:
            pump.start()
        code = proc.wait()
        for pump in pumps:
            pump.join()
        if code < 0:
            code = 128 - code          # killed by a signal: the shell's convention
        if code == 0:
            return {"metadata": {}, "status": "Success"}
        if translated:
            message = "command terminated with non-zero exit code: command terminated with " \
                      "exit code %d" % code
        else:
            message = "command terminated with non-zero exit code: error executing command " \
                      "[%s], exit code %d" % (" ".join(argv), code)
        return exit_status(code & 0xFF, message)

    def _pump(self, pipe: Any, channel: int, send: Callable[[int, bytes], None]) -> None:
        wanted = self.streams["stdout" if channel == STDOUT else "stderr"] or \
            (channel == STDOUT and self.streams["tty"])
        while True:
            data = os.read(pipe.fileno(), 32768)
            if not data:
                break
            if wanted:
                send(channel, data)
        pipe.close()


class _WebSocketSession:
    """The WebSocket adapter of one exec: the channels, the client's frames, the status."""

    def __init__(self, ws: wsframes.WebSocket, translated: bool, streams: Dict[str, bool],
                 command: Command) -> None:
        self.ws = ws
        self.translated = translated
        self.streams = streams
        self.command = command
        self.binary = KUBELET_PROTOCOLS.get(ws.protocol, True)
        self.v4 = ws.protocol in (V5, "v4.channel.k8s.io", "v4.base64.channel.k8s.io")
        self.gone = threading.Event()       # the client closed the connection
        self.reader = threading.Thread(target=self._read, daemon=True)

    def send(self, channel: int, data: bytes) -> None:
        if self.gone.is_set():
            return
        try:
            if self.binary:
                self.ws.send(bytes([channel]) + data)
            else:
                self.ws.send(bytes([ord("0") + channel]) + base64.b64encode(data),
                             ABNF.OPCODE_TEXT)
        except OSError:
            self.gone.set()

    def open(self) -> None:
        """The empty message that tells the client the streams are there (websocket.go)."""
        first = STDOUT if self.streams["stdout"] else STDERR if self.streams["stderr"] \
            else ERROR
        self.send(first, b"")
        self.reader.start()

    def _read(self) -> None:
        """The client's frames: stdin, its close signal (v5), resize (ignored)."""
        while True:
            message = self.ws.receive()
            if message is None:
                break
            if not message:
                continue
            channel, data = message[0], message[1:]
            if not self.binary:
                channel, data = channel - ord("0"), base64.b64decode(data)
            if channel == CLOSE and self.ws.protocol == V5:
                if data[:1] == bytes([STDIN]):
                    self.command.close_stdin()
            elif channel == STDIN:
                self.command.feed(data)
        self.gone.set()
        self.command.abandon()

    def finish(self, status: Obj) -> None:
        """The status on the error channel (a text before v4, none on success), then the
        close; wait for the client to close its side (streamtranslator.go finish)."""
        payload = execspdy.status_payload(self.v4, status)
        if payload is not None:
            self.send(ERROR, payload)
        self.ws.close()
        if self.reader.is_alive():
            self.reader.join(FINISH_SECONDS)
