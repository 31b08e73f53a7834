"""`kubectl sts rollout NAME`: staged partition rollouts, one step at a time.

State lives on the StatefulSet only (the partition, and the annotation
`kubectl-sts.io/rollout` with the target this tool was driving toward), so an interrupted
run is explained by `kubectl sts rollout NAME` and continued by `--step`, `--to` or `--undo`.

The shape of every verb (commands/__init__.py): flags -> RolloutOptions -> validate (before
any request) -> run, which makes the run's session (session.py: its reads, watches and writes)
and hands it to one action module: stage.py (stage, --hold, the plan), step.py
(--step/--to/--all), ondelete.py, undo.py, follow.py (--status); gate.py is the health gate
they share. Decisions live in kubectl_sts/core/rollout/."""

import sys
from typing import (IO, TYPE_CHECKING, Any, Dict, List, NamedTuple, Optional, Sequence,
                    Tuple)

import click

from ...errors import EXIT_ROLLOUT_FAILED, UsageError, interrupt_code
from ..options import (Duration, Integer, OneOf, dry_run_option, lock_options, name_argument,
                       no_headers_option, output_option)
from ..shell import connect
from .session import Rollout, StepFailed

if TYPE_CHECKING:
    from ...client.connection import Connection

__all__ = ["rollout", "Rollout"]


class RolloutOptions(NamedTuple):
    name: str
    images: List[Tuple[str, str]]
    env: List[Tuple[str, str]]
    container: Optional[str]
    patch_file: Optional[IO[str]]
    hold: bool
    step: Optional[int]
    to: Optional[int]
    all_: bool
    undo: bool
    follow: bool
    pause: Optional[float]
    interactive: bool
    settle: float
    timeout: float
    on_failure: str
    dry_run: str
    yes: bool
    patch: Optional[Dict[str, Any]] = None      # --patch's file, read (validate)
    wait_lock: Optional[float] = None
    force: bool = False
    batch: Optional[int] = None                 # --batch N (batches.py)
    # the order of ordinals under OnDelete (core/rollout/order.py, ondelete.py)
    order_text: Optional[str] = None
    leader_last: Optional[str] = None
    leader_exec: Optional[str] = None
    leader_pod: Optional[str] = None
    order: Optional[List[int]] = None           # --order parsed (validate)
    # the application checks after each step (checks.py; core/rollout/checks.py)
    check: Tuple[str, ...] = ()
    check_exec: Tuple[str, ...] = ()
    check_http: Tuple[str, ...] = ()
    check_timeout: float = 120.0
    checks: Tuple[Dict[str, Any], ...] = ()     # the checks, parsed (validate)
    output: Any = None                          # -o json|yaml: the plan as a document

    @property
    def staging(self) -> bool:
        return bool(self.images or self.env or self.patch_file)

    @property
    def stepping(self) -> bool:
        return self.step is not None or self.to is not None or self.all_


def _key_value(ctx: click.Context, param: click.Parameter,
               values: Sequence[str]) -> List[Tuple[str, str]]:
    out = []
    for item in values:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise click.BadParameter("expected KEY=VALUE, got %r" % item)
        out.append((key, value))
    return out


def _load_patch(patch_file: Optional[IO[str]]) -> Optional[Dict[str, Any]]:
    if patch_file is None:
        return None
    import yaml
    try:
        patch = yaml.safe_load(patch_file)
    except yaml.YAMLError as exc:
        raise click.UsageError("--patch: not valid YAML or JSON: %s" % str(exc).splitlines()[0])
    if not isinstance(patch, dict):
        raise click.UsageError("--patch: expected a mapping (a pod template patch)")
    return patch


@click.command()
@name_argument()
@click.option("--image", "images", multiple=True, callback=_key_value, metavar="CONTAINER=IMAGE",
              help="Stage a new image for a container (repeatable).")
@click.option("--env", "env", multiple=True, callback=_key_value, metavar="KEY=VALUE",
              help="Stage an environment variable on every container, or on --container.")
