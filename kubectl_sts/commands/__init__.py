"""The shells: one module per verb (rollout: a folder), each in one shape, after kubectl's
Complete/Validate/Run.

1. Flags -> options. The click command turns its flags into one value, the verb's
   `<Verb>Options` (a NamedTuple whose fields are the flags' names), and does nothing else:

       @click.command()
       @name_argument()
       @click.option("--replicas", ...)
       @click.pass_context
       def scale(ctx: click.Context, **flags: Any) -> int:
           \"\"\"The help (its first line is the one in cli/app.py's COMMANDS).\"\"\"
           options = validate(ScaleOptions(**flags))
           return run(connect(ctx), options)

2. validate(options) -> options: a pure function, run before any request (before the
   kubeconfig is read): the flag combinations kubectl would refuse raise a UsageError in
   kubectl's words. It returns the options as run takes them, with the fields a flag's text
   is parsed into filled in (restart's --ordinals, rollout's --patch); a verb with nothing to
   check returns them as they are.

3. run(conn, options) -> exit code: read, call the core (kubectl_sts/core) for every decision,
   write, print. A run that has state across its steps keeps it in one object run() makes
   (rollout's session, resize's, restart's and repair's); the verbs that write catch Ctrl-C
   and SIGTERM in run() and say where the set stands and which command continues. The verbs
   without a cluster take what they work on instead of a connection: demo and sandbox
   run(options), completion run(root, options) (the command tree it completes).

What the verbs share is in shell.py (the connection, the paths, the clock, reading a set,
status's reads, confirmation, delete options, waiting for a new pod incarnation, the progress
line) and options.py (kubectl's flags as click declarations). A verb imports no other verb
(tests/test_layers.py)."""
