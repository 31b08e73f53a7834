"""`rollout`: staged partition rollouts, planned by pure functions over plain API dicts.

Vocabulary: the partition P of a RollingUpdate set means ordinals >= start+P run the update
revision and ordinals below stay at the current revision. A step lowers P; the step is done
when every ordinal >= start+P runs the update revision, is Ready, and has stayed Ready (with
no restart) for the settle time."""

import copy
import difflib
import json

from .pods import is_ready, pod_failure, pod_revision, restarts  # noqa: F401 (public here too)
import re

from .k8s.statefulset import pods_by_ordinal  # noqa: E402,F401 (one home; public here too)

STATE_ANNOTATION = "kubectl-sts.io/rollout"


# -- reading the set ----------------------------------------------------------------------------

def rollout_state(sts):
    """The facts a rollout plan depends on, from the StatefulSet alone."""
    spec, st = sts["spec"], sts.get("status") or {}
    strategy = spec.get("updateStrategy") or {}
    kind = strategy.get("type", "RollingUpdate")
    rolling = strategy.get("rollingUpdate")
    replicas = spec.get("replicas", 1)
    partition = (rolling or {}).get("partition") or 0
    return {
        "name": sts["metadata"]["name"],
        "namespace": sts["metadata"].get("namespace", "default"),
        "replicas": replicas,
        "start": (spec.get("ordinals") or {}).get("start") or 0,
        "strategy": kind,
        "partition": partition if kind == "RollingUpdate" else None,
        "effectivePartition": min(partition, replicas) if kind == "RollingUpdate" else None,
        "maxUnavailable": (rolling or {}).get("maxUnavailable"),
        "podManagementPolicy": spec.get("podManagementPolicy", "OrderedReady"),
        "minReadySeconds": spec.get("minReadySeconds") or 0,
        "currentRevision": st.get("currentRevision", ""),
        "updateRevision": st.get("updateRevision", ""),
        "observed": st.get("observedGeneration", 0) >= sts["metadata"].get("generation", 1),
        "resourceVersion": sts["metadata"].get("resourceVersion"),
        "saved": saved_target(sts),
    }


def saved_target(sts):
    """The rollout this tool was driving when it last wrote the set (survives interruption)."""
    raw = (sts["metadata"].get("annotations") or {}).get(STATE_ANNOTATION)
    if not raw:
        return None
    try:
        data = json.loads(raw)
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


# -- planning -------------------------------------------------------------------------------------

def next_partition(partition, replicas, step=1):
    """The partition after one step of `step` ordinals (never below 0)."""
    if step < 1:
        raise ValueError("a step must update at least one ordinal")
    return max(0, min(partition, replicas) - step)


def plan_partitions(partition, replicas, target, step=1):
    """Every partition value written on the way from `partition` down to `target`."""
    if target < 0 or target > replicas:
        raise ValueError("the target partition must be between 0 and the replica count (%d)"
                         % replicas)
    values = []
    current = min(partition, replicas)
    while current > target:
        current = max(target, current - step)
        values.append(current)
    return values


def ordinals_between(start, new_partition, old_partition, replicas):
    """Ordinals a partition move from old to new updates, highest first (controller order)."""
    old = min(old_partition, replicas)
    return list(range(start + old - 1, start + new_partition - 1, -1))


def describe_plan(state, step=1, target=0):
    """The plan `rollout NAME` prints: one entry per step with the ordinals it updates."""
    if state["strategy"] != "RollingUpdate":
        return []
    steps = []
    old = state["effectivePartition"]
    for value in plan_partitions(state["partition"], state["replicas"], target, step):
        steps.append({"partition": value,
                      "ordinals": ordinals_between(state["start"], value, old, state["replicas"])})
        old = value
    return steps


# -- the health gate -----------------------------------------------------------------------------

def evaluate_step(sts, pods, partition, ready_since, now, settle, baseline=None):
    """Where a step stands. `ready_since` maps pod uid -> when this tool first saw it Ready
    (its own monotonic clock, so the server's clock does not matter); `now` is that clock;
    `settle` is max(minReadySeconds, --settle). `baseline` maps uid -> restartCount when the
    pod was first seen at the update revision. Returns a dict with:
    done, failed (diagnosis or None), waiting (rows), wake (clock time to look again or None).
    """
    state = rollout_state(sts)
    name, start, replicas = state["name"], state["start"], state["replicas"]
    update = state["updateRevision"]
    by_ordinal = pods_by_ordinal(name, pods)
    rows, waiting, wake = [], [], None
    failed = None
    if not state["observed"]:
        waiting.append({"ordinal": None, "pod": None,
                        "why": "the controller has not observed the latest spec yet"})
    for ordinal in range(start + min(partition, replicas), start + replicas):
        pod = by_ordinal.get(ordinal)
        row = {"ordinal": ordinal, "pod": "%s-%d" % (name, ordinal)}
        if pod is None:
            row["why"] = "not created yet"
        elif pod["metadata"].get("deletionTimestamp"):
            row["why"] = "terminating"
        elif pod_revision(pod) != update:
            row["why"] = "not updated yet"
        else:
            uid = pod["metadata"]["uid"]
            failure = pod_failure(pod, (baseline or {}).get(uid))
            if failure and failed is None:
                failed = dict(failure, ordinal=ordinal, pod=row["pod"])
            if not is_ready(pod):
                row["why"] = failure["reason"] if failure else "not Ready"
            else:
                since = ready_since.get(uid)
                if since is None or now - since < settle:
                    left = settle - (now - since if since is not None else 0)
                    row["why"] = "settling (%.0fs left)" % max(left, 0)
                    due = (since if since is not None else now) + settle
                    wake = due if wake is None else min(wake, due)
        rows.append(row)
        if "why" in row:
            waiting.append(row)
    return {"done": not waiting and failed is None, "failed": failed, "waiting": waiting,
            "wake": wake}