@click.option("--container", metavar="NAME", help="Restrict --env to this container; the "
              "container --leader-exec runs in.")
@click.option("--patch", "patch_file", type=click.File("r"), metavar="FILE",
              help="Stage a strategic merge patch of the pod template (YAML or JSON).")
@click.option("--hold", is_flag=True, help="Set the partition to the replica count so a pending "
              "template change reaches no pod until you step.")
@click.option("--step", "step", type=Integer(min=1), is_flag=False, flag_value=1, default=None,
              metavar="[N]", help="Lower the partition by N (default 1) and wait until healthy.")
@click.option("--batch", type=Integer(min=1), metavar="N",
              help="Parallel sets on a server that does not honour maxUnavailable: each step "
              "lowers the partition by N and deletes those N pods together (after a "
              "PodDisruptionBudget check).")
@click.option("--to", "to", type=Integer(), metavar="K", help="Step down to partition K.")
@click.option("--all", "all_", is_flag=True, help="Step down to partition 0.")
@click.option("--undo", is_flag=True, help="Restore the current revision's template and bring "
              "the updated ordinals back, step by step.")
@click.option("--status", "follow", is_flag=True, help="Follow a rollout someone else drives.")
@click.option("--watch", "follow", is_flag=True, help="Same as --status.")
@click.option("--pause", type=Duration(), metavar="DURATION",
              help="Wait this long between steps.")
@click.option("--interactive", is_flag=True, help="Ask before each step.")
@click.option("--settle", type=Duration(), default="0s", show_default=True,
              metavar="DURATION", help="How long updated pods must stay Ready (at least "
              "minReadySeconds).")
@click.option("--timeout", type=Duration(), default="5m", show_default=True,
              metavar="DURATION", help="How long one step may take.")
@click.option("--on-failure", type=OneOf(["stop", "undo"]), default="stop",
              show_default=True, help="What to do when a step fails its health gate.")
@click.option("--order", "order_text", metavar="LIST", help="OnDelete: delete the outdated "
              "pods in this order (e.g. 2,0,1: every ordinal to update, each once).")
@click.option("--leader-last", metavar="CMD", help="OnDelete: a local command (sh -c) that "
              "prints the leader's pod name; the leader is updated last, asked again before "
              "its turn.")
@click.option("--leader-exec", metavar="CMD", help="As --leader-last, run in a pod "
              "(--leader-pod, --container) through the exec subresource.")
@click.option("--leader-pod", metavar="POD", help="The pod --leader-exec runs in (default: "
              "the lowest-ordinal Ready pod).")
@dry_run_option("Print (client) or send with dryRun=All (server) the writes, without "
                "waiting.")
@click.option("-y", "--yes", is_flag=True, help="Do not ask for confirmation.")
@click.option("--check", "check", multiple=True, metavar="CMD", help="After each step is "
              "healthy, run CMD here (sh -c, STS_* variables set) until it exits 0.")
@click.option("--check-exec", "check_exec", multiple=True, metavar="CMD", help="After each "
              "step, run CMD in each updated pod (--container, default the first) until it "
              "exits 0.")
@click.option("--check-http", "check_http", multiple=True, metavar="[CONTAINER:]PORT/PATH",
              help="After each step, GET PATH through each updated pod's proxy until 2xx.")
@click.option("--check-timeout", type=Duration(), default="2m", show_default=True,
              metavar="DURATION", help="How long the checks may take to pass after a step.")
@output_option(("json", "yaml"))
@no_headers_option
@click.option("--force", is_flag=True, help="Write the set although a controller that puts "
              "the fields back owns them (Flux, Argo CD, an HPA: managedFields), and take "
              "over the set's lock from another kubectl-sts operation instead of refusing.")
