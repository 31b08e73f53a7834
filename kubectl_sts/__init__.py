"""kubectl-sts: a kubectl plugin for StatefulSet operations."""

__version__ = "0.1.0"
