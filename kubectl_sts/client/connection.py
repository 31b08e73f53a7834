"""The connection to the cluster: raw JSON requests (plain dicts in, plain dicts out) over the
transport a resolved kubeconfig gives, repeated when that is safe, and watch streams. The
kubeconfig is read in kubeconfig.py, the transport built in transport.py, failures typed in
httperrors.py and the retry policy is retry.py's. Heavy imports (urllib3, the official
client) stay inside functions, so `--help` never pays for them."""

from __future__ import annotations       # the urllib3 types are named, never imported early

import json
import threading
from typing import TYPE_CHECKING, Any, Callable, Dict, Iterator, List, Optional, Tuple, Union

from ..errors import ServerError, StsError, redact_url
from . import retry
from .httperrors import api_error, connection_error, parse_retry_after, transport_error
from .kubeconfig import ConnectionOptions, resolve
from .retry import retrying
from .transport import Transport, fast_path, fast_transport, impersonation, official_transport

if TYPE_CHECKING:
    from urllib3 import BaseHTTPResponse, HTTPHeaderDict

Timeout = Union[None, float, Tuple[float, float]]
_TRANSPORT_LOCK = threading.Lock()
WRITES = ("POST", "PUT", "PATCH")
_DECODE_LOCK = threading.Lock()


