"""The functional core: every decision of every verb as a pure function over plain API
dicts (which pods, which partition, which claims, what a row shows, when a wait is done,
what is wrong with an ordinal and what can fix it, what advice to print). Imports only the
neutral layer (kubectl_sts.k8s) and the error types; never the connection, a command or a
printer."""
