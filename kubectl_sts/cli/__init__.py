"""The command line's edge: the executable's entry (start.py), how it was started
(program.py) and the click group with kubectl's global flags, the command table and the one
place an error becomes an exit code (app.py). Standard library only here: start.py must be
importable without click."""
