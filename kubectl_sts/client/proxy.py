"""Which proxy a request to the API server goes through: the cluster's proxy-url, else the
environment's, by Go's net/http ProxyFromEnvironment rules (which client-go uses)."""

from typing import Any, Optional

from .kubeconfig import is_tls


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
    proxy = proxies.get("https" if is_tls(server) else "http")
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
            network: Any = ipaddress.ip_network(entry, strict=False)
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