def below_partition_restarts(sts, pods, partition, known_uids):
    """Ordinals below the partition whose pod changed uid since the step began (a restart
    that the rollout must never cause). `known_uids` maps ordinal -> uid at the start."""
    state = rollout_state(sts)
    by_ordinal = pods_by_ordinal(state["name"], pods)
    out = []
    for ordinal, uid in known_uids.items():
        if ordinal >= state["start"] + partition:
            continue
        pod = by_ordinal.get(ordinal)
        if pod is not None and pod["metadata"]["uid"] != uid:
            out.append(ordinal)
    return out


# -- template changes ----------------------------------------------------------------------------

# The image reference grammar of github.com/distribution/reference (what the kubelet parses:
# anything else fails every pod with InvalidImageName), checked before the template is written.
_ALNUM = r"[a-z0-9]+"
_PATH_COMPONENT = _ALNUM + r"(?:(?:[._]|__|-+)" + _ALNUM + r")*"
_DOMAIN_COMPONENT = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_DOMAIN = r"(?:%s(?:\.%s)*|\[[a-fA-F0-9:]+\])(?::[0-9]+)?" % (_DOMAIN_COMPONENT,
                                                               _DOMAIN_COMPONENT)
_NAME = r"(?:%s/)?%s(?:/%s)*" % (_DOMAIN, _PATH_COMPONENT, _PATH_COMPONENT)
_TAG = r"[\w][\w.-]{0,127}"
_DIGEST = r"[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}"
_REFERENCE = re.compile(r"(%s)(?::%s)?(?:@%s)?\Z" % (_NAME, _TAG, _DIGEST), re.ASCII)
NAME_TOTAL_LENGTH_MAX = 255


def image_problem(image):
    """Why `image` is not a valid image reference (one phrase), or None."""
    if not image:
        return "an image must not be empty"
    if any(c.isspace() for c in image):
        return "an image reference must not contain whitespace"
    match = _REFERENCE.match(image)
    if match is None:
        if _REFERENCE.match(image.lower()):
            return "the repository name must be lowercase"
        return ("not a valid image reference ([REGISTRY[:PORT]/]REPOSITORY[:TAG][@DIGEST], "
                "lowercase ASCII repository)")
    if len(match.group(1)) > NAME_TOTAL_LENGTH_MAX:
        return "the repository name must not be longer than %d characters" \
            % NAME_TOTAL_LENGTH_MAX
    return None


def env_name_problem(name):
    """Why `name` cannot be an environment variable name (Kubernetes 1.32: printable ASCII
    other than '='), or None."""
    if not name:
        return "must not be empty"
    if any(not " " <= c <= "~" or c == "=" for c in name):
        return "must consist only of printable ASCII characters other than '='"
    return None


def _shown(value):
    return value if value.isprintable() else value.encode("unicode_escape").decode("ascii")


def change_template(template, images=None, env=None, container=None, patch=None):
    """A new pod template: `images` maps container name -> image; `env` is a list of
    (name, value) set on every container (or only `container`); `patch` is a strategic
    merge patch of the template (the shape of `spec.template` of a StatefulSet)."""
    from .k8s.patch import strategic_merge_patch
    new = copy.deepcopy(template)
    containers = (new.get("spec") or {}).get("containers") or []
    names = [c.get("name") for c in containers]
    for cname, image in (images or {}).items():
        if cname not in names:
            raise ValueError('unable to find container named "%s" (containers: %s)'
                             % (_shown(cname), ", ".join(names)))
        problem = image_problem(image)
        if problem:
            raise ValueError('invalid image "%s" for container "%s": %s'
                             % (_shown(image), cname, problem))
        containers[names.index(cname)]["image"] = image
    if container is not None and container not in names:
        raise ValueError('unable to find container named "%s" (containers: %s)'
                         % (_shown(container), ", ".join(names)))
    for key, value in env or []:
        problem = env_name_problem(key)
        if problem:
            raise ValueError('invalid environment variable name "%s": %s' % (_shown(key),
                                                                            problem))
        for c in containers:
            if container is not None and c.get("name") != container:
                continue
            entries = c.setdefault("env", [])
            for entry in entries:
                if entry.get("name") == key:
                    entry.pop("valueFrom", None)
                    entry["value"] = value
                    break
            else:
                entries.append({"name": key, "value": value})
    if patch:
        wrapped = strategic_merge_patch({"spec": {"template": new}},
                                        {"spec": {"template": patch}}, "StatefulSet")
        new = wrapped["spec"]["template"]
    return new


