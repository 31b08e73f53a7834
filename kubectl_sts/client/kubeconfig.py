"""kubectl's connection flags and the kubeconfig: the files found and merged as kubectl merges
them, their shape checked, one context resolved into a single-cluster, single-user document
with the flags applied, and the credential data helpers (inline *-data, token files)."""

import os
from typing import Any, Dict, List, NoReturn, Optional, Tuple

from ..errors import ConfigError, register_secret

Entry = Dict[str, Any]
Kubeconfig = Dict[str, Any]

# the user keys kubectl keeps over plain http (impersonation), and the cluster keys it drops
IMPERSONATION_KEYS = ("as", "as-groups", "as-uid", "as-user-extra")
TLS_CLUSTER_KEYS = ("certificate-authority", "certificate-authority-data",
                    "insecure-skip-tls-verify", "tls-server-name")


class ConnectionOptions:
    """kubectl's global connection flags, as given on the command line."""

    FIELDS = ("kubeconfig", "context", "namespace", "cluster", "user", "server", "token",
              "as_user", "as_groups", "certificate_authority", "client_certificate",
              "client_key", "insecure_skip_tls_verify", "request_timeout", "cache_dir")

    kubeconfig: Optional[str]
    context: Optional[str]
    namespace: Optional[str]
    cluster: Optional[str]
    user: Optional[str]
    server: Optional[str]
    token: Optional[str]
    as_user: Optional[str]
    as_groups: Tuple[str, ...]
    certificate_authority: Optional[str]
    client_certificate: Optional[str]
    client_key: Optional[str]
    insecure_skip_tls_verify: Optional[bool]
    request_timeout: Optional[str]
    cache_dir: Optional[str]

    def __init__(self, **kwargs: Any) -> None:
        for field in self.FIELDS:
            setattr(self, field, kwargs.get(field))
        self.as_groups = tuple(self.as_groups or ())

    def __setattr__(self, name: str, value: Any) -> None:
        if name == "token" and value:
            register_secret(value)          # --token, wherever it was given
        super().__setattr__(name, value)


def kubeconfig_paths(explicit: Optional[str] = None) -> List[str]:
    if explicit:
        return [explicit]
    env = os.environ.get("KUBECONFIG")
    if env:
        return [p for p in env.split(os.pathsep) if p]
    return [os.path.join(os.path.expanduser("~"), ".kube", "config")]


def load_kubeconfig(paths: List[str], explicit: bool) -> Kubeconfig:
    """Merge kubeconfig files as kubectl does: the first file that sets a value wins."""
    import yaml
    clusters: List[Entry] = []
    users: List[Entry] = []
    contexts: List[Entry] = []
    merged: Kubeconfig = {"clusters": clusters, "users": users, "contexts": contexts,
                          "current-context": None}
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
        for key, into in (("clusters", clusters), ("users", users), ("contexts", contexts)):
            names = {e.get("name") for e in into}
            for entry in doc.get(key) or []:
                if isinstance(entry, dict) and entry.get("name") not in names:
                    into.append(entry)
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


STRING_FIELDS = ("token", "password", "username", "server", "tokenFile",
                 "certificate-authority", "certificate-authority-data",
                 "client-certificate", "client-certificate-data", "client-key",
                 "client-key-data", "namespace", "cluster", "user",
                 "tls-server-name", "proxy-url", "as", "as-uid")


def _check_shape(doc: Any, path: str) -> None:
    """A kubeconfig's structure, checked before use: every malformed shape is one line and
    exit 7, never a TypeError later."""
    def bad(what: str) -> NoReturn:
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
                elif field in STRING_FIELDS and not isinstance(value, str):
                    bad('%s "%s": %s must be a string' % (key[:-1], entry["name"], field))
                elif field == "as-groups" and not (isinstance(value, list) and all(
                        isinstance(g, str) for g in value)):
                    bad('%s "%s": as-groups must be a list of strings' % (key[:-1], entry["name"]))
    current = doc.get("current-context")
    if current is not None and not isinstance(current, str):
        bad("current-context must be a string")


def _entry(config: Kubeconfig, kind: str, name: Optional[str]) -> Optional[Entry]:
    for entry in config[kind]:
        if entry.get("name") == name:
            return entry
    return None


def is_tls(server: str) -> bool:
    return server[:8].lower() == "https://"


