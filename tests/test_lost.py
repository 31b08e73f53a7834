"""core/lost.py, table-driven: which failed writes may have been applied, what a re-read says."""

import pytest

from builders import pod
from kubectl_sts.core.lost import may_have_been_applied, pod_went
from kubectl_sts.errors import (Conflict, NotFound, ServerError, TooManyRequests,
                                TransportError, UsageError)


@pytest.mark.parametrize("exc, applied", [
    (ServerError("500", status=500), True),
    (ServerError("503", status=503), True),
    (ServerError("504", status=504), True),
    (TransportError("reset", phase="sent"), True),
    (TransportError("timeout", phase=None), True),
    (TransportError("refused", phase="connect"), False),
    (Conflict("409", status=409), False),
    (NotFound("404", status=404), False),
    (TooManyRequests("429", status=429), False),
    (UsageError("bad"), False),
])
def test_may_have_been_applied(exc, applied):
    assert may_have_been_applied(exc) is applied


@pytest.mark.parametrize("now, went", [
    (None, True),
    (pod(1, uid="u1"), False),
    (pod(1, uid="u2"), True),
    (pod(1, uid="u1", deleting=True), True),
])
def test_pod_went(now, went):
    assert pod_went(now, "u1") is went
