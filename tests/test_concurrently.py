"""kube.concurrently: independent calls at once, results in call order, failures raised."""

import threading

import pytest

from kubectl_sts.client.connection import concurrently


def test_results_come_back_in_call_order():
    assert concurrently(lambda: 1, lambda: "two", lambda: None) == [1, "two", None]
    assert concurrently() == []


def test_the_calls_run_at_the_same_time():
    barrier = threading.Barrier(3, timeout=10)      # only passes when all three wait at once
    assert concurrently(*[lambda: barrier.wait() is not None] * 3) == [True, True, True]


def test_the_first_failure_in_call_order_is_raised_after_all_finished():
    finished = []

    def slow_ok():
        finished.append("ok")
        return 1

    def fail(message):
        def call():
            raise KeyError(message)
        return call
    with pytest.raises(KeyError, match="first"):
        concurrently(slow_ok, fail("first"), fail("second"))
    assert finished == ["ok"]
