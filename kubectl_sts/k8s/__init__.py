"""Kubernetes semantics, neutral: facts of the API's objects and rules that both the plugin
and the sandbox follow (the sandbox imports nothing else of the plugin)."""
