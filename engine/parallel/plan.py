"""Where the processes of a several-device job go, checked before anything starts. Torch-free.

    layout(config, gpu_count) -> Layout     the device of each local process, the backend, the world
    node_commands(argv, nnodes, endpoint) -> the `run` command to start on each machine

One process (rank) per GPU over NCCL, or `processes` CPU processes over gloo; `nnodes` machines each
run the same local layout. Bad lists are refused with one line: a GPU that is not here, a GPU named
twice (NCCL cannot share one GPU between processes). SHARE_GPU_ENV=1 lets several ranks share one
GPU over gloo: how the GPU code path is checked on a one-GPU machine, never a way to measure.
"""
from __future__ import annotations

import os
import shlex
import socket
from dataclasses import dataclass
from typing import Any

from engine.errors import BadRunInput, Unsupported

SHARE_GPU_ENV = "TRADEOFF_LAB_DDP_SHARE_GPU"


@dataclass(frozen=True)
class Layout:
    local_devices: tuple[str, ...]  # the device of each local rank, by local rank
    nnodes: int
    backend: str  # nccl | gloo

    @property
    def local_world(self) -> int:
        return len(self.local_devices)

    @property
    def world_size(self) -> int:
        return self.local_world * self.nnodes

    @property
    def on_gpu(self) -> bool:
        return self.local_devices[0] != "cpu"


def layout(config: Any, gpu_count: int | None) -> Layout:
    """The local ranks' devices for a data-parallel or pipeline RunConfig (its validator has checked the shape
    of the list). gpu_count: GPUs torch sees here (None: no CUDA in this torch)."""
    devices = list(config.devices or ())
    if devices == ["cpu"]:
        return Layout(("cpu",) * (config.processes or 1), config.nnodes, "gloo")
    shared = os.environ.get(SHARE_GPU_ENV) == "1"
    seen: set[str] = set()
    for d in devices:
        if d in seen and not shared:
            raise BadRunInput(f"--devices {','.join(devices)}: {d} is listed twice; one process runs per GPU "
                              f"(NCCL cannot share a GPU between processes)")
        seen.add(d)
        index = int(d.split(":", 1)[1])
        if not gpu_count:
            raise Unsupported(f"--devices {','.join(devices)}: no CUDA GPU is visible here; run on the CPU "
                              f"with --devices cpu --processes N")
        if index >= gpu_count:
            raise Unsupported(f"--devices {','.join(devices)}: {d} is not here: there "
                              f"{'is' if gpu_count == 1 else 'are'} only {gpu_count} GPU(s) (cuda:0..cuda:{gpu_count - 1})")
    return Layout(tuple(devices), config.nnodes, "gloo" if shared or len(seen) < len(devices) else "nccl")


def free_port() -> int:
    """A TCP port free on this machine now (the rendezvous of a one-machine job)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def parse_endpoint(text: str) -> tuple[str, int]:
    """'HOST:PORT' -> (host, port); BadRunInput naming the flag otherwise."""
    host, _, port = text.strip().rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise BadRunInput(f"--rdzv-endpoint {text!r}: give HOST:PORT, node 0's address and a free port "
                          f"(e.g. 10.0.0.1:29500)")
    return host, int(port)


def node_commands(argv: list[str], nnodes: int, endpoint: str) -> list[str]:
    """The command to start on each machine: the same `run` with its --node-rank and the endpoint.
    argv: this command's arguments after the program (without --node-rank / --rdzv-endpoint)."""
    base = _without(argv, ("--node-rank", "--rdzv-endpoint"))
    return [shlex.join(["python", "main.py", *base, "--node-rank", str(k), "--rdzv-endpoint", endpoint])
            for k in range(nnodes)]


def _without(argv: list[str], flags: tuple[str, ...]) -> list[str]:
    out, skip = [], False
    for a in argv:
        if skip:
            skip = False
            continue
        if a in flags:
            skip = True
            continue
        if any(a.startswith(f + "=") for f in flags):
            continue
        out.append(a)
    return out
