"""`kubectl sts rollout NAME`: staged partition rollouts, one step at a time.

State lives on the StatefulSet only (the partition, and the annotation
`kubectl-sts.io/rollout` with the target this tool was driving toward), so an interrupted
run is explained by `kubectl sts rollout NAME` and continued by `--step`, `--to` or `--undo`."""

import json
import sys
import time

import click

from ..errors import (EXIT_CONFLICT, EXIT_ROLLOUT_FAILED, EXIT_USAGE, Conflict, NotFound,
                      StsError, TransportError, WaitTimeout, interrupt_code, reworded)
from .common import connect, core_path, get_statefulset, sts_path


def _duration(ctx, param, value):
    if value is None:
        return None
    from ..k8s.durations import parse_duration
    try:
        return parse_duration(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc))


def _key_value(ctx, param, values):
    out = []
    for item in values:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise click.BadParameter("expected KEY=VALUE, got %r" % item)
        out.append((key, value))
    return out


@click.command()
@click.argument("name")
@click.option("--image", "images", multiple=True, callback=_key_value, metavar="CONTAINER=IMAGE",
              help="Stage a new image for a container (repeatable).")
@click.option("--env", "env", multiple=True, callback=_key_value, metavar="KEY=VALUE",
              help="Stage an environment variable on every container, or on --container.")
@click.option("--container", metavar="NAME", help="Restrict --env to this container.")
@click.option("--patch", "patch_file", type=click.File("r"), metavar="FILE",
              help="Stage a strategic merge patch of the pod template (YAML or JSON).")
@click.option("--hold", is_flag=True, help="Set the partition to the replica count so a pending "
              "template change reaches no pod until you step.")
@click.option("--step", "step", type=int, is_flag=False, flag_value=1, default=None,
              metavar="[N]", help="Lower the partition by N (default 1) and wait until healthy.")
@click.option("--to", "to", type=int, metavar="K", help="Step down to partition K.")
@click.option("--all", "all_", is_flag=True, help="Step down to partition 0.")
@click.option("--undo", is_flag=True, help="Restore the current revision's template and bring "
              "the updated ordinals back, step by step.")
@click.option("--status", "follow", is_flag=True, help="Follow a rollout someone else drives.")
@click.option("--watch", "follow", is_flag=True, help="Same as --status.")
@click.option("--pause", callback=_duration, metavar="DURATION",
              help="Wait this long between steps.")
@click.option("--interactive", is_flag=True, help="Ask before each step.")
@click.option("--settle", callback=_duration, default="0s", show_default=True,
              metavar="DURATION", help="How long updated pods must stay Ready (at least "
              "minReadySeconds).")
@click.option("--timeout", callback=_duration, default="5m", show_default=True,
              metavar="DURATION", help="How long one step may take.")
@click.option("--on-failure", type=click.Choice(["stop", "undo"]), default="stop",
              show_default=True, help="What to do when a step fails its health gate.")
@click.option("--dry-run", type=click.Choice(["none", "client", "server"]), is_flag=False,
              flag_value="client", default="none", help="Print (client) or send with dryRun=All "
              "(server) the writes, without waiting.")
