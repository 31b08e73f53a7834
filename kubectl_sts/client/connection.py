"""The connection to the cluster: kubeconfig loading with kubectl's flags, and raw JSON
requests through the official client (no model objects: plain dicts in, plain dicts out).
The kubernetes package is imported here, lazily, so `--help` never pays for it."""

import json
import os
import re
import threading
import time
from typing import Any, Dict, Optional

from ..errors import (ApiError, ConfigError, ServerError, StsError, TransportError,
                      api_error_class, register_secret)

# Retries (see Connection.request): the first wait, its doubling cap, the default budget of one
# request's retries (commands with a --timeout use that instead), the longest Retry-After
# honoured, and the answers worth repeating for a read.
BACKOFF_FIRST = 0.2
BACKOFF_MAX = 5.0
RETRY_BUDGET = 30.0
RETRY_AFTER_MAX = 30.0
RETRY_STATUSES = (429, 500, 502, 503, 504)
_BACKOFF = object()


class ConnectionOptions:
    """kubectl's global connection flags, as given on the command line."""

    FIELDS = ("kubeconfig", "context", "namespace", "cluster", "user", "server", "token",
              "as_user", "as_groups", "certificate_authority", "client_certificate",
              "client_key", "insecure_skip_tls_verify", "request_timeout", "cache_dir")

    def __init__(self, **kwargs):
        for field in self.FIELDS:
            setattr(self, field, kwargs.get(field))
        self.as_groups = tuple(self.as_groups or ())

    def __setattr__(self, name, value):
        if name == "token" and value:
            register_secret(value)          # --token, wherever it was given
        super().__setattr__(name, value)


def kubeconfig_paths(explicit=None):
    if explicit:
        return [explicit]
    env = os.environ.get("KUBECONFIG")
    if env:
        return [p for p in env.split(os.pathsep) if p]
    return [os.path.join(os.path.expanduser("~"), ".kube", "config")]


def load_kubeconfig(paths, explicit):
    """Merge kubeconfig files as kubectl does: the first file that sets a value wins."""
    import yaml
    merged = {"clusters": [], "users": [], "contexts": [], "current-context": None}
    found = False
    for path in paths:
        if not os.path.exists(path):
            if explicit:
                raise ConfigError("error: stat %s: no such file or directory" % path)
            continue
        found = True
        try:
            with open(path, encoding="utf-8") as f:
                # libyaml's safe loader when PyYAML has it (a kubeconfig with several clusters'
                # certificates parses ~10x faster), else the pure-Python one: the same document
                doc = yaml.load(f, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)) or {}
        except (OSError, yaml.YAMLError, UnicodeDecodeError) as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise ConfigError("error: invalid kubeconfig %s: %s" % (path, first))
        _check_shape(doc, path)
        for key in ("clusters", "users", "contexts"):
            names = {e.get("name") for e in merged[key]}
            for entry in doc.get(key) or []:
                if isinstance(entry, dict) and entry.get("name") not in names:
                    merged[key].append(entry)
        if not merged["current-context"] and doc.get("current-context"):
            merged["current-context"] = doc["current-context"]
        # relative file references are relative to the file that names them
        base = os.path.dirname(os.path.abspath(path))
        for key, fields in (("clusters", ("certificate-authority",)),
                            ("users", ("client-certificate", "client-key"))):
            for entry in doc.get(key) or []:
                body = (entry or {}).get(key[:-1]) or {}
                for field in fields:
                    if body.get(field) and not os.path.isabs(body[field]):
                        body[field] = os.path.join(base, body[field])
    if not found:
        raise ConfigError("error: no kubeconfig found (looked in %s); set --kubeconfig or "
                       "KUBECONFIG" % ", ".join(paths))
    return merged


