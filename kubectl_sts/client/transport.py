"""The transport to the API server, built from a resolved kubeconfig: a connection pool (its
TLS settings and proxy), the base URL and the auth headers every request carries.

The common kubeconfigs (bearer token, client certificate, basic auth; a CA file or data) are
served by a urllib3 pool built here, without importing the official client, which costs
~180 ms at start-up. Auth providers go through the official client's loader, which knows how
to run and refresh them; an exec credential plugin is run as kubectl runs it (execcred.py) and
the loader is given what it answered."""

from __future__ import annotations       # the urllib3 types are named, never imported early

import os
from typing import TYPE_CHECKING, Any, Dict, Tuple

from ..errors import ConfigError, redact_url, register_secret
from .httperrors import first_line
from .kubeconfig import (ConnectionOptions, Kubeconfig, b64_text, cluster_of, data_file, is_tls,
                         read_token_file, user_of)
from .proxy import proxy_for

if TYPE_CHECKING:
    from urllib3 import PoolManager

Headers = Dict[str, Any]                  # a value is a string, or a list: one line each
Transport = Tuple["PoolManager", str, Headers]

FAST_USER_KEYS = {"token", "tokenFile", "client-certificate", "client-key",
                  "client-certificate-data", "client-key-data", "username", "password",
                  "as", "as-groups", "extensions"}
FAST_CLUSTER_KEYS = {"server", "certificate-authority", "certificate-authority-data",
                     "insecure-skip-tls-verify", "tls-server-name", "extensions",
                     "proxy-url", "disable-compression"}


def fast_path(config: Kubeconfig) -> bool:
    """Whether our own pool can serve this kubeconfig (no exec plugin, no auth provider)."""
    return set(user_of(config)) <= FAST_USER_KEYS and \
        set(cluster_of(config)) <= FAST_CLUSTER_KEYS


def fast_transport(config: Kubeconfig) -> Transport:
    """Our own urllib3 pool for the resolved kubeconfig, and its auth headers."""
    import base64
    import urllib3
    from urllib.parse import urlsplit
    user, cluster = user_of(config), cluster_of(config)
    server = cluster.get("server", "")
    if not server:
        raise ConfigError("error: the kubeconfig names no server for this context")
    try:
        parts = urlsplit(server)
        valid = parts.scheme in ("http", "https") and bool(parts.hostname)
        if valid:
            parts.port                      # an invalid port raises ValueError
    except ValueError:
        valid = False
    if not valid:
        raise ConfigError('error: invalid server URL "%s" in the kubeconfig (want https://host[:port])'
                       % redact_url(server)[:100])
    kwargs: Dict[str, Any] = {"num_pools": 4, "maxsize": 8}
    if is_tls(server):
        if cluster.get("insecure-skip-tls-verify"):
            kwargs["cert_reqs"] = "CERT_NONE"
            urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)
        else:
            kwargs["cert_reqs"] = "CERT_REQUIRED"
            if cluster.get("certificate-authority-data"):
                kwargs["ca_cert_data"] = b64_text(cluster["certificate-authority-data"])
            elif cluster.get("certificate-authority"):
                kwargs["ca_certs"] = cluster["certificate-authority"]
            if cluster.get("tls-server-name"):
                kwargs["server_hostname"] = cluster["tls-server-name"]
        cert = user.get("client-certificate") or data_file(user.get("client-certificate-data"),
                                                           "client-certificate-data")
        key = user.get("client-key") or data_file(user.get("client-key-data"), "client-key-data")
        if cert:
            kwargs["cert_file"], kwargs["key_file"] = cert, key
    headers: Headers = {}
    token = user.get("token")
    if not token and user.get("tokenFile"):
        token = read_token_file(user["tokenFile"])
    if token:
        headers["authorization"] = "Bearer " + token
    elif user.get("username"):
        pair = "%s:%s" % (user["username"], user.get("password", ""))
        headers["authorization"] = "Basic " + base64.b64encode(pair.encode()).decode()
    for value in headers.values():
        register_secret(value)
    for field in ("ca_certs", "cert_file", "key_file"):
        if kwargs.get(field) and not os.path.isfile(kwargs[field]):
            raise ConfigError("error: invalid kubeconfig: %s file %s does not exist"
                              % (field.replace("_", "-"), kwargs[field]))
    proxy = proxy_for(server, cluster.get("proxy-url"))
    pool: PoolManager
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
        raise ConfigError("error: invalid TLS settings in the kubeconfig: %s" % first_line(exc))
    return pool, server, headers