class Resolved:
    """One context resolved, with the flags applied: `config` is a kubeconfig document of
    one cluster, one user and one context (what the official loader takes)."""

    def __init__(self, context: str, namespace: str, server: str, config: Kubeconfig) -> None:
        self.context, self.namespace, self.server, self.config = context, namespace, server, config


def user_of(config: Kubeconfig) -> Entry:
    """The user's settings in a resolved kubeconfig document."""
    user: Entry = config["users"][0]["user"]
    return user


def cluster_of(config: Kubeconfig) -> Entry:
    """The cluster's settings in a resolved kubeconfig document."""
    cluster: Entry = config["clusters"][0]["cluster"]
    return cluster


def resolve(o: ConnectionOptions) -> Resolved:
    """The context the flags (or the kubeconfig's current-context) name, its cluster and user
    with the flags applied; every credential in it is registered as a secret."""
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
    found_cluster = _entry(config, "clusters", ctx.get("cluster"))
    if found_cluster is None and not o.server:
        raise ConfigError('error: cluster "%s" does not exist' % ctx.get("cluster"))
    found_user = _entry(config, "users", ctx.get("user")) or {"name": "", "user": {}}
    cluster: Entry = dict((found_cluster or {}).get("cluster") or {})
    user: Entry = dict(found_user.get("user") or {})
    if o.server:
        cluster["server"] = o.server
    if o.certificate_authority:
        cluster["certificate-authority"] = o.certificate_authority
        cluster.pop("certificate-authority-data", None)
    if o.insecure_skip_tls_verify:
        cluster["insecure-skip-tls-verify"] = True
    if o.token:
        user = {"token": o.token}
    if o.client_certificate:
        user["client-certificate"] = o.client_certificate
        user.pop("client-certificate-data", None)
    if o.client_key:
        user["client-key"] = o.client_key
        user.pop("client-key-data", None)
    for key in ("token", "password", "client-key-data"):
        register_secret(user.get(key))
    if user.get("client-key-data") and is_tls(cluster.get("server", "")):
        register_secret(b64_text(user["client-key-data"], "client-key-data"))
    if not is_tls(cluster.get("server", "")):
        # kubectl reads a user's credentials and a cluster's TLS settings only for an
        # https:// server (client-go tools/clientcmd/client_config.go,
        # DirectClientConfig.ClientConfig: "only try to read the auth information if we
        # are secure"): no token, password, certificate or exec plugin over plain HTTP
        user = {k: v for k, v in user.items() if k in IMPERSONATION_KEYS}
        for key in TLS_CLUSTER_KEYS:
            cluster.pop(key, None)
    document = {"apiVersion": "v1", "kind": "Config",
                "clusters": [{"name": "cluster", "cluster": cluster}],
                "users": [{"name": "user", "user": user}], "current-context": "ctx",
                "contexts": [{"name": "ctx", "context": {"cluster": "cluster", "user": "user"}}]}
    return Resolved(context_name or "", o.namespace or ctx.get("namespace") or "default",
                    cluster.get("server", ""), document)


# -- credential data ---------------------------------------------------------------------------

def b64_text(text: str, field: str = "certificate-authority-data") -> str:
    """A kubeconfig's inline base64 *-data as text (PEM); ConfigError naming `field` when it
    is not base64 PEM. Line breaks are ignored, as Go's base64 decoder ignores them."""
    import base64
    import binascii
    try:
        return base64.b64decode(text.replace("\r", "").replace("\n", ""),
                                validate=True).decode("ascii")
    except (binascii.Error, ValueError, UnicodeDecodeError, TypeError):
        raise ConfigError("error: invalid kubeconfig: %s is not base64 PEM" % field)


def data_file(data: Optional[str], field: str) -> Optional[str]:
    """A kubeconfig's inline *-data (`field`) as a private temporary file (urllib3 wants
    paths)."""
    if not data:
        return None
    import atexit
    import tempfile
    pem = b64_text(data, field).encode("ascii")
    fd, path = tempfile.mkstemp(prefix="kubectl-sts-", suffix=".pem")
    with os.fdopen(fd, "wb") as f:
        f.write(pem)

    def remove() -> None:
        if os.path.exists(path):
            os.unlink(path)
    atexit.register(remove)
    return path


def read_token_file(path: str) -> str:
    """A tokenFile's token, trimmed (client-go's cached token source trims it)."""
    try:
        with open(path) as f:
            token = f.read().strip()
    except OSError as exc:
        raise ConfigError("error: cannot read tokenFile %s: %s" % (path, exc.strerror))
    register_secret(token)
    return token