@click.option("-y", "--yes", is_flag=True, help="Do not ask for confirmation.")
@click.pass_context
def rollout(ctx, name, images, env, container, patch_file, hold, step, to, all_, undo, follow,
            pause, interactive, settle, timeout, on_failure, dry_run, yes):
    """Staged partition rollouts: stage a change, step through the ordinals, undo safely.

    \b
    kubectl sts rollout web --image app=nginx:1.28   # stage: nothing restarts yet
    kubectl sts rollout web                          # show the plan and the template diff
    kubectl sts rollout web --step                   # update one more ordinal, wait for it
    kubectl sts rollout web --to 2 | --all           # step down to partition 2 | 0
    kubectl sts rollout web --undo                   # restore the current revision
    """
    from ..names import check_name
    check_name(name)            # before any request: a name is a DNS label, never a path
    staging = bool(images or env or patch_file)
    actions = [a for a, on in (("stage", staging), ("--hold", hold), ("--step", step is not None),
                               ("--to", to is not None), ("--all", all_), ("--undo", undo),
                               ("--status", follow)) if on]
    if len(actions) > 1:
        raise click.UsageError("choose one of %s" % ", ".join(actions))
    if step is not None and step < 1:
        raise click.UsageError("--step must be at least 1")
    if container and not env:
        raise click.UsageError("--container only applies to --env")
    patch = None
    if patch_file is not None:
        import yaml
        try:
            patch = yaml.safe_load(patch_file)
        except yaml.YAMLError as exc:
            raise click.UsageError("--patch: not valid YAML or JSON: %s"
                                   % str(exc).splitlines()[0])
        if not isinstance(patch, dict):
            raise click.UsageError("--patch: expected a mapping (a pod template patch)")
    run = Rollout(connect(ctx), name, settle=settle or 0, timeout=timeout, pause=pause,
                  interactive=interactive, dry_run=dry_run, yes=yes, on_failure=on_failure)
    try:
        if staging:
            return run.stage(dict(images), env, container, patch)
        if hold:
            return run.hold()
        if follow:
            return run.follow()
        if undo:
            return run.undo()
        if step is not None or to is not None or all_:
            return run.advance(step=step or 1, to=to, all_=all_, single=step is not None)
        return run.show_plan()
    except (KeyboardInterrupt, click.exceptions.Abort) as exc:   # Ctrl-C, SIGTERM (cli.main)
        run.explain_interruption()
        return interrupt_code(exc)
    finally:
        run.close()


