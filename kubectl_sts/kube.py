"""The connection to the cluster: kubeconfig loading with kubectl's flags, and raw JSON
requests through the official client (no model objects: plain dicts in, plain dicts out).
The kubernetes package is imported here, lazily, so `--help` never pays for it."""

import json
import os

from .errors import (EXIT_CONFIG, EXIT_CONFLICT, EXIT_ERROR, EXIT_FORBIDDEN, EXIT_NOT_FOUND,
                     EXIT_UNREACHABLE, StsError)


class ConnectionOptions:
    """kubectl's global connection flags, as given on the command line."""

    FIELDS = ("kubeconfig", "context", "namespace", "cluster", "user", "server", "token",
              "as_user", "as_groups", "certificate_authority", "client_certificate",
              "client_key", "insecure_skip_tls_verify", "request_timeout")

    def __init__(self, **kwargs):
        for field in self.FIELDS:
            setattr(self, field, kwargs.get(field))
        self.as_groups = tuple(self.as_groups or ())


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
                raise StsError("error: stat %s: no such file or directory" % path, EXIT_CONFIG)
            continue
        found = True
        try:
            with open(path) as f:
                doc = yaml.safe_load(f) or {}
        except (OSError, yaml.YAMLError) as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise StsError("error: invalid kubeconfig %s: %s" % (path, first), EXIT_CONFIG)
        if not isinstance(doc, dict):
            raise StsError("error: invalid kubeconfig %s: not a mapping" % path, EXIT_CONFIG)
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
        raise StsError("error: no kubeconfig found (looked in %s); set --kubeconfig or "
                       "KUBECONFIG" % ", ".join(paths), EXIT_CONFIG)
    return merged


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
        self._resolve()

    def _resolve(self):
        o = self.options
        explicit = o.kubeconfig
        config = load_kubeconfig(kubeconfig_paths(explicit), bool(explicit))
        context_name = o.context or config.get("current-context")
        if not context_name and not o.server:
            raise StsError("error: no context is set in the kubeconfig; use --context",
                           EXIT_CONFIG)
        context = _entry(config, "contexts", context_name) if context_name else None
        if context_name and context is None:
            raise StsError('error: context "%s" does not exist' % context_name, EXIT_CONFIG)
        ctx = dict((context or {}).get("context") or {})
        if o.cluster:
            ctx["cluster"] = o.cluster
        if o.user:
            ctx["user"] = o.user
        cluster = _entry(config, "clusters", ctx.get("cluster"))
        if cluster is None and not o.server:
            raise StsError('error: cluster "%s" does not exist' % ctx.get("cluster"),
                           EXIT_CONFIG)
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
                      "client-certificate-data", "client-key-data", "username", "password"}
    FAST_CLUSTER_KEYS = {"server", "certificate-authority", "certificate-authority-data",
                         "insecure-skip-tls-verify", "tls-server-name", "extensions"}

    def _fast_path(self):
        user = self._resolved["users"][0]["user"]
        cluster = self._resolved["clusters"][0]["cluster"]
        return set(user) <= self.FAST_USER_KEYS and set(cluster) <= self.FAST_CLUSTER_KEYS

    def _transport(self):
        """(pool, base URL, auth headers), built once."""
        if getattr(self, "_pool", None) is None:
            if self._fast_path():
                self._pool, self._base, self._auth = self._fast_transport()
            else:
                api = self.client
                headers = {}
                auth = (api.configuration.auth_settings() or {}).get("BearerToken") or {}
                if auth.get("value"):
                    headers[auth.get("key", "authorization")] = auth["value"]
                self._pool = api.rest_client.pool_manager
                self._base = api.configuration.host
                self._auth = headers
        return self._pool, self._base, self._auth

    def _fast_transport(self):
        import base64
        import urllib3
        user = self._resolved["users"][0]["user"]
        cluster = self._resolved["clusters"][0]["cluster"]
        server = cluster.get("server", "")
        if not server:
            raise StsError("error: the kubeconfig names no server for this context", EXIT_CONFIG)
        kwargs = {"num_pools": 4, "maxsize": 8}
        if server.startswith("https://"):
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
            try:
                with open(user["tokenFile"]) as f:
                    token = f.read().strip()
            except OSError as exc:
                raise StsError("error: cannot read tokenFile %s: %s"
                               % (user["tokenFile"], exc.strerror), EXIT_CONFIG)
        if token:
            headers["authorization"] = "Bearer " + token
        elif user.get("username"):
            pair = "%s:%s" % (user["username"], user.get("password", ""))
            headers["authorization"] = "Basic " + base64.b64encode(pair.encode()).decode()
        try:
            pool = urllib3.PoolManager(**kwargs)
        except (OSError, ValueError) as exc:
            raise StsError("error: invalid TLS settings in the kubeconfig: %s"
                           % _first_line(exc), EXIT_CONFIG)
        return pool, server, headers

    @property
    def client(self):
        """The official client (only for kubeconfigs the fast path cannot serve)."""
        if self._client is None:
            from kubernetes import client as k8s_client
            from kubernetes import config as k8s_config
            configuration = k8s_client.Configuration()
            try:
                k8s_config.load_kube_config_from_dict(self._resolved,
                                                      client_configuration=configuration,
                                                      persist_config=False)
            except Exception as exc:
                raise StsError("error: invalid kubeconfig: %s" % _first_line(exc), EXIT_CONFIG)
            self._client = k8s_client.ApiClient(configuration)
        return self._client

    def _headers(self, content_type):
        from urllib3 import HTTPHeaderDict
        _, _, auth = self._transport()
        headers = HTTPHeaderDict({"Accept": "application/json",
                                  "User-Agent": "kubectl-sts/%s" % _version()})
        if self.options.as_user:
            headers["Impersonate-User"] = self.options.as_user
        for group in self.options.as_groups:
            headers.add("Impersonate-Group", group)     # one header line per group
        headers.update(auth)
        if content_type:
            headers["Content-Type"] = content_type
        return headers

    def request(self, method, path, query=None, body=None, content_type="application/json",
                stream=False, timeout=None):
        """One HTTP request through the client's connection pool (its TLS and auth settings).
        Returns the decoded JSON body, or the open response when `stream`."""
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
            response = pool.request(
                method, url, body=data, headers=self._headers(content_type if data else None),
                preload_content=False, timeout=timeout)
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            raise connection_error(exc, self.server)
        if not 200 <= response.status < 300:
            try:
                text = response.data.decode("utf-8", "replace")
            except (urllib3.exceptions.HTTPError, OSError):
                text = ""
            raise api_error(response.status, text, method, path)
        if stream:
            return response
        try:
            payload = response.data
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            raise connection_error(exc, self.server)
        return json.loads(payload) if payload else {}

    def get(self, path, **query):
        return self.request("GET", path, query)

    def watch(self, path, timeout_seconds=60, **query):
        """Yield watch events (dicts) until the server ends the stream."""
        query.update(watch="true", timeoutSeconds=str(int(timeout_seconds)),
                     allowWatchBookmarks="true")
        response = self.request("GET", path, query, stream=True,
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


def _version():
    from . import __version__
    return __version__


def _parse_timeout(text):
    if not text or text in ("0", "0s"):
        return None
    from .durations import parse_duration
    return parse_duration(text)


def _first_line(exc):
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def api_error(status, body, method="GET", path=""):
    """An API server's refusal as a kubectl-style one-line StsError."""
    reason, message = "", ""
    try:
        payload = json.loads(body)
        reason, message = payload.get("reason", ""), payload.get("message", "")
    except (TypeError, ValueError):
        message = (body or "").strip() if isinstance(body, str) else ""
    if not message:
        message = "the server responded with status %s" % status
    code = {404: EXIT_NOT_FOUND, 401: EXIT_FORBIDDEN, 403: EXIT_FORBIDDEN,
            409: EXIT_CONFLICT}.get(status, EXIT_ERROR)
    if status == 401:
        reason = reason or "Unauthorized"
        message = "You must be logged in to the server (%s)" % message
    error = StsError("Error from server (%s): %s" % (reason or status, message), code)
    error.status = status
    error.reason = reason
    return error


def connection_error(exc, server):
    text = _first_line(exc)
    if "CERTIFICATE_VERIFY_FAILED" in text or "SSL" in text:
        message = "error: TLS verification failed for %s: %s" % (server, _tls_reason(text))
    elif "timed out" in text.lower() or "timeout" in type(exc).__name__.lower():
        message = "error: timed out talking to %s" % server
    else:
        message = "error: cannot reach the cluster at %s: %s" % (server, _short_reason(text))
    return StsError(message, EXIT_UNREACHABLE)


def _tls_reason(text):
    if "certificate verify failed" in text:
        return "certificate verify failed"
    return "SSL error"


def _short_reason(text):
    for marker in ("Connection refused", "Name or service not known", "No route to host",
                   "Connection reset", "Remote end closed connection"):
        if marker.lower() in text.lower():
            return marker.lower()
    return text[:160]


def _b64(text):
    import base64
    return base64.b64decode(text).decode("ascii")


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
