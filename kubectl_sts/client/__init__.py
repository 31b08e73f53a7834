"""The connection layer: kubeconfig and kubectl's connection flags (kubeconfig.py), the
transport built from them (transport.py, proxy.py), the HTTP connection (connection.py), its
typed errors (httperrors.py) and retry policy (retry.py), the informer and the one wait
primitive over it (informer.py, watch.py), the cache directory (cache.py) and every API path
(paths.py). Decides nothing about StatefulSets: no core import."""
