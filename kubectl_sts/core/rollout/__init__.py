"""`rollout`'s decisions: pure functions over the plain API dicts (the functional core of
`kubectl sts rollout`; the shell is kubectl_sts/commands/rollout/).

- state.py: what the set says, and this tool's annotation (the run's target)
- plan.py: the partitions a run writes, the ordinals each step updates, what to say next
- gate.py: when a step is done or failed, which pods an undo deletes, when a follow is done
- transforms.py: the objects each write PUTs (partition, stage, undo)
- template.py: template changes, revision templates, diffs
- advice.py: a failed step's diagnosis and what to do next, interruption advice
(the ordinal table and the plan are laid out by printers/rollout.py)"""

from ...k8s.images import image_problem
from ...k8s.statefulset import pods_by_ordinal
from ..pods import is_ready, pod_failure, restarts
from ...k8s.statefulset import pod_revision
from .advice import failure_text, interruption_advice
from .gate import evaluate_step, follow_verdict, new_book, track, undo_victims
from .plan import (describe_plan, next_command, next_partition, ondelete_next, ordinals_between,
                   plan_partitions, step_line, step_target)
from .state import STATE_ANNOTATION, annotation, interrupted_target, rollout_state, saved_target
from .template import change_template, env_name_problem, revision_template, template_diff
from .transforms import applied, restored, staged, with_partition

__all__ = [
    "STATE_ANNOTATION", "annotation", "applied", "change_template", "describe_plan",
    "env_name_problem", "evaluate_step", "failure_text", "follow_verdict", "image_problem",
    "interrupted_target", "interruption_advice", "is_ready", "new_book", "next_command",
    "next_partition", "ondelete_next", "ordinals_between", "plan_partitions", "pod_failure",
    "pod_revision", "pods_by_ordinal", "restarts",
    "restored", "revision_template", "rollout_state", "saved_target", "staged", "step_line",
    "step_target", "template_diff", "track", "undo_victims", "with_partition",
]