def revision_template(revision):
    """The pod template a ControllerRevision stores."""
    template = dict(((revision.get("data") or {}).get("spec") or {}).get("template") or {})
    template.pop("$patch", None)
    return template


def template_diff(old, new, old_label="current", new_label="update"):
    """A readable unified diff of two pod templates (YAML)."""
    import yaml
    # allow_unicode: an env value "välue" reads as itself, not as "v\\xE4lue"
    a = yaml.safe_dump(old, sort_keys=True, default_flow_style=False,
                       allow_unicode=True).splitlines()
    b = yaml.safe_dump(new, sort_keys=True, default_flow_style=False,
                       allow_unicode=True).splitlines()
    return list(difflib.unified_diff(a, b, old_label, new_label, lineterm="", n=2))


# -- OnDelete -------------------------------------------------------------------------------------

def ondelete_next(sts, pods):
    """Under OnDelete: the highest ordinal whose pod is not at the update revision (the one a
    `--step` deletes next), or None when every pod is updated."""
    state = rollout_state(sts)
    by_ordinal = pods_by_ordinal(state["name"], pods)
    for ordinal in range(state["start"] + state["replicas"] - 1, state["start"] - 1, -1):
        pod = by_ordinal.get(ordinal)
        if pod is not None and pod_revision(pod) != state["updateRevision"] and \
                not pod["metadata"].get("deletionTimestamp"):
            return pod
    return None


# -- text -----------------------------------------------------------------------------------------

def render_ordinals(sts, pods, partition=None):
    """The ordinal table a step prints: which ordinals run which revision."""
    from .render import table
    from .k8s.printers import pod_status_reason
    state = rollout_state(sts)
    partition = state["effectivePartition"] if partition is None else partition
    by_ordinal = pods_by_ordinal(state["name"], pods)
    rows = []
    for ordinal in range(state["start"], state["start"] + state["replicas"]):
        if partition is not None and state["strategy"] == "RollingUpdate" and \
                ordinal == state["start"] + partition and 0 < partition:
            rows.append("--- partition %d ---" % partition)
        pod = by_ordinal.get(ordinal)
        if pod is None:
            rows.append([ordinal, "%s-%d" % (state["name"], ordinal), "Missing", "-", "-"])
            continue
        rev = pod_revision(pod)
        label = "updated" if rev == state["updateRevision"] and \
            state["updateRevision"] != state["currentRevision"] else \
            "current" if rev in (state["currentRevision"], state["updateRevision"]) else \
            rev.rsplit("-", 1)[-1]
        rows.append([ordinal, pod["metadata"]["name"], pod_status_reason(pod), label,
                     restarts(pod)])
    return table(["ORDINAL", "POD", "STATUS", "REVISION", "RESTARTS"], rows)


def render_plan(state, steps, diff):
    lines = ["StatefulSet %s/%s" % (state["namespace"], state["name"])]
    pending = state["updateRevision"] != state["currentRevision"]
    lines.append("Current revision: %s" % (state["currentRevision"] or "<none>"))
    lines.append("Update revision:  %s%s" % (state["updateRevision"] or "<none>",
                                             "" if pending else " (nothing pending)"))
    if state["strategy"] != "RollingUpdate":
        lines.append("Strategy:         OnDelete: partitions do not apply; pods take the update "
                     "revision only when deleted. `--step` deletes them one at a time, highest "
                     "ordinal first.")
    else:
        lines.append("Partition:        %d of %d replicas (ordinals >= %d update)"
                     % (state["partition"], state["replicas"],
                        state["start"] + state["effectivePartition"]))
    saved = state["saved"]
    if saved and saved.get("target") is not None and state["strategy"] == "RollingUpdate" and \
            state["effectivePartition"] > saved["target"]:
        lines.append("Interrupted:      a rollout toward partition %s was under way; continue "
                     "with: kubectl sts rollout %s --to %s" % (saved["target"], state["name"],
                                                               saved["target"]))
    if pending and steps:
        lines.append("")
        lines.append("Steps (one ordinal each):")
        for s in steps:
            lines.append("  partition %d: updates %s" % (
                s["partition"], ", ".join("%s-%d" % (state["name"], o) for o in s["ordinals"])))
    if diff:
        lines.append("")
        lines.append("Template change:")
        lines.extend("  " + line for line in diff)
    return "\n".join(lines)