class Rollout:
    def __init__(self, conn, name, settle, timeout, pause, interactive, dry_run, yes,
                 on_failure):
        self.conn, self.name, self.ns = conn, name, conn.namespace
        self.settle, self.timeout, self.pause = settle, timeout, pause
        self.interactive, self.dry_run, self.yes = interactive, dry_run, yes
        self.on_failure = on_failure
        self.tty = sys.stdout.isatty()
        self.watcher = None         # the Watch on the set and its pods (wait.py), once started
        self.last_written = None
        self.gating = None          # the partition whose health gate is being waited for
        self.target = None          # the partition this run drives toward
        # a request may retry (an API server restarting) for as long as a step may take
        conn.retry_budget = timeout or conn.retry_budget

    def close(self):
        """Stop the watches this run started."""
        if self.watcher is not None:
            self.watcher.stop()

    # -- reading ------------------------------------------------------------------------------
    def read(self):
        return get_statefulset(self.conn, self.ns, self.name)

    def pods(self, sts):
        from ..labels import selector_string
        return self.conn.get(core_path(self.ns, "pods"),
                             labelSelector=selector_string(sts["spec"]["selector"]))["items"]

    def revisions(self, sts):
        from ..labels import selector_string
        items = self.conn.get("/apis/apps/v1/namespaces/%s/controllerrevisions" % self.ns,
                              labelSelector=selector_string(sts["spec"]["selector"]))["items"]
        uid = sts["metadata"]["uid"]
        return {r["metadata"]["name"]: r for r in items
                if any(ref.get("uid") == uid and ref.get("controller")
                       for ref in r["metadata"].get("ownerReferences") or [])}

    def watch(self, sts):
        """Start informers on the set and its pods (once); waits use their events."""
        if self.watcher is None:
            from ..labels import selector_string
            from ..wait import Verdict, Watch, wait
            self.watcher = Watch(
                self.conn,
                sts=(sts_path(self.ns), {"fieldSelector": "metadata.name=%s" % self.name}),
                pods=(core_path(self.ns, "pods"),
                      {"labelSelector": selector_string(sts["spec"]["selector"])}))
            outcome = wait(self.watcher, lambda snapshot, now: Verdict(done=True),
                           self.timeout or 300)
            if not outcome.ok:
                message = "error: timed out after %s starting to watch %s: %s" % (
                    _fmt(self.timeout), self.name, _why(outcome))
                if outcome.error is not None:
                    raise reworded(outcome.error, message)
                raise WaitTimeout(message)
        return self.watcher

    def current(self, snapshot=None):
        """The set and its pods as the watches (or `snapshot`, a wait's view) show them."""
        if snapshot is None:
            snapshot = self.watcher.snapshot()
        sts = snapshot["sts"].get(self.name)
        if sts is None:
            raise NotFound('statefulset "%s" was deleted' % self.name)
        # The set's watch may deliver our own write after the pod events it caused: until it
        # does, the object we wrote is the newest (its status shows it is not observed yet).
        written = self.last_written
        if written is not None and self.dry_run == "none" and \
                written["metadata"].get("generation", 0) > sts["metadata"].get("generation", 0):
            sts = written
        return sts, list(snapshot["pods"].values())

    # -- writing --------------------------------------------------------------------------------
    def write(self, sts, change, describe):
        """Apply `change(fresh_sts) -> new_sts` and PUT it with the resourceVersion it was
        computed from. On 409, re-read, let `change` re-check the plan, and try again."""
        for attempt in range(5):
            new = change(sts)
            if self.dry_run == "client":
                click.echo("dry-run (client): would %s: PUT %s (resourceVersion %s)"
                           % (describe, sts_path(self.ns, self.name),
                              sts["metadata"]["resourceVersion"]))
                return new
            query = {"dryRun": "All"} if self.dry_run == "server" else {}
            try:
                written = self.conn.request("PUT", sts_path(self.ns, self.name), query, body=new)
            except Conflict:
                sts = self.read()           # re-read; change() re-checks the plan
                continue
            except TransportError as exc:
                if exc.phase == "sent" and self.dry_run == "none":
                    # the connection broke after the PUT was sent: it may have been applied.
                    # Re-read: if it was, go on; if not, the PUT (with the resourceVersion it
                    # is computed from) is safe to send again.
                    sts = self.read()
                    if _applied(sts, change(sts)):
                        self.last_written = sts
                        return sts
                    continue
                raise
            if self.dry_run == "server":
                click.echo("dry-run (server): %s accepted" % describe)
            self.last_written = written
            return written
        raise StsError("error: the StatefulSet kept changing under us (5 conflicts); re-run",
                       EXIT_CONFLICT)

    def set_partition(self, sts, expected_old, value, target, undo=False):
        from ..rollout import STATE_ANNOTATION, rollout_state

        def change(fresh):
            state = rollout_state(fresh)
            if state["strategy"] != "RollingUpdate":
                raise StsError("error: %s is no longer a RollingUpdate StatefulSet" % self.name)
            if state["partition"] != expected_old and state["partition"] != value:
                raise StsError("error: someone changed the partition of %s from %d to %d while "
                               "this rollout ran; run `kubectl sts rollout %s` to see the plan"
                               % (self.name, expected_old, state["partition"], self.name),
                               EXIT_CONFLICT)
            new = json.loads(json.dumps(fresh))
            strategy = new["spec"].setdefault("updateStrategy", {"type": "RollingUpdate"})
            strategy.setdefault("rollingUpdate", {})["partition"] = value
            annotations = new["metadata"].setdefault("annotations", {})
            annotations[STATE_ANNOTATION] = json.dumps(
                {"target": target, "updateRevision": state["updateRevision"], "undo": undo},
                sort_keys=True)
            return new
        return self.write(sts, change, "set partition %d" % value)

    # -- actions --------------------------------------------------------------------------------
    def stage(self, images, env, container, patch):
        from ..rollout import change_template, rollout_state
        sts = self.read()
        if rollout_state(sts)["strategy"] != "RollingUpdate":
            raise StsError("error: %s uses OnDelete: a template change reaches pods only when "
                           "they are deleted; stage it with kubectl and use `kubectl sts "
                           "rollout %s --step`" % (self.name, self.name))

        def change(fresh):
            try:
                template = change_template(fresh["spec"]["template"], images, env, container,
                                           patch)
            except ValueError as exc:
                raise StsError("error: %s" % exc, EXIT_USAGE)
            new = json.loads(json.dumps(fresh))
            new["spec"]["template"] = template
            rolling = new["spec"].setdefault("updateStrategy", {"type": "RollingUpdate"}) \
                .setdefault("rollingUpdate", {})
            rolling["partition"] = max(rolling.get("partition") or 0, new["spec"].get("replicas", 1))
            return new
        written = self.write(sts, change, "stage the template and hold the partition")
        if self.dry_run != "none":
            return 0
        click.echo("statefulset.apps/%s staged: partition %d, no pod restarts yet"
                   % (self.name, written["spec"]["updateStrategy"]["rollingUpdate"]["partition"]))
        click.echo("next: kubectl sts rollout %s            # see the plan" % self.name)
        click.echo("      kubectl sts rollout %s --step     # update the highest ordinal"
                   % self.name)
        return 0

    def hold(self):
        from ..rollout import rollout_state
        sts = self.read()
        state = rollout_state(sts)
        if state["strategy"] != "RollingUpdate":
            raise StsError("error: %s uses OnDelete: partitions do not apply" % self.name)
        replicas = state["replicas"]
        self.set_partition(sts, state["partition"], max(state["partition"], replicas), None)
        if self.dry_run != "none":
            return 0
        fresh = self.read()
        new_state = rollout_state(fresh)
        click.echo("statefulset.apps/%s held at partition %d" % (self.name,
                                                                 new_state["partition"]))
        if new_state["updateRevision"] != new_state["currentRevision"]:
            click.echo("pending revision %s (pods run %s); step with: kubectl sts rollout %s "
                       "--step" % (new_state["updateRevision"], new_state["currentRevision"],
                                   self.name))
        return 0

    def show_plan(self):
        from ..rollout import (describe_plan, render_ordinals, render_plan, revision_template,
                               rollout_state, template_diff)
        sts = self.read()
        state = rollout_state(sts)
        pods = self.pods(sts)
        diff = []
        if state["updateRevision"] != state["currentRevision"]:
            revs = self.revisions(sts)
            old, new = revs.get(state["currentRevision"]), revs.get(state["updateRevision"])
            if old and new:
                diff = template_diff(revision_template(old), revision_template(new),
                                     state["currentRevision"], state["updateRevision"])
        click.echo(render_plan(state, describe_plan(state), diff))
        click.echo("")
        click.echo(render_ordinals(sts, pods))
        click.echo("")
        click.echo(self.next_command(state))
        return 0

    def next_command(self, state):
        if state["strategy"] != "RollingUpdate":
            return "next: kubectl sts rollout %s --step" % self.name
        if state["updateRevision"] == state["currentRevision"] and \
                state["effectivePartition"] == 0:
            return "Nothing pending: stage a change with kubectl sts rollout %s --image " \
                   "CONTAINER=IMAGE" % self.name
        if state["effectivePartition"] == 0:
            return "All ordinals are at partition 0; watch with: kubectl sts rollout %s " \
                   "--status" % self.name
        return "next: kubectl sts rollout %s --step   (or --all, --undo)" % self.name

    def advance(self, step, to, all_, single):
        from ..rollout import plan_partitions, rollout_state
        sts = self.read()
        state = rollout_state(sts)
        if state["strategy"] != "RollingUpdate":
            if to is not None:
                raise StsError("error: %s uses OnDelete: partitions do not apply, so --to has "
                               "no meaning; use --step or --all" % self.name, EXIT_USAGE)
            return self.advance_ondelete(sts, count=step if single else None)
        replicas = state["replicas"]
        target = 0 if all_ else to if to is not None else \
            max(0, state["effectivePartition"] - step)
        if target < 0 or target > replicas:
            raise StsError("error: --to %d is outside 0..%d (the replica count)"
                           % (target, replicas), EXIT_USAGE)
        if target > state["effectivePartition"]:
            raise StsError("error: the partition is already %d; --to %d would move it up "
                           "(use --hold to stop a rollout, --undo to revert it)"
                           % (state["effectivePartition"], target), EXIT_USAGE)
        values = plan_partitions(state["partition"], replicas, target, step)
        self.target = target
        if self.dry_run != "none":
            partition = state["partition"]
            for value in values:
                # the next write is computed from this one's result (no write happened)
                sts = self.set_partition(sts, partition, value, target)
                partition = value
            return 0
        self.watch(sts)
        # A step interrupted earlier is finished first: the gate at the current partition.
        code = self.gate(state["effectivePartition"])
        if code:
            return code
        partition = state["partition"]
        for index, value in enumerate(values):
            if index and not self.between_steps(value):
                return 0
            if self.interactive and not click.confirm("lower the partition to %d?" % value,
                                                      default=True):
                click.echo("stopped at partition %d" % partition)
                return 0
            sts, pods = self.current()
            self.set_partition(sts, partition, value, target)
            self.print_step(partition, value)
            partition = value
            code = self.gate(value)
            if code:
                return code
        sts, pods = self.current()
        self.report(sts, pods, rollout_state(sts))
        return 0

    def between_steps(self, value):
        if self.pause:
            click.echo("pausing %s before partition %d" % (_fmt(self.pause), value))
            time.sleep(self.pause)
        return True

    def print_step(self, old, new):
        from ..rollout import ordinals_between, rollout_state
        sts, _ = self.current()
        state = rollout_state(sts)
        ordinals = ordinals_between(state["start"], new, old, state["replicas"])
        click.echo("partition %d -> %d: updating %s" % (
            min(old, state["replicas"]), new,
            ", ".join("%s-%d" % (self.name, o) for o in ordinals) or "nothing"))

    def gate(self, partition):
        """Wait until the ordinals >= partition pass the health gate. Returns 0, or the exit
        code after printing the diagnosis (or after an automatic undo)."""
        from ..rollout import evaluate_step, is_ready, pod_revision, restarts, rollout_state
        from ..wait import Verdict, wait
        ready_since, baseline = {}, {}
        self.gating = partition

        def judge(snapshot, now):
            sts, pods = self.current(snapshot)
            state = rollout_state(sts)
            for pod in pods:
                uid = pod["metadata"]["uid"]
                if pod_revision(pod) == state["updateRevision"]:
                    baseline.setdefault(uid, restarts(pod))
                    if is_ready(pod):
                        ready_since.setdefault(uid, now)
                    else:
                        ready_since.pop(uid, None)
            settle = max(self.settle, state["minReadySeconds"])
            result = evaluate_step(sts, pods, partition, ready_since, now, settle, baseline)
            if result["failed"]:
                return Verdict(failed=(sts, result["failed"]))
            if result["done"]:
                return Verdict(done=True)
            return Verdict(line="waiting: " + "; ".join(
                "%s %s" % (w["pod"], w["why"]) if w["pod"] else w["why"]
                for w in result["waiting"]), wake=result["wake"])

        outcome = wait(self.watcher, judge, self.timeout or 300, self.progress)
        self.progress(None)
        if outcome.state == "failed":
            return self.fail(*outcome.verdict.failed)
        if outcome.ok:
            self.gating = None
            return 0
        if outcome.state == "unreachable":
            # the API server restarts (or is gone) and stayed so until the deadline
            raise reworded(outcome.error, "error: gave up after %s waiting for partition %d: %s; "
                           "the partition stays at %d as written; continue with: kubectl sts "
                           "rollout %s %s" % (_fmt(self.timeout), partition, _why(outcome),
                                              partition, self.name, "--to %d" % self.target
                                              if self.target is not None else "--step"))
        raise WaitTimeout("error: timed out after %s waiting for partition %d: %s"
                          % (_fmt(self.timeout), partition,
                             outcome.verdict.line[len("waiting: "):]))

    def progress(self, line):
        if line is None:
            if self.tty:
                click.echo("\r\x1b[K", nl=False)
            return
        if self.tty:
            click.echo("\r\x1b[K" + line[:200], nl=False)
        else:
            click.echo(line)

    def fail(self, sts, failure):
        from ..rollout import rollout_state
        state = rollout_state(sts)
        message = ["error: step failed: %s (ordinal %d) %s" % (
            failure["pod"], failure["ordinal"], failure["reason"])]
        if failure.get("container"):
            message[0] += " in container %s" % failure["container"]
        if failure.get("message"):
            message.append("  %s" % failure["message"])
        events = self.pod_events(failure["pod"])
        if events:
            message.append("  last events of %s:" % failure["pod"])
            message.extend("    %s %s: %s" % (e.get("type"), e.get("reason"), e.get("message"))
                           for e in events[-5:])
        if state["strategy"] == "RollingUpdate":
            message.append("The partition stays at %d; nothing below it was touched."
                           % state["effectivePartition"])
        else:
            message.append("No other pod was deleted.")
        click.echo("\n".join(message), err=True)
        if self.on_failure == "undo":
            click.echo("--on-failure=undo: undoing the rollout", err=True)
            code = self.undo()
            return code or EXIT_ROLLOUT_FAILED
        click.echo("next: fix the template and stage it again, or undo: kubectl sts rollout %s "
                   "--undo" % self.name, err=True)
        return EXIT_ROLLOUT_FAILED

    def pod_events(self, pod_name):
        try:
            items = self.conn.get(core_path(self.ns, "events"),
                                  fieldSelector="involvedObject.name=%s" % pod_name)["items"]
        except StsError:
            return []
        items.sort(key=lambda e: e.get("lastTimestamp") or "")
        return items

    def report(self, sts, pods, state):
        from ..rollout import render_ordinals
        click.echo(render_ordinals(sts, pods, state["effectivePartition"]))
        click.echo(self.next_command(state))

    # -- undo -------------------------------------------------------------------------------------
    def undo(self):
        from ..rollout import (STATE_ANNOTATION, is_ready, pod_failure, pod_revision,
                               pods_by_ordinal, revision_template, rollout_state)
        sts = self.read()
        state = rollout_state(sts)
        if state["strategy"] != "RollingUpdate":
            raise StsError("error: %s uses OnDelete; restore its template with kubectl "
                           "rollout undo, then step with --step" % self.name)
        if state["updateRevision"] != state["currentRevision"]:
            revs = self.revisions(sts)
            good = revs.get(state["currentRevision"])
            if good is None:
                raise StsError("error: the current revision %s no longer exists; cannot undo"
                               % state["currentRevision"])
            template = revision_template(good)

            def change(fresh):
                fresh_state = rollout_state(fresh)
                if fresh_state["updateRevision"] != state["updateRevision"]:
                    raise StsError("error: the template of %s changed while undoing; run "
                                   "`kubectl sts rollout %s` to see the plan"
                                   % (self.name, self.name), EXIT_CONFLICT)
                new = json.loads(json.dumps(fresh))
                new["spec"]["template"] = template
                new["spec"]["updateStrategy"].setdefault("rollingUpdate", {})["partition"] = \
                    new["spec"].get("replicas", 1)
                new["metadata"].setdefault("annotations", {})[STATE_ANNOTATION] = json.dumps(
                    {"target": 0, "undo": True, "updateRevision": state["currentRevision"]},
                    sort_keys=True)
                return new
            self.write(sts, change, "restore the template of revision %s and hold the "
                       "partition" % state["currentRevision"])
            if self.dry_run != "none":
                return 0
            click.echo("statefulset.apps/%s: template restored to %s; bringing updated "
                       "ordinals back" % (self.name, state["currentRevision"]))
        elif self.dry_run != "none":
            click.echo("nothing to restore: the template already matches %s"
                       % state["currentRevision"])
            return 0
        sts = self.read()
        self.watch(sts)
        self.wait_observed()
        sts, pods = self.current()
        state = rollout_state(sts)
        # The forced-rollback case: under OrderedReady a pod that is not Ready blocks the
        # controller for good; it must be deleted to be recreated from the restored template.
        by_ordinal = pods_by_ordinal(self.name, pods)
        for ordinal in range(state["start"], state["start"] + state["replicas"]):
            pod = by_ordinal.get(ordinal)
            if pod is None or is_ready(pod) or pod["metadata"].get("deletionTimestamp"):
                continue
            if pod_revision(pod) == state["updateRevision"]:
                break          # at the restored revision and starting: the gate waits for it
            why = pod_failure(pod)
            click.echo("%s runs revision %s and is not Ready (%s); the controller will not "
                       "replace it by itself%s." % (
                           pod["metadata"]["name"], pod_revision(pod) or "?",
                           why["reason"] if why else "not Ready",
                           " under OrderedReady" if state["podManagementPolicy"] ==
                           "OrderedReady" else ""))
            if state["podManagementPolicy"] == "OrderedReady":
                if not self.confirm("delete pod %s so it is recreated from the restored "
                                    "template?" % pod["metadata"]["name"]):
                    click.echo("left %s in place; undo continues when it is gone"
                               % pod["metadata"]["name"])
                    return EXIT_ROLLOUT_FAILED
                self.conn.request("DELETE", core_path(self.ns, "pods", pod["metadata"]["name"]),
                                  body={"preconditions": {"uid": pod["metadata"]["uid"]}})
                click.echo('pod "%s" deleted' % pod["metadata"]["name"])
            break
        return self.advance(step=1, to=0, all_=False, single=False)

    def wait_observed(self):
        """Until the controller has seen the latest generation (or the timeout: the caller
        goes on with what it sees)."""
        from ..wait import Verdict, wait

        def judge(snapshot, now):
            sts, _ = self.current(snapshot)
            st = sts.get("status") or {}
            return Verdict(done=st.get("observedGeneration", 0) >=
                           sts["metadata"].get("generation", 1))
        wait(self.watcher, judge, self.timeout or 300)

    def confirm(self, question):
        if self.yes:
            return True
        if not sys.stdin.isatty():
            raise StsError("error: %s (refusing to ask: stdin is not a terminal; pass --yes)"
                           % question.rstrip("?"), EXIT_USAGE)
        return click.confirm(question, default=False)

    # -- OnDelete ---------------------------------------------------------------------------------
    def advance_ondelete(self, sts, count):
        from ..rollout import ondelete_next, rollout_state
        click.echo("%s uses OnDelete: partitions do not apply; deleting outdated pods one at a "
                   "time, highest ordinal first" % self.name)
        if self.dry_run == "client":
            victim = ondelete_next(sts, self.pods(sts))
            click.echo("dry-run (client): would delete pod %s" % victim["metadata"]["name"]
                       if victim else "nothing to update")
            return 0
        self.watch(sts)
        done = 0
        while count is None or done < count:
            sts, pods = self.current()
            victim = ondelete_next(sts, pods)
            if victim is None:
                break
            if self.interactive and not click.confirm("delete %s?" % victim["metadata"]["name"],
                                                      default=True):
                return 0
            query = {"dryRun": "All"} if self.dry_run == "server" else {}
            self.conn.request("DELETE", core_path(self.ns, "pods", victim["metadata"]["name"]),
                              query, body={"preconditions": {"uid": victim["metadata"]["uid"]}})
            click.echo('deleted pod %s (revision %s)' % (victim["metadata"]["name"],
                                                         victim["metadata"]["labels"].get(
                                                             "controller-revision-hash")))
            if self.dry_run == "server":
                return 0
            code = self.gate_pod(victim)
            if code:
                return code
            done += 1
        sts, pods = self.current()
        self.report(sts, pods, rollout_state(sts))
        return 0

    def gate_pod(self, victim):
        """OnDelete: wait for the replacement of `victim` to pass the gate."""
        from ..labels import pod_ordinal
        from ..rollout import rollout_state
        ordinal = pod_ordinal(self.name, victim["metadata"]["name"])
        sts, _ = self.current()
        state = rollout_state(sts)
        return self.gate(ordinal - state["start"])

    # -- following ------------------------------------------------------------------------------
    def follow(self):
        from ..rollout import rollout_state
        from ..wait import Verdict, wait
        sts = self.read()
        self.watch(sts)

        def judge(snapshot, now):
            sts, pods = self.current(snapshot)
            state = rollout_state(sts)
            st = sts.get("status") or {}
            line = "partition %s: %d/%d updated, %d/%d ready, revision %s%s" % (
                state["partition"] if state["partition"] is not None else "-",
                st.get("updatedReplicas", 0), state["replicas"], st.get("readyReplicas", 0),
                state["replicas"], state["updateRevision"],
                "" if state["updateRevision"] == state["currentRevision"] else
                " (current %s)" % state["currentRevision"])
            done = state["observed"] and state["updateRevision"] == state["currentRevision"] \
                and st.get("readyReplicas", 0) == state["replicas"] and \
                st.get("updatedReplicas", 0) == state["replicas"]
            return Verdict(done=done, line=line)

        printed = []

        def say(line):
            printed.append(line)
            click.echo(line)
        outcome = wait(self.watcher, judge, self.timeout or 300, say)
        if outcome.ok:
            if not printed or printed[-1] != outcome.verdict.line:
                click.echo(outcome.verdict.line)
            click.echo("rollout of %s complete" % self.name)
            return 0
        if outcome.state == "unreachable":
            raise reworded(outcome.error, "error: gave up after %s following the rollout of %s: "
                           "%s" % (_fmt(self.timeout), self.name, _why(outcome)))
        raise WaitTimeout("error: timed out after %s following the rollout of %s (%s)"
                          % (_fmt(self.timeout), self.name, outcome.verdict.line))

    def explain_interruption(self):
        """After Ctrl-C or SIGTERM: where the set stands (read again: a write in flight either
        happened or not) and the command that continues. Quick even with the API server
        down: a few seconds of retries, then the last partition this run wrote."""
        from ..rollout import rollout_state
        click.echo("", err=True)
        try:
            sts = self.conn.request("GET", sts_path(self.ns, self.name), retry_budget=3,
                                    timeout=(3, 5))
        except (StsError, KeyboardInterrupt) as exc:
            why = exc.message if isinstance(exc, StsError) else "interrupted again"
            if self.last_written is not None:
                state = rollout_state(self.last_written)
                click.echo("interrupted: %s could not be read (%s); this run last set "
                           "partition %s" % (self.name, why, state["partition"]), err=True)
            else:
                click.echo("interrupted: %s could not be read (%s)" % (self.name, why),
                           err=True)
            click.echo("see where it stands with: kubectl sts rollout %s" % self.name,
                       err=True)
            return
        state = rollout_state(sts)
        saved = state["saved"] or {}
        click.echo("interrupted: %s is at partition %s (update revision %s)"
                   % (self.name, state["partition"], state["updateRevision"]), err=True)
        if state["strategy"] != "RollingUpdate":
            click.echo("continue with: kubectl sts rollout %s --step" % self.name, err=True)
        elif saved.get("target") is not None and state["effectivePartition"] is not None and \
                state["effectivePartition"] > saved["target"]:
            click.echo("continue with: kubectl sts rollout %s --to %s" % (self.name,
                                                                       saved["target"]), err=True)
        elif self.gating is not None and state["effectivePartition"] == self.gating and \
                self.dry_run == "none":
            click.echo("the step to partition %d is written; the controller updates its "
                       "ordinals on its own" % self.gating, err=True)
            click.echo("continue with: kubectl sts rollout %s --to %d   (waits for the step's "
                       "health gate)" % (self.name, self.gating), err=True)
        else:
            click.echo("see the plan with: kubectl sts rollout %s" % self.name, err=True)


def _applied(live, wanted):
    """Whether the object read back already carries the write computed from it."""
    annotations = lambda o: (o["metadata"].get("annotations") or {})   # noqa: E731
    return live.get("spec") == wanted.get("spec") and annotations(live) == annotations(wanted)


def _why(outcome):
    """What kept a wait from an answer (the API server's failure), or "no answer"."""
    return outcome.why or "no answer"


def _fmt(seconds):
    if seconds is None:
        return "-"
    return "%gs" % seconds if seconds < 120 else "%gm" % (seconds / 60)
