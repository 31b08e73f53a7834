"""The command line's edge: the executable's entry (start.py), how it was started
(program.py), the click group with the command table and the one place an error becomes an
exit code (app.py), and kubectl's flags: the global ones, pflag's forms, usage errors in
kubectl's words (flags.py). Standard library only here: start.py must be importable without
click."""