def _check_shape(doc, path):
    """A kubeconfig's structure, checked before use: every malformed shape is one line and
    exit 7, never a TypeError later."""
    def bad(what):
        raise ConfigError("error: invalid kubeconfig %s: %s" % (path, what))
    if not isinstance(doc, dict):
        bad("not a mapping")
    for key, body_key in (("clusters", "cluster"), ("users", "user"), ("contexts", "context")):
        entries = doc.get(key)
        if entries is None:
            continue
        if not isinstance(entries, list):
            bad("%s must be a list" % key)
        for entry in entries:
            if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
                bad("every entry of %s must be a mapping with a name" % key)
            body = entry.get(body_key)
            if body is not None and not isinstance(body, dict):
                bad('%s "%s": %s must be a mapping' % (key[:-1], entry["name"], body_key))
            for field, value in (body or {}).items():
                if field in ("insecure-skip-tls-verify",):
                    if not isinstance(value, bool):
                        bad('%s "%s": %s must be true or false' % (key[:-1], entry["name"], field))
                elif field in ("token", "password", "username", "server", "tokenFile",
                               "certificate-authority", "certificate-authority-data",
                               "client-certificate", "client-certificate-data", "client-key",
                               "client-key-data", "namespace", "cluster", "user",
                               "tls-server-name", "proxy-url", "as",
                               "as-uid") and not isinstance(value, str):
                    bad('%s "%s": %s must be a string' % (key[:-1], entry["name"], field))
                elif field == "as-groups" and not (isinstance(value, list) and all(
                        isinstance(g, str) for g in value)):
                    bad('%s "%s": as-groups must be a list of strings' % (key[:-1], entry["name"]))
    current = doc.get("current-context")
    if current is not None and not isinstance(current, str):
        bad("current-context must be a string")


def _entry(config, kind, name):
    for entry in config[kind]:
        if entry.get("name") == name:
            return entry
    return None


