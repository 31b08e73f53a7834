"""`kubectl sts rollout NAME`: staged partition rollouts, one step at a time.

State lives on the StatefulSet only (the partition, and the annotation
`kubectl-sts.io/rollout` with the target this tool was driving toward), so an interrupted
run is explained by `kubectl sts rollout NAME` and continued by `--step`, `--to` or `--undo`.

Flags -> options -> validation (before any request) -> one action module: stage.py (stage,
--hold, the plan), step.py (--step/--to/--all), ondelete.py, undo.py, follow.py (--status);
gate.py is the health gate they share, session.py the requests. Decisions live in
kubectl_sts/core/rollout/."""

import sys

import click

from ...errors import EXIT_ROLLOUT_FAILED, UsageError, interrupt_code
from ..options import Duration, Integer, OneOf, dry_run_option, name_argument
from .session import Rollout, StepFailed

__all__ = ["rollout", "Rollout"]


def _key_value(ctx, param, values):
    out = []
    for item in values:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise click.BadParameter("expected KEY=VALUE, got %r" % item)
        out.append((key, value))
    return out


def _load_patch(patch_file):
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
@click.option("--container", metavar="NAME", help="Restrict --env to this container.")
@click.option("--patch", "patch_file", type=click.File("r"), metavar="FILE",
              help="Stage a strategic merge patch of the pod template (YAML or JSON).")
@click.option("--hold", is_flag=True, help="Set the partition to the replica count so a pending "
              "template change reaches no pod until you step.")
@click.option("--step", "step", type=Integer(min=1), is_flag=False, flag_value=1, default=None,
              metavar="[N]", help="Lower the partition by N (default 1) and wait until healthy.")
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
@dry_run_option("Print (client) or send with dryRun=All (server) the writes, without "
                "waiting.")
@click.option("-y", "--yes", is_flag=True, help="Do not ask for confirmation.")
@click.pass_context
def rollout(ctx, name, images, env, container, patch_file, hold, step, to, all_, undo, follow,
            pause, interactive, settle, timeout, on_failure, dry_run, yes):
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
    """
    staging = bool(images or env or patch_file)
    actions = [a for a, on in (("stage", staging), ("--hold", hold), ("--step", step is not None),
                               ("--to", to is not None), ("--all", all_), ("--undo", undo),
                               ("--status", follow)) if on]
    if len(actions) > 1:
        raise click.UsageError("choose one of %s" % ", ".join(actions))
    if container and not env:
        raise click.UsageError("--container only applies to --env")
    stepping = step is not None or to is not None or all_
    if stepping and on_failure == "undo" and dry_run == "none" and not yes and \
            not sys.stdin.isatty():
        # an undo may have to delete the failed pod: ask now, never after the first write
        raise UsageError("error: --on-failure=undo may have to delete a failed pod and cannot "
                         "ask (stdin is not a terminal); pass --yes")
    patch = _load_patch(patch_file)
    run = Rollout.from_context(ctx, name, settle=settle or 0, timeout=timeout, pause=pause,
                               interactive=interactive, dry_run=dry_run, yes=yes,
                               on_failure=on_failure)
    try:
        return _dispatch(run, staging, dict(images), env, container, patch, hold, follow, undo,
                         stepping, step, to, all_)
    except (KeyboardInterrupt, click.exceptions.Abort) as exc:   # Ctrl-C, SIGTERM (cli.main)
        run.explain_interruption()
        return interrupt_code(exc)
    finally:
        run.close()


def _dispatch(run, staging, images, env, container, patch, hold, follow, undo, stepping, step,
              to, all_):
    from . import follow as following, stage as staging_, step as stepping_, undo as undoing
    if staging:
        return staging_.stage(run, images, env, container, patch)
    if hold:
        return staging_.hold(run)
    if follow:
        return following.follow(run)
    try:
        if undo:
            return undoing.undo(run)
        if stepping:
            return stepping_.advance(run, step=step or 1, to=to, all_=all_,
                                     single=step is not None)
    except StepFailed as failed:
        return _failed(run, failed, then_undo=run.on_failure == "undo" and not undo)
    return staging_.show_plan(run)


def _failed(run, failed, then_undo):
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
