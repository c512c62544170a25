"""The CUDA step timer's bookkeeping, on a fake device (no GPU needed): events are only read once
the device has passed them, nothing blocks unless asked, the ring never loses a step."""
from __future__ import annotations

import contextlib

import pytest
import torch

from engine.run import step_timer
from engine.run.step_timer import CudaStepTimer, HostStepTimer


class FakeDevice:
    """Events complete in order when the device 'runs'; each step takes 2 ms of device time."""

    def __init__(self):
        self.recorded = 0  # events recorded so far (sequence numbers)
        self.completed = 0
        self.blocking_waits = 0

    def run_until(self, seq):
        self.completed = max(self.completed, seq)


class FakeEvent:
    device: FakeDevice

    def __init__(self, enable_timing=False):
        self.seq = None
        self.t_ms = None

    def record(self, stream=None):
        d = self.device
        d.recorded += 1
        self.seq = d.recorded
        self.t_ms = 2.0 * self.seq

    def query(self):
        return self.device.completed >= self.seq

    def synchronize(self):
        self.device.blocking_waits += 1
        self.device.run_until(self.seq)

    def elapsed_time(self, end):
        assert self.query() and end.query(), "read an event the device had not passed"
        return end.t_ms - self.t_ms


@pytest.fixture
def fake(monkeypatch):
    dev = FakeDevice()
    FakeEvent.device = dev
    monkeypatch.setattr(step_timer.torch.cuda, "Event", FakeEvent)
    monkeypatch.setattr(step_timer.torch.cuda, "current_stream", lambda device=None: object())
    monkeypatch.setattr(step_timer.torch.cuda, "device", lambda d: contextlib.nullcontext())
    return dev


def test_resolves_only_completed_steps_without_blocking(fake):
    t = CudaStepTimer(torch.device("cuda", 0), ring=64)
    t.start()
    for _ in range(10):
        t.mark()
    t.resolve()
    assert len(t.times_s) == 0  # the device has done nothing yet
    fake.run_until(6)  # start mark + 5 steps done
    t.resolve()
    assert list(t.times_s) == [0.002] * 5 and fake.blocking_waits == 0
    t.resolve(block=True)
    assert len(t.times_s) == 10


def test_ring_overflow_waits_instead_of_losing_steps(fake):
    t = CudaStepTimer(torch.device("cuda", 0), ring=16)
    t.start()
    for _ in range(100):  # the host runs far ahead of a device that never finishes on its own
        t.mark()
    t.resolve(block=True)
    assert len(t.times_s) == 100 and all(x == pytest.approx(0.002) for x in t.times_s)
    assert fake.blocking_waits > 1


def test_restart_times_the_next_step_from_the_pause(fake):
    t = CudaStepTimer(torch.device("cuda", 0), ring=32)
    t.start()
    for _ in range(3):
        t.mark()
    fake.recorded += 50  # a long evaluation ran on the device in between
    t.restart()
    t.mark()
    t.resolve(block=True)
    assert len(t.times_s) == 4 and t.times_s[-1] == pytest.approx(0.002)  # not 100+ ms


def test_host_timer():
    t = HostStepTimer()
    t.start()
    for _ in range(3):
        t.mark()
    assert len(t.times_s) == 3 and all(x >= 0 for x in t.times_s)
