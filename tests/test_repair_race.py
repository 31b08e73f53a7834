"""repair's plan when the pod the diagnosis named is gone by the time it was read one by one
(the list and the GET run together): a conflict in one line (exit 6), never an internal
error."""

import types
from typing import cast

import pytest

from kubectl_sts.client.connection import Connection
from kubectl_sts.commands.repair import Repair
from kubectl_sts.errors import Conflict


@pytest.mark.parametrize("remedy", ["taint", "force-delete", "delete-pod"])
def test_a_remedy_for_a_pod_that_is_gone_is_a_conflict(remedy):
    session = Repair(cast(Connection, types.SimpleNamespace(namespace="ns")), "web", 2, 1.0)
    with pytest.raises(Conflict) as exc:
        session.plan(remedy, None, [], {}, False)
    assert str(exc.value) == "error: pod web-2 is gone since the diagnosis read it; run the " \
                             "command again"


def test_a_remedy_for_a_pod_that_is_there_plans_its_delete():
    session = Repair(cast(Connection, types.SimpleNamespace(namespace="ns")), "web", 2, 1.0)
    pod = {"metadata": {"name": "web-2", "uid": "u1"}, "spec": {"nodeName": "n1"}}
    steps = session.plan("delete-pod", pod, [], {}, False)
    assert [text for text, _ in steps] == ["delete pod web-2 (uid u1)"]
