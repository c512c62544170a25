"""The worker child classifies a failure by its type in the engine's error root, not by its name."""
from __future__ import annotations

import pytest

from engine.errors import BadRunInput, OutOfMemory, Unsupported
from gui.run.child import WorkerFailed, child_main


class _Queue:
    def __init__(self) -> None:
        self.items: list[object] = []

    def put(self, item: object) -> None:
        self.items.append(item)

    def close(self) -> None:
        pass

    def join_thread(self) -> None:
        pass


class NoGpuHere(Unsupported):  # a refusal under a name the child has never heard of
    pass


class BadRunInputLookalike(RuntimeError):  # the old name check would have called this bad input
    pass


def _fail_with(exc: BaseException) -> WorkerFailed:
    def target(*_args: object) -> None:
        raise exc
    q = _Queue()
    with pytest.raises(SystemExit):
        child_main(target, "{}", "{}", q, None, None)
    (failure,) = q.items
    assert isinstance(failure, WorkerFailed)
    return failure


@pytest.mark.parametrize("exc, kind, refused", [
    (BadRunInput("data set 'x': no such folder"), "bad_input", True),
    (NoGpuHere("device cuda:3: there are only 1 GPU(s)"), "unsupported", True),
    (OutOfMemory("out of memory at batch 8192"), "oom", False),
    (BadRunInputLookalike("boom"), "internal", False),
    (KeyboardInterrupt(), "cancelled", False),
])
def test_failures_are_classified_by_type(exc, kind, refused):
    failure = _fail_with(exc)
    assert failure.kind == kind and failure.bad_input is refused
    assert failure.error_type == type(exc).__name__


def test_the_message_is_the_user_message_on_one_line():
    failure = _fail_with(BadRunInput("data set 'x':\n  no such folder"))
    assert failure.message == "data set 'x': no such folder"
    assert "Traceback" in failure.details
