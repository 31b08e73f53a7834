"""The connection layer: kubeconfig and kubectl's connection flags, the HTTP connection and
its typed errors, the informer and the one wait primitive over it, the cache directory and
every API path. Decides nothing about StatefulSets: no core import."""