def official_transport(config: Kubeconfig) -> Transport:
    """The official client's pool (it runs exec plugins and auth providers), and the bearer
    token they gave as the auth header."""
    api = official_client(config)
    auth: Headers = {}
    bearer = (api.configuration.auth_settings() or {}).get("BearerToken") or {}
    if bearer.get("value"):
        auth[bearer.get("key", "authorization")] = bearer["value"]
        register_secret(bearer["value"])
        register_secret(str(bearer["value"]).split(" ", 1)[-1])
    return api.rest_client.pool_manager, api.configuration.host, auth


def official_client(config: Kubeconfig) -> Any:
    """The official client's ApiClient for the resolved kubeconfig."""
    from kubernetes import client as k8s_client
    from kubernetes import config as k8s_config
    configuration = k8s_client.Configuration()
    resolved = config
    user = user_of(config)
    if user.get("tokenFile") and not user.get("token"):
        # the official loader keeps the file's newline (an invalid header); kubectl trims it
        # (client-go transport's cached token source)
        token = read_token_file(user["tokenFile"])
        resolved = dict(config, users=[{"name": "user", "user": dict(
            {k: v for k, v in user.items() if k != "tokenFile"}, token=token)}])
    if isinstance(user.get("exec"), dict) and not user.get("token"):
        # run here, as kubectl runs it (execcred.py): a failure stops the command before any
        # request; the loader gets the credential the plugin gave instead of the plugin
        resolved = dict(resolved, users=[{"name": "user", "user": with_exec_credential(
            user_of(resolved), cluster_of(config))}])
    try:
        k8s_config.load_kube_config_from_dict(resolved, client_configuration=configuration,
                                              persist_config=False)
    except Exception as exc:
        raise ConfigError("error: invalid kubeconfig: %s" % first_line(exc))
    cluster = cluster_of(config)
    configuration.proxy = proxy_for(cluster.get("server", ""), cluster.get("proxy-url"))
    return k8s_client.ApiClient(configuration)


def with_exec_credential(user: Dict[str, Any], cluster: Dict[str, Any]) -> Dict[str, Any]:
    """The kubeconfig user with its exec plugin replaced by what the plugin answered (a token,
    or a client certificate and key)."""
    import base64
    from .execcred import exec_credentials
    status = exec_credentials(user["exec"], cluster)
    out = {k: v for k, v in user.items() if k != "exec"}
    if status.get("clientCertificateData"):
        for field, key in (("client-certificate-data", "clientCertificateData"),
                           ("client-key-data", "clientKeyData")):
            out[field] = base64.b64encode(str(status[key]).encode()).decode()
            out.pop(field[:-len("-data")], None)
    if status.get("token"):
        out["token"] = status["token"]
    return out


def impersonation(options: ConnectionOptions, config: Kubeconfig) -> Headers:
    """Impersonate-* headers: --as / --as-group, else the kubeconfig user's `as` /
    `as-groups` (kubectl sends these whatever the scheme)."""
    user = user_of(config)
    name = options.as_user or user.get("as")
    groups = list(options.as_groups or user.get("as-groups") or [])
    headers: Headers = {}
    if name:
        headers["Impersonate-User"] = name
    if groups:
        headers["Impersonate-Group"] = groups
    return headers