@lock_options(force=False)
@click.pass_context
def rollout(ctx: click.Context, **flags: Any) -> int:
    """Staged partition rollouts: stage a change, step through the ordinals, undo safely.

    Staging writes the new template with the partition held at the replica count, so no
    pod restarts until you step. Each step lowers the partition and waits until the updated
    ordinals are Ready and stayed Ready for --settle; a failing pod stops the run (exit 9)
    with its diagnosis, and the partition stays where it was.

    \b
    Examples:
      # Stage a new image: nothing restarts yet
      kubectl sts rollout web --image nginx=nginx:1.28

    \b
      # Show the plan, the template diff and which ordinal runs which revision
      kubectl sts rollout web

    \b
      # Update the highest ordinal and wait until it is healthy for 30 seconds
      kubectl sts rollout web --step --settle 30s

    \b
      # Step down to partition 0, undoing by itself if a step fails
      kubectl sts rollout web --all --on-failure=undo --yes

    \b
      # Restore the current revision's template and bring updated ordinals back
      kubectl sts rollout web --undo

    \b
      # Step, and after each step run a check of the application until it passes
      kubectl sts rollout web --step --check 'test -n "$STS_PODS"' --check-timeout 1m

    \b
      # The plan as a document: steps (batches under maxUnavailable), order, checks
      kubectl sts rollout web -o json
    """
    options = validate(RolloutOptions(**flags))
    return run(connect(ctx), options)


def validate(options: RolloutOptions) -> RolloutOptions:
    """One action at a time; --container with --env; an undo or --interactive that could not
    ask is refused now; --patch's file read (a file that is not a mapping of YAML or JSON is refused)."""
    actions = [a for a, on in (("stage", options.staging), ("--hold", options.hold),
                               ("--step", options.step is not None),
                               ("--to", options.to is not None), ("--all", options.all_),
                               ("--undo", options.undo), ("--status", options.follow)) if on]
    if len(actions) > 1:
        raise click.UsageError("choose one of %s" % ", ".join(actions))
    if options.output is not None and not options.output.table and actions:
        raise UsageError("error: -o applies to the plan (kubectl sts rollout NAME), not to %s"
                         % actions[0])
    if options.batch is not None and not options.stepping:
        raise UsageError("error: --batch goes with --step, --to or --all")
    checks = _checks(options)
    if options.container and not (options.env or options.leader_exec or options.check_exec):
        raise click.UsageError("--container only applies to --env, --leader-exec and "
                               "--check-exec")
    options = _ordering(options)
    if options.interactive and (options.stepping or options.undo) and \
            options.dry_run != "client" and not sys.stdin.isatty():
        # it would ask before each step and read the end of the file: refuse before any
        # request, as every question without a terminal is refused (shell.confirm)
        raise UsageError("error: --interactive asks before each step and cannot ask (stdin is "
                         "not a terminal); run it at a terminal, or without --interactive")
    if options.stepping and options.on_failure == "undo" and options.dry_run == "none" and \
            not options.yes and not sys.stdin.isatty():
        # an undo may have to delete the failed pod: ask now, never after the first write
        raise UsageError("error: --on-failure=undo may have to delete a failed pod and cannot "
                         "ask (stdin is not a terminal); pass --yes")
    return options._replace(patch=_load_patch(options.patch_file), checks=tuple(checks))


def _checks(options: RolloutOptions) -> List[Dict[str, Any]]:
    """The checks the flags ask for; only with a step (--step, --to, --all, the plan)."""
    from ...core.rollout.checks import checks_from_flags
    try:
        checks = checks_from_flags(options.check, options.check_exec, options.check_http,
                                   options.container if options.check_exec else None)
    except ValueError as exc:
        raise click.UsageError(str(exc))
    if checks and (options.staging or options.hold or options.undo or options.follow):
        raise click.UsageError("--check, --check-exec and --check-http apply to --step, --to "
                               "and --all")
    return checks


def _ordering(options: RolloutOptions) -> RolloutOptions:
    """--order parsed (pflag's words for a bad list); the leader flags one at a time and only
    with --step/--all."""
    from ...core.rollout.order import OrderError, parse_order
    flags = [f for f, on in (("--order", options.order_text is not None),
                             ("--leader-last", options.leader_last),
                             ("--leader-exec", options.leader_exec)) if on]
    if options.leader_pod and not options.leader_exec:
        raise UsageError("error: --leader-pod only applies to --leader-exec")
    if not flags:
        return options
    if options.leader_last and options.leader_exec:
        raise UsageError("error: choose one of --leader-last, --leader-exec")
    if not (options.step is not None or options.all_):
        raise UsageError("error: %s only applies to --step and --all" % flags[0])
    try:
        order = parse_order(options.order_text) if options.order_text is not None else None
    except OrderError as exc:
        raise UsageError("error: %s" % exc)
    return options._replace(order=order)