class Connection:
    """A resolved connection: the API client, the namespace to use, and raw JSON requests."""

    def __init__(self, options):
        self.options = options
        self._client = None
        self.namespace = None
        self.context = None
        self.timeout = _parse_timeout(options.request_timeout)
        self.retry_budget = RETRY_BUDGET    # seconds one request may spend retrying
        self.reached = False                # the server has answered once: refusals = restart
        self.retries = 0                    # requests repeated so far (for diagnostics)
        self._resolve()

    def _resolve(self):
        o = self.options
        explicit = o.kubeconfig
        config = load_kubeconfig(kubeconfig_paths(explicit), bool(explicit))
        context_name = o.context or config.get("current-context")
        if not context_name and not o.server:
            raise ConfigError("error: no context is set in the kubeconfig; use --context")
        context = _entry(config, "contexts", context_name) if context_name else None
        if context_name and context is None:
            raise ConfigError('error: context "%s" does not exist' % context_name)
        ctx = dict((context or {}).get("context") or {})
        if o.cluster:
            ctx["cluster"] = o.cluster
        if o.user:
            ctx["user"] = o.user
        cluster = _entry(config, "clusters", ctx.get("cluster"))
        if cluster is None and not o.server:
            raise ConfigError('error: cluster "%s" does not exist' % ctx.get("cluster"))
        user = _entry(config, "users", ctx.get("user")) or {"name": "", "user": {}}
        cluster = {"name": "cluster", "cluster": dict((cluster or {}).get("cluster") or {})}
        user = {"name": "user", "user": dict(user.get("user") or {})}
        if o.server:
            cluster["cluster"]["server"] = o.server
        if o.certificate_authority:
            cluster["cluster"]["certificate-authority"] = o.certificate_authority
            cluster["cluster"].pop("certificate-authority-data", None)
        if o.insecure_skip_tls_verify:
            cluster["cluster"]["insecure-skip-tls-verify"] = True
        if o.token:
            user["user"] = {"token": o.token}
        if o.client_certificate:
            user["user"]["client-certificate"] = o.client_certificate
            user["user"].pop("client-certificate-data", None)
        if o.client_key:
            user["user"]["client-key"] = o.client_key
            user["user"].pop("client-key-data", None)
        for key in ("token", "password", "client-key-data"):
            register_secret(user["user"].get(key))
        if user["user"].get("client-key-data"):
            try:
                register_secret(_b64(user["user"]["client-key-data"]))
            except (ValueError, UnicodeDecodeError):
                pass
        if not _is_tls(cluster["cluster"].get("server", "")):
            # kubectl reads a user's credentials and a cluster's TLS settings only for an
            # https:// server (client-go tools/clientcmd/client_config.go,
            # DirectClientConfig.ClientConfig: "only try to read the auth information if we
            # are secure"): no token, password, certificate or exec plugin over plain HTTP
            user["user"] = {k: v for k, v in user["user"].items() if k in IMPERSONATION_KEYS}
            for key in TLS_CLUSTER_KEYS:
                cluster["cluster"].pop(key, None)
        self.context = context_name or ""
        self.namespace = o.namespace or ctx.get("namespace") or "default"
        self.server = cluster["cluster"].get("server", "")
        self._resolved = {"apiVersion": "v1", "kind": "Config", "clusters": [cluster],
                          "users": [user], "current-context": "ctx",
                          "contexts": [{"name": "ctx", "context": {"cluster": "cluster",
                                                                   "user": "user"}}]}

    # -- transport ----------------------------------------------------------------------------
    # The common kubeconfigs (bearer token, client certificate, basic auth; a CA file or data)
    # are served by a urllib3 pool built here, without importing the official client, which
    # costs ~180 ms at start-up. Exec credential plugins and auth providers go through the
    # official client's loader, which knows how to run and refresh them.
    FAST_USER_KEYS = {"token", "tokenFile", "client-certificate", "client-key",
                      "client-certificate-data", "client-key-data", "username", "password",
                      "as", "as-groups", "extensions"}
    FAST_CLUSTER_KEYS = {"server", "certificate-authority", "certificate-authority-data",
                         "insecure-skip-tls-verify", "tls-server-name", "extensions",
                         "proxy-url", "disable-compression"}

    def _fast_path(self):
        user = self._resolved["users"][0]["user"]
        cluster = self._resolved["clusters"][0]["cluster"]
        return set(user) <= self.FAST_USER_KEYS and set(cluster) <= self.FAST_CLUSTER_KEYS

    def _transport(self):
        """(pool, base URL, auth headers), built once (under a lock: concurrent reads)."""
        if getattr(self, "_pool", None) is None:
            with _TRANSPORT_LOCK:
                if getattr(self, "_pool", None) is None:
                    self._build_transport()
        return self._pool, self._base, self._auth

    def _build_transport(self):
        if self._fast_path():
            pool, base, auth = self._fast_transport()
        else:
            api = self.client
            auth = {}
            bearer = (api.configuration.auth_settings() or {}).get("BearerToken") or {}
            if bearer.get("value"):
                auth[bearer.get("key", "authorization")] = bearer["value"]
                register_secret(bearer["value"])
                register_secret(str(bearer["value"]).split(" ", 1)[-1])
            pool, base = api.rest_client.pool_manager, api.configuration.host
        auth.update(self._impersonation())
        self._base, self._auth = base, auth
        self._pool = pool                   # last: the unlocked check in _transport reads it

    def _fast_transport(self):
        import base64
        import urllib3
        user = self._resolved["users"][0]["user"]
        cluster = self._resolved["clusters"][0]["cluster"]
        server = cluster.get("server", "")
        if not server:
            raise ConfigError("error: the kubeconfig names no server for this context")
        from urllib.parse import urlsplit
        try:
            parts = urlsplit(server)
            valid = parts.scheme in ("http", "https") and bool(parts.hostname) and \
                parts.port is not None or (parts.scheme in ("http", "https") and parts.hostname)
        except ValueError:
            valid = False
        if not valid:
            raise ConfigError('error: invalid server URL "%s" in the kubeconfig (want https://host[:port])'
                           % server[:100])
        kwargs = {"num_pools": 4, "maxsize": 8}
        if _is_tls(server):
            if cluster.get("insecure-skip-tls-verify"):
                kwargs["cert_reqs"] = "CERT_NONE"
                urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)
            else:
                kwargs["cert_reqs"] = "CERT_REQUIRED"
                if cluster.get("certificate-authority-data"):
                    kwargs["ca_cert_data"] = _b64(cluster["certificate-authority-data"])
                elif cluster.get("certificate-authority"):
                    kwargs["ca_certs"] = cluster["certificate-authority"]
                if cluster.get("tls-server-name"):
                    kwargs["server_hostname"] = cluster["tls-server-name"]
            cert = user.get("client-certificate") or _data_file(
                user.get("client-certificate-data"))
            key = user.get("client-key") or _data_file(user.get("client-key-data"))
            if cert:
                kwargs["cert_file"], kwargs["key_file"] = cert, key
        headers = {}
        token = user.get("token")
        if not token and user.get("tokenFile"):
            token = self._token_file(user["tokenFile"])
        if token:
            headers["authorization"] = "Bearer " + token
        elif user.get("username"):
            pair = "%s:%s" % (user["username"], user.get("password", ""))
            headers["authorization"] = "Basic " + base64.b64encode(pair.encode()).decode()
        for value in headers.values():
            register_secret(value)
        headers.update(self._impersonation())
        for field in ("ca_certs", "cert_file", "key_file"):
            if kwargs.get(field) and not os.path.isfile(kwargs[field]):
                raise ConfigError("error: invalid kubeconfig: %s file %s does not exist"
                                  % (field.replace("_", "-"), kwargs[field]))
        proxy = proxy_for(server, cluster.get("proxy-url"))
        try:
            if proxy and proxy.startswith("socks"):
                from urllib3.contrib.socks import SOCKSProxyManager
                pool = SOCKSProxyManager(proxy, **kwargs)
            elif proxy:
                pool = urllib3.ProxyManager(proxy, **kwargs)
            else:
                pool = urllib3.PoolManager(**kwargs)
        except ImportError:
            raise ConfigError("error: proxy-url %s needs the PySocks package (pip install "
                              "PySocks)" % proxy)
        except (OSError, ValueError) as exc:
            raise ConfigError("error: invalid TLS settings in the kubeconfig: %s"
                           % _first_line(exc))
        return pool, server, headers

    @staticmethod
    def _token_file(path):
        try:
            with open(path) as f:
                token = f.read().strip()
        except OSError as exc:
            raise ConfigError("error: cannot read tokenFile %s: %s" % (path, exc.strerror))
        register_secret(token)
        return token

    def _impersonation(self) -> Dict[str, Any]:
        """Impersonate-* headers: --as / --as-group, else the kubeconfig user's `as` /
        `as-groups` (kubectl sends these whatever the scheme)."""
        user = self._resolved["users"][0]["user"]
        name = self.options.as_user or user.get("as")
        groups = list(self.options.as_groups or user.get("as-groups") or [])
        headers: Dict[str, Any] = {}
        if name:
            headers["Impersonate-User"] = name
        if groups:
            headers["Impersonate-Group"] = groups
        return headers

    @property
    def client(self):
        """The official client (only for kubeconfigs the fast path cannot serve)."""
        if self._client is None:
            from kubernetes import client as k8s_client
            from kubernetes import config as k8s_config
            configuration = k8s_client.Configuration()
            resolved = self._resolved
            user = resolved["users"][0]["user"]
            if user.get("tokenFile") and not user.get("token"):
                # the official loader keeps the file's newline (an invalid header); kubectl
                # trims it (client-go transport's cached token source)
                token = self._token_file(user["tokenFile"])
                resolved = dict(resolved, users=[{"name": "user", "user": dict(
                    {k: v for k, v in user.items() if k != "tokenFile"}, token=token)}])
            try:
                k8s_config.load_kube_config_from_dict(resolved,
                                                      client_configuration=configuration,
                                                      persist_config=False)
            except Exception as exc:
                raise ConfigError("error: invalid kubeconfig: %s" % _first_line(exc))
            cluster = self._resolved["clusters"][0]["cluster"]
            configuration.proxy = proxy_for(cluster.get("server", ""), cluster.get("proxy-url"))
            self._client = k8s_client.ApiClient(configuration)
        return self._client

    def _headers(self, content_type):
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

    def request(self, method, path, query=None, body=None, content_type="application/json",
                stream=False, timeout=None, retry=True, retry_budget=None, project=None):
        """One HTTP request through the client's connection pool (its TLS and auth settings).
        Returns the decoded JSON body, or the open response when `stream`.

        Failures that are safe to repeat are retried with bounded exponential backoff
        (BACKOFF_FIRST doubling up to BACKOFF_MAX per wait, or the server's Retry-After) until
        `retry_budget` seconds (default: self.retry_budget) have passed since the first
        failure:
        - GET: 429, 500, 502, 503, 504, and a connection reset or closed mid-response;
        - any method: 429 (the server refused before doing anything), and a connection that
          could not be opened (refused, connect timeout) once this process has reached the
          server (a restart); the first contact fails at once (a wrong address).
        Writes are never repeated after a 5xx or a reset: the write may have been applied.
        `project`: for a list, a function applied to each item as it is decoded (the items
        are then only its results; see k8s/listjson.py)."""
        started = None
        delay = BACKOFF_FIRST
        attempts = 0
        while True:
            attempts += 1
            try:
                return self._request_once(method, path, query, body, content_type, stream,
                                          timeout, project)
            except StsError as exc:
                wait = self._retry_wait(exc, method) if retry else None
                if wait is None:
                    raise
                now = time.monotonic()
                if started is None:
                    started = now
                budget = self.retry_budget if retry_budget is None else retry_budget
                deadline = started + (budget or 0)
                left = deadline - now
                if left <= 0:
                    if attempts > 1:
                        exc.message = "%s (gave up after %d attempts in %.1fs)" % (
                            exc.message, attempts, now - started)
                        exc.args = (exc.message,)
                    raise
                if wait is _BACKOFF:
                    wait = delay
                    delay = min(delay * 2, BACKOFF_MAX)
                self.retries += 1
                time.sleep(min(wait, left))

    @staticmethod
    def _retry_wait(exc, method):
        """Seconds to wait before repeating the request that failed with `exc` (or _BACKOFF
        for the backoff's next wait), or None when it must not be repeated."""
        if isinstance(exc, ApiError):
            if exc.status == 429 or (exc.status in RETRY_STATUSES and method == "GET"):
                return min(exc.retry_after, RETRY_AFTER_MAX) if exc.retry_after else _BACKOFF
            return None
        if isinstance(exc, TransportError):
            if exc.phase == "connect" or (exc.phase == "sent" and method == "GET"):
                return _BACKOFF
        return None

    def _request_once(self, method, path, query, body, content_type, stream, timeout,
                      project=None):
        import urllib3
        from urllib.parse import urlencode
        query = {k: v for k, v in (query or {}).items() if v is not None}
        pool, base, _ = self._transport()
        url = base.rstrip("/") + path
        if query:
            url += "?" + urlencode(query)
        data = json.dumps(body).encode() if body is not None else None
        timeout = timeout or self.timeout
        if isinstance(timeout, tuple):
            timeout = urllib3.Timeout(connect=timeout[0], read=timeout[1])
        try:
            # retries=False: urllib3 never repeats a request on its own (it would repeat a PUT
            # whose connection broke after it was sent); request() decides what is safe
            response = pool.request(
                method, url, body=data, headers=self._headers(content_type if data else None),
                preload_content=False, timeout=timeout, retries=False, redirect=False)
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            raise self._transport_error(exc)
        self.reached = True
        if not 200 <= response.status < 300:
            try:
                text = response.data.decode("utf-8", "replace")
            except (urllib3.exceptions.HTTPError, OSError):
                text = ""
            error = api_error(response.status, text, method, path, query)
            after = _retry_after(response.headers.get("Retry-After"))
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
            error = connection_error(exc, self.server)
            error.phase = "sent"
            raise error
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
                           % (self.server, method, path))

    def _transport_error(self, exc):
        """A transport failure as StsError, with `phase`: "connect" (nothing was sent, and it
        is worth repeating: the server was reached before, so it is restarting), "sent" (the
        request may have been received), or None (never worth repeating: TLS, DNS, a
        timeout)."""
        import urllib3
        error = connection_error(exc, self.server)
        text = _first_line(exc).lower()
        if isinstance(exc, urllib3.exceptions.SSLError) or "ssl" in text or \
                "certificate" in text:
            error.phase = None
        elif isinstance(exc, (urllib3.exceptions.NewConnectionError,
                              urllib3.exceptions.ConnectTimeoutError, ConnectionRefusedError)):
            refused = "refused" in text or isinstance(exc, ConnectionRefusedError)
            timed_out = isinstance(exc, urllib3.exceptions.ConnectTimeoutError) and \
                not isinstance(exc, urllib3.exceptions.NewConnectionError)
            error.phase = "connect" if self.reached and (refused or timed_out) else None
        elif isinstance(exc, urllib3.exceptions.ReadTimeoutError) or "timed out" in text:
            error.phase = None
        else:       # reset, aborted, closed without a response, closed mid-response
            error.phase = "sent"
        return error

    def get(self, path, **query):
        return self.request("GET", path, query)

    def get_items(self, path, project, **query):
        """A list's items, each passed through `project` as it is decoded."""
        return self.request("GET", path, query, project=project).get("items") or []

    def watch(self, path, timeout_seconds=60, retry=True, **query):
        """Yield watch events (dicts) until the server ends the stream. Opening the stream is
        retried as a GET is (retry=False: not at all; an informer does its own backoff); an
        error in the middle of the stream is raised (StsError, exit code 5)."""
        query.update(watch="true", timeoutSeconds=str(int(timeout_seconds)),
                     allowWatchBookmarks="true")
        response = self.request("GET", path, query, stream=True, retry=retry,
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


def concurrently(*calls: Any) -> list:
    """Run independent zero-argument calls (requests over one pooled Connection) at once, so
    they cost one round trip instead of one each. Returns their results in order; when any
    failed, the first failure in call order is raised once all have finished."""
    results: list = [None] * len(calls)
    errors: list = [None] * len(calls)

    def run(i: int) -> None:
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


_TRANSPORT_LOCK = threading.Lock()
_DECODE_LOCK = threading.Lock()
IMPERSONATION_KEYS = ("as", "as-groups", "as-uid", "as-user-extra")
TLS_CLUSTER_KEYS = ("certificate-authority", "certificate-authority-data",
                    "insecure-skip-tls-verify", "tls-server-name")


def _is_tls(server: str) -> bool:
    return server[:8].lower() == "https://"


def proxy_for(server: str, proxy_url: Optional[str]) -> Optional[str]:
    """The proxy kubectl would use for `server`: the cluster's proxy-url, else HTTPS_PROXY /
    HTTP_PROXY (by the server's scheme) unless NO_PROXY matches or the host is localhost or a
    loopback address (Go's net/http ProxyFromEnvironment, which client-go uses)."""
    if proxy_url:
        return proxy_url
    import ipaddress
    from urllib.parse import urlsplit
    from urllib.request import getproxies_environment
    host = (urlsplit(server).hostname or "").lower()
    try:
        address: Any = ipaddress.ip_address(host)
    except ValueError:
        address = None
    if host == "localhost" or (address is not None and address.is_loopback):
        return None
    proxies = getproxies_environment()
    proxy = proxies.get("https" if _is_tls(server) else "http")
    if not proxy or _no_proxy(host, address, proxies.get("no", "")):
        return None
    return proxy if "://" in proxy else "http://" + proxy


def _no_proxy(host: str, address: Any, value: str) -> bool:
    """NO_PROXY as Go reads it: "*", host names (a leading "." or not: the domain and its
    subdomains), IP addresses and CIDR ranges, each with an optional port (ignored here)."""
    import ipaddress
    for entry in (e.strip().lower() for e in value.split(",")):
        if not entry:
            continue
        if entry == "*":
            return True
        try:
            network = ipaddress.ip_network(entry, strict=False)
        except ValueError:
            network = None
        if network is not None:
            if address is not None and address in network:
                return True
            continue
        name = entry.rsplit(":", 1)[0] if entry.count(":") == 1 else entry
        name = name.lstrip(".")
        if name and (host == name or host.endswith("." + name)):
            return True
    return False


def _version():
    from .. import __version__
    return __version__


def _parse_timeout(text):
    if not text or text in ("0", "0s"):
        return None
    from ..k8s.durations import parse_duration
    return parse_duration(text)


def _first_line(exc):
    from ..errors import redact
    text = redact(str(exc)).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def api_error(status, body, method="GET", path="", query=None):
    """An API server's refusal as a kubectl-style one-line StsError (`status`, `reason` and,
    when the server asked for it, `retry_after` are attributes). A 403 without a message
    names the verb and resource refused, from the method and path."""
    reason, message, retry_after, details = "", "", None, {}
    try:
        payload = json.loads(body)
        if isinstance(payload, str):
            message = payload
        elif not isinstance(payload, dict):
            raise ValueError(body)
        else:
            reason, message = payload.get("reason", ""), payload.get("message", "")
            details = payload.get("details") if isinstance(payload.get("details"), dict) else {}
            retry_after = _retry_after(details.get("retryAfterSeconds"))
    except (TypeError, ValueError):
        message = (body or "").strip() if isinstance(body, str) else ""
        if message.lstrip().startswith("<"):          # an HTML error page from a proxy
            message = ""
    message = _one_line(str(message or ""))
    if len(message) > 500:
        message = message[:497] + "..."
    if not message and status == 403:
        reason = reason or "Forbidden"
        message = "forbidden: cannot %s" % describe_request(method, path, query)
    if not message:
        message = "the server responded with status %s" % status
    if status == 401:
        reason = reason or "Unauthorized"
        message = "You must be logged in to the server (%s)" % message
    return api_error_class(status)("Error from server (%s): %s" % (reason or status, message),
                                   status=status, reason=reason, retry_after=retry_after,
                                   details=details)


_VERBS = {"GET": "get", "HEAD": "get", "POST": "create", "PUT": "update", "PATCH": "patch",
          "DELETE": "delete"}


def describe_request(method, path, query=None):
    """`get resource "statefulsets" in API group "apps" in the namespace "ns"`: the verb and
    resource of a request, in the words of an RBAC refusal."""
    query = query or {}
    parts = [p for p in (path or "").split("?")[0].split("/") if p]
    group, rest = None, None
    if parts[:1] == ["api"] and len(parts) >= 2:
        group, rest = "", parts[2:]
    elif parts[:1] == ["apis"] and len(parts) >= 3:
        group, rest = parts[1], parts[3:]
    verb = _VERBS.get(method.upper(), method.lower())
    if group is None or not rest:
        return '%s path "%s"' % (verb, path)
    namespace = None
    if rest[0] == "namespaces" and len(rest) >= 3:
        namespace, rest = rest[1], rest[2:]
    resource = rest[0]
    name = rest[1] if len(rest) >= 2 else None
    if len(rest) >= 3:
        resource += "/" + rest[2]
    if name is None and method.upper() == "GET":
        verb = "watch" if str(query.get("watch")) in ("true", "1") else "list"
    elif name is None and method.upper() == "DELETE":
        verb = "deletecollection"
    text = '%s resource "%s" in API group "%s"' % (verb, resource, group)
    if namespace:
        text += ' in the namespace "%s"' % namespace
    else:
        text += " at the cluster scope"
    if name:
        text += ' (name "%s")' % name
    return text


def _one_line(text):
    return re.sub(r"\s+", " ", text).strip()


def _retry_after(value):
    """Retry-After (or details.retryAfterSeconds) in seconds, or None."""
    if value is None or value == "":
        return None
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        return None
    return seconds if seconds > 0 else None


def connection_error(exc, server):
    text = _first_line(exc)
    if "CERTIFICATE_VERIFY_FAILED" in text or "SSL" in text:
        message = "error: TLS verification failed for %s: %s" % (server, _tls_reason(text))
    elif "timed out" in text.lower() or "timeout" in type(exc).__name__.lower():
        message = "error: timed out talking to %s" % server
    else:
        message = "error: cannot reach the cluster at %s: %s" % (server, _short_reason(text))
    return TransportError(message)


def _tls_reason(text):
    if "certificate verify failed" in text:
        return "certificate verify failed"
    return "SSL error"


def _short_reason(text):
    for marker in ("Connection refused", "Name or service not known", "No route to host",
                   "Connection reset", "Remote end closed connection"):
        if marker.lower() in text.lower():
            return marker.lower()
    for marker, said in (("IncompleteRead", "the connection closed in the middle of an answer"),
                         ("Connection broken", "the connection broke in the middle of an "
                                               "answer"),
                         ("Connection aborted", "the connection was aborted")):
        if marker.lower() in text.lower():
            return said
    return _one_line(text)[:160]


def _b64(text):
    import base64
    import binascii
    try:
        return base64.b64decode(text, validate=True).decode("ascii")
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise ConfigError("error: invalid kubeconfig: certificate-authority-data is not base64 "
                       "PEM")


def _data_file(data):
    """A kubeconfig's inline *-data as a private temporary file (urllib3 wants paths)."""
    if not data:
        return None
    import atexit
    import base64
    import tempfile
    fd, path = tempfile.mkstemp(prefix="kubectl-sts-", suffix=".pem")
    with os.fdopen(fd, "wb") as f:
        f.write(base64.b64decode(data))
    atexit.register(lambda: os.path.exists(path) and os.unlink(path))
    return path