class Connection:
    """A resolved connection: the namespace to use, and raw JSON requests."""

    def __init__(self, options: ConnectionOptions) -> None:
        self.options = options
        self.timeout = _parse_timeout(options.request_timeout)
        # seconds one request may spend retrying (read at run time: tests lower it)
        self.retry_budget: Optional[float] = retry.RETRY_BUDGET
        self.reached = False                # the server has answered once: refusals = restart
        self.retries = 0                    # requests repeated so far (for diagnostics)
        # called once before the first write (not a GET, not a lease, not a dry run): the
        # set's lock is taken then (commands/locking.py)
        self.before_write: Optional[Callable[[], None]] = None
        # the field manager every write (POST, PUT, PATCH) carries, the name managedFields
        # show for what it wrote (Create/Update/PatchOptions fieldManager; without one the API
        # server names the writer from the User-Agent: apiserver handlers managerOrUserAgent);
        # the commands set the plugin's (core/names.py FIELD_MANAGER)
        self.field_manager: Optional[str] = None
        self._built: Optional[Transport] = None
        self._build_failed: Optional[StsError] = None
        resolved = resolve(options)
        self.context, self.namespace = resolved.context, resolved.namespace
        self.server = resolved.server
        self._resolved = resolved.config

    # -- transport ----------------------------------------------------------------------------
    def _fast_path(self) -> bool:
        return fast_path(self._resolved)

    def _transport(self) -> Transport:
        """(pool, base URL, auth headers), built once (under a lock: concurrent reads)."""
        built = self._built
        if built is None:
            with _TRANSPORT_LOCK:
                if self._build_failed is not None:
                    raise self._build_failed    # once: an exec plugin is not run again
                if self._built is None:
                    try:
                        self._built = self._build_transport()
                    except StsError as exc:
                        self._build_failed = exc
                        raise
                built = self._built
        return built

    def _build_transport(self) -> Transport:
        if self._fast_path():
            pool, base, auth = fast_transport(self._resolved)
        else:
            pool, base, auth = official_transport(self._resolved)
        auth.update(impersonation(self.options, self._resolved))
        return pool, base, auth

    def _headers(self, content_type: Optional[str]) -> HTTPHeaderDict:
        from urllib3 import HTTPHeaderDict
        _, _, auth = self._transport()
        headers = HTTPHeaderDict({"Accept": "application/json",
                                  "User-Agent": "kubectl-sts/%s" % _version()})
        for name, value in auth.items():
            if isinstance(value, list):
                for one in value:
                    headers.add(name, one)          # one header line per group
            else:
                headers[name] = value
        if content_type:
            headers["Content-Type"] = content_type
        return headers

    # -- requests -----------------------------------------------------------------------------
    def request(self, method: str, path: str, query: Optional[Dict[str, Any]] = None,
                body: Any = None, content_type: str = "application/json",
                stream: bool = False, timeout: Timeout = None, retry: bool = True,
                retry_budget: Optional[float] = None,
                project: Optional[Callable[[Any], Any]] = None) -> Any:
        """One HTTP request through the connection pool (its TLS and auth settings). Returns
        the decoded JSON body, or the open response when `stream`.

        Failures that are safe to repeat (see retry.py) are retried with bounded exponential
        backoff, or the server's Retry-After, until `retry_budget` seconds (default:
        self.retry_budget) have passed since the first failure; retry=False: never.
        `project`: for a list, a function applied to each item as it is decoded (the items
        are then only its results; see k8s/listjson.py)."""
        if method in WRITES and self.field_manager and "fieldManager" not in (query or {}):
            query = dict(query or {}, fieldManager=self.field_manager)
        hook = self.before_write
        if hook is not None and method not in ("GET", "HEAD") and \
                "/apis/coordination.k8s.io/" not in path and not (query or {}).get("dryRun"):
            self.before_write = None
            hook()                          # the set's lock, before the first write

        def attempt() -> Any:
            return self._request_once(method, path, query, body, content_type, stream,
                                      timeout, project)
        if not retry:
            return attempt()

        def budget() -> Optional[float]:
            return self.retry_budget if retry_budget is None else retry_budget
        return retrying(attempt, method, budget, self._count_retry)

    def _count_retry(self) -> None:
        self.retries += 1

    def _request_once(self, method: str, path: str, query: Optional[Dict[str, Any]],
                      body: Any, content_type: str, stream: bool, timeout: Timeout,
                      project: Optional[Callable[[Any], Any]] = None) -> Any:
        import urllib3
        from urllib.parse import urlencode
        query = {k: v for k, v in (query or {}).items() if v is not None}
        pool, base, _ = self._transport()
        url = base.rstrip("/") + path
        if query:
            url += "?" + urlencode(query)
        data = json.dumps(body).encode() if body is not None else None
        timeout = timeout or self.timeout
        wait: Union[None, float, urllib3.Timeout] = \
            urllib3.Timeout(connect=timeout[0], read=timeout[1]) \
            if isinstance(timeout, tuple) else timeout
        try:
            # retries=False: urllib3 never repeats a request on its own (it would repeat a PUT
            # whose connection broke after it was sent); request() decides what is safe
            response = pool.request(
                method, url, body=data, headers=self._headers(content_type if data else None),
                preload_content=False, timeout=wait, retries=False, redirect=False)
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            raise transport_error(exc, self.server, self.reached)
        self.reached = True
        if not 200 <= response.status < 300:
            try:
                text = response.data.decode("utf-8", "replace")
            except (urllib3.exceptions.HTTPError, OSError):
                text = ""
            error = api_error(response.status, text, method, path, query)
            after = parse_retry_after(response.headers.get("Retry-After"))
            if after is not None:
                error.retry_after = after
            raise error
        if stream:
            return response
        try:
            # read(), not .data: the bytes are not kept on the response, so a large list
            # is in memory once as bytes, once as text, then only as (projected) objects
            payload = response.read()
            response.release_conn()
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            broken = connection_error(exc, self.server)
            broken.phase = "sent"
            raise broken
        try:
            # one body decoded at a time: decoding holds the GIL anyway, and two large lists
            # decoded at once would be in memory at once
            with _DECODE_LOCK:
                if project is not None and payload:
                    from ..k8s.listjson import parse_list
                    text = payload.decode("utf-8")
                    del payload
                    return parse_list(text, project)
                return json.loads(payload) if payload else {}
        except ValueError:
            raise ServerError("error: the server at %s did not answer JSON for %s %s"
                           % (redact_url(self.server), method, path))

    def get(self, path: str, **query: Any) -> Any:
        return self.request("GET", path, query)

    def get_items(self, path: str, project: Callable[[Any], Any], **query: Any) -> List[Any]:
        """A list's items, each passed through `project` as it is decoded."""
        items: List[Any] = self.request("GET", path, query, project=project).get("items") or []
        return items

    def watch(self, path: str, timeout_seconds: float = 60, retry: bool = True,
              **query: Any) -> Iterator[Dict[str, Any]]:
        """Yield watch events (dicts) until the server ends the stream. Opening the stream is
        retried as a GET is (retry=False: not at all; an informer does its own backoff); an
        error in the middle of the stream is raised (StsError, exit code 5)."""
        query.update(watch="true", timeoutSeconds=str(int(timeout_seconds)),
                     allowWatchBookmarks="true")
        response: BaseHTTPResponse = self.request(
            "GET", path, query, stream=True, retry=retry,
            timeout=(self.timeout or 30, timeout_seconds + 10))
        buffer = b""
        try:
            for chunk in response.stream(65536, decode_content=False):
                buffer += chunk
                while b"\n" in buffer:
                    line, buffer = buffer.split(b"\n", 1)
                    if line.strip():
                        yield json.loads(line)
        except (ValueError, OSError) as exc:
            raise connection_error(exc, self.server)
        except Exception as exc:   # urllib3's ProtocolError/ReadTimeoutError end the stream
            import urllib3
            if not isinstance(exc, urllib3.exceptions.HTTPError):
                raise
            raise connection_error(exc, self.server)
        finally:
            response.release_conn()


def concurrently(*calls: Callable[[], Any]) -> List[Any]:
    """Run independent zero-argument calls (requests over one pooled Connection) at once, so
    they cost one round trip instead of one each. Returns their results in order; when any
    failed, the first failure in call order is raised once all have finished."""
    results: List[Any] = [None] * len(calls)
    errors: List[Optional[BaseException]] = [None] * len(calls)

    def run(i: int) -> None:
        if i:
            from .threads import leave_signals_to_main
            leave_signals_to_main()
        try:
            results[i] = calls[i]()
        except BaseException as exc:        # re-raised in the caller's thread below
            errors[i] = exc
    threads = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(1, len(calls))]
    for thread in threads:
        thread.start()
    if calls:
        run(0)                              # the first in this thread: one thread fewer
    for thread in threads:
        thread.join()
    for error in errors:
        if error is not None:
            raise error
    return results


def _version() -> str:
    from .. import __version__
    return __version__


def _parse_timeout(text: Optional[str]) -> Optional[float]:
    if not text or text in ("0", "0s"):
        return None
    from ..k8s.durations import parse_duration
    return parse_duration(text)
