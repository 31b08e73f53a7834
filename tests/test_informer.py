"""The informer under scripted API answers (a mocked connection): list then watch, 410 Gone, a
stream that ends, a server that fails and comes back, a refusal that no retry can help, and a
fresh list taken by a waiter. No server and no sleeping: backoff waits are recorded."""

import pytest

from kubectl_sts.errors import Forbidden, TransportError
from kubectl_sts.client.informer import Informer
from kubectl_sts.client.retry import BACKOFF_FIRST, BACKOFF_MAX


def obj(name, rv, **fields):
    return dict({"metadata": {"name": name, "resourceVersion": str(rv)}}, **fields)


def listing(rv, *items):
    return {"metadata": {"resourceVersion": str(rv)}, "items": list(items)}


def event(kind, name, rv):
    return {"type": kind, "object": obj(name, rv)}


@pytest.fixture
def scripted(mocker):
    """An informer over a mocked connection: `lists` answer the GETs in turn, `streams` the
    watches (each a list of events; the last stream stops the informer when it ends)."""
    def make(lists, streams):
        conn = mocker.Mock()
        conn.request.side_effect = list(lists)
        informer = Informer(conn, "/api/v1/namespaces/ns/pods", mocker.Mock())
        waits = []

        def halt_wait(d):
            waits.append(d)
            return informer._halt.is_set()
        mocker.patch.object(informer._halt, "wait", side_effect=halt_wait)
        remaining = list(streams)

        def watch(*args, **kwargs):
            stream = remaining.pop(0)
            if not remaining:
                yield from stream
                informer.stop()
                return
            if isinstance(stream, Exception):
                raise stream
            yield from stream
        conn.watch.side_effect = watch
        return informer, conn, waits
    return make


def test_list_then_watch_applies_every_event(scripted):
    informer, conn, _ = scripted([listing(10, obj("a", 9))], [
        [event("ADDED", "b", 11), event("MODIFIED", "a", 12), event("DELETED", "b", 13),
         {"type": "BOOKMARK", "object": {"metadata": {"resourceVersion": "14"}}}]])
    informer.run()
    assert sorted(informer.items) == ["a"] and informer.items["a"]["metadata"][
        "resourceVersion"] == "12"
    assert conn.watch.call_args.kwargs["resourceVersion"] == "10"
    assert informer.synced.is_set() and informer.healthy
    assert informer.notify.call_count == 4          # the list and three changes


def test_410_gone_lists_again(scripted):
    informer, conn, _ = scripted(
        [listing(10, obj("a", 9)), listing(50, obj("c", 49))],
        [[event("ADDED", "b", 11), {"type": "ERROR", "object": {"code": 410}}], []])
    informer.run()
    assert conn.request.call_count == 2
    assert sorted(informer.items) == ["c"]          # the new list replaced the old state
    assert conn.watch.call_args.kwargs["resourceVersion"] == "50"


def test_a_stream_that_ends_is_reopened_from_the_last_resource_version(scripted):
    informer, conn, _ = scripted([listing(10)], [[event("ADDED", "a", 11),
                                                  event("ADDED", "b", 12)], []])
    informer.run()
    assert conn.request.call_count == 1             # no new list: the watch resumes
    assert [c.kwargs["resourceVersion"] for c in conn.watch.call_args_list] == ["10", "12"]


def test_a_failing_server_is_waited_for_with_doubling_backoff(scripted):
    down = TransportError("error: connection refused", phase="connect")
    informer, conn, waits = scripted([down, down, down, listing(10)], [[]])
    informer.run()
    assert waits[:3] == [BACKOFF_FIRST, BACKOFF_FIRST * 2, BACKOFF_FIRST * 4]
    assert all(w <= BACKOFF_MAX for w in waits)
    assert informer.healthy and informer.error_since is None   # recovered


def test_the_error_is_reported_while_the_server_is_down(scripted):
    down = TransportError("error: connection refused", phase="connect")
    informer, conn, waits = scripted([down], [[]])
    informer._halt.wait.side_effect = lambda d: True             # stop at the first backoff
    informer.run()
    assert informer.error is down and informer.error_since is not None
    assert informer.describe_error().startswith("API server unreachable since ")
    assert "(connection refused)" in informer.describe_error()


def test_forbidden_stops_the_informer_for_good(scripted):
    denied = Forbidden('error: pods is forbidden: User "u" cannot list', status=403)
    informer, conn, waits = scripted([denied], [[]])
    informer.run()
    assert informer.fatal and waits == [] and conn.watch.call_count == 0
    assert informer.describe_error() == 'pods is forbidden: User "u" cannot list'


def test_a_fresh_list_from_a_waiter_is_not_undone_by_older_events(scripted):
    informer, conn, _ = scripted([listing(10, obj("a", 9))], [[event("MODIFIED", "a", 15),
                                                               event("MODIFIED", "a", 21)]])
    informer.replace(listing(20, obj("a", 20)))
    informer._watch("10")
    assert informer.items["a"]["metadata"]["resourceVersion"] == "21"


def test_streams_closed_at_once_back_off_doubling(scripted):
    informer, conn, waits = scripted([listing(10)], [[], []])
    informer.run()
    assert waits == [BACKOFF_FIRST, BACKOFF_FIRST * 2]
    assert conn.request.call_count == 1