def run(conn: "Connection", options: RolloutOptions) -> int:
    session = Rollout(conn, options.name, settle=options.settle or 0, timeout=options.timeout,
                      pause=options.pause, interactive=options.interactive,
                      dry_run=options.dry_run, yes=options.yes, on_failure=options.on_failure)
    session.variant = "rollout --image" if options.staging else "rollout --hold" \
        if options.hold else "rollout --undo" if options.undo else "rollout --step --batch" \
        if options.batch else "rollout --step"
    if options.order is not None or options.leader_last or options.leader_exec:
        from ...core.rollout.order import leader_spec as spec
        session.ordering = {
            "order": options.order, "flags": [f for f, on in (
                ("--order", options.order is not None), ("--leader-last", options.leader_last),
                ("--leader-exec", options.leader_exec)) if on],
            "leader": spec(options.leader_last, options.leader_exec, options.leader_pod,
                           options.container)}
    session.checks, session.check_timeout = list(options.checks), options.check_timeout
    session.force = options.force
    from ..checks import preflight
    preflight(conn, options.checks)
    try:
        if not (options.staging or options.hold or options.stepping or options.undo):
            return _dispatch(session, options)        # the plan, --status: they only read
        from ..locking import holding
        with holding(conn, options.name, _operation(options), options.force,
                     options.wait_lock, options.dry_run):
            return _dispatch(session, options)
    except (KeyboardInterrupt, click.exceptions.Abort) as exc:   # Ctrl-C, SIGTERM (cli.main)
        session.explain_interruption()
        return interrupt_code(exc)
    finally:
        session.close()


def _operation(options: RolloutOptions) -> str:
    """What the set's lock says this run does (`rollout web --all`, ...)."""
    what = [flag for flag, on in (("--image", options.images), ("--env", options.env),
                                  ("--patch", options.patch_file), ("--hold", options.hold),
                                  ("--step", options.step is not None),
                                  ("--to %s" % options.to, options.to is not None),
                                  ("--all", options.all_), ("--undo", options.undo),
                                  ("--batch %s" % options.batch, options.batch is not None))
            if on]
    return "rollout %s %s" % (options.name, " ".join(what))


def _dispatch(session: Rollout, options: RolloutOptions) -> int:
    from . import follow as following, stage as staging, step as stepping, undo as undoing
    if options.staging:
        return staging.stage(session, dict(options.images), options.env, options.container,
                             options.patch)
    if options.hold:
        return staging.hold(session)
    if options.follow:
        return following.follow(session)
    try:
        if options.undo:
            return undoing.undo(session)
        if options.stepping:
            return stepping.advance(session, step=options.step or 1, to=options.to,
                                    all_=options.all_, single=options.step is not None,
                                    batch=options.batch)
    except StepFailed as failed:
        return _failed(session, failed,
                       then_undo=session.on_failure == "undo" and not options.undo)
    return staging.show_plan(session, None if options.output is None or options.output.table
                             else options.output)


def _failed(run: Rollout, failed: StepFailed, then_undo: bool) -> int:
    """Print the diagnosis of a failed step; with --on-failure=undo, undo (once)."""
    from ...core.rollout import failure_text, rollout_state
    from .undo import undo
    events = run.pod_events(failed.failure["pod"])
    click.echo(failure_text(rollout_state(failed.sts), failed.failure, events, then_undo),
               err=True)
    if not then_undo:
        return EXIT_ROLLOUT_FAILED
    try:
        undo(run)
    except StepFailed as again:
        return _failed(run, again, then_undo=False)
    return EXIT_ROLLOUT_FAILED
