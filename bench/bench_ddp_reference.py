#!/usr/bin/env python3
"""A hand-written DistributedDataParallel loop: the peer the app's data-parallel runs are measured against.

Start it with torch.distributed's launcher, one process per GPU (nproc 1 gives the 1-GPU figure, DDP
included, as a plain loop would have it):

    python3 -m torch.distributed.run --standalone --nproc-per-node 2 bench/bench_ddp_reference.py \\
        --net resnet9 --precision bf16 --channels-last --batch 512 --steps 300 [--bucket-cap-mb 25] \\
        [--static-graph] [--grad-as-bucket-view] [--compress bf16] [--out ref.json]

Each rank trains on its own synthetic batch (per-rank seed) for --warmup then --steps steps; rank 0
prints one JSON line: the job's samples/s (all ranks' samples over the slowest rank's window), each
rank's samples/s and ms per step, and the settings. The nets come from reference/reference_loop.py.
"""
import argparse
import datetime
import importlib.util
import json
import os
import sys
import time
from pathlib import Path

import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel as DDP

ROOT = Path(__file__).resolve().parent.parent


def nets():
    path = next(p for p in (ROOT / "reference" / "reference_loop.py", ROOT.parent / "shared" / "reference" /
                            "reference_loop.py") if p.is_file())
    spec = importlib.util.spec_from_file_location("reference_loop", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.NETS


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--net", default="resnet9")
    p.add_argument("--precision", choices=["fp32", "bf16", "fp16"], default="bf16")
    p.add_argument("--batch", type=int, default=512, help="per GPU")
    p.add_argument("--channels-last", action="store_true")
    p.add_argument("--steps", type=int, default=300)
    p.add_argument("--warmup", type=int, default=30)
    p.add_argument("--bucket-cap-mb", type=float, default=25.0)
    p.add_argument("--static-graph", action="store_true")
    p.add_argument("--grad-as-bucket-view", action="store_true")
    p.add_argument("--compress", choices=["bf16", "fp16"], default=None)
    p.add_argument("--backend", default=None, help="default: nccl on GPUs, gloo on the CPU")
    p.add_argument("--out", default=None)
    a = p.parse_args()

    local = int(os.environ.get("LOCAL_RANK", "0"))
    cuda = torch.cuda.is_available()
    dev = torch.device("cuda", local) if cuda else torch.device("cpu")
    if cuda:
        torch.cuda.set_device(dev)
    dist.init_process_group(a.backend or ("nccl" if cuda else "gloo"), timeout=datetime.timedelta(seconds=300))
    rank, world = dist.get_rank(), dist.get_world_size()
    torch.backends.cudnn.benchmark = True
    torch.manual_seed(0)
    make, shape = nets()[a.net]
    fmt = torch.channels_last if a.channels_last else torch.contiguous_format
    model = make().to(dev).to(memory_format=fmt)
    ddp = DDP(model, device_ids=[local] if cuda else None, bucket_cap_mb=a.bucket_cap_mb,
              static_graph=a.static_graph, gradient_as_bucket_view=a.grad_as_bucket_view)
    if a.compress:
        from torch.distributed.algorithms.ddp_comm_hooks import default_hooks
        ddp.register_comm_hook(None, {"bf16": default_hooks.bf16_compress_hook,
                                      "fp16": default_hooks.fp16_compress_hook}[a.compress])
    g = torch.Generator(device=dev).manual_seed(rank)
    x = torch.randn(a.batch, *shape, device=dev, generator=g).to(memory_format=fmt)
    y = torch.randint(0, 10, (a.batch,), device=dev, generator=g)
    dtype = {"fp16": torch.float16, "bf16": torch.bfloat16}.get(a.precision)
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    scaler = torch.amp.GradScaler(dev.type, enabled=a.precision == "fp16")

    def step():
        with torch.autocast(dev.type, dtype=dtype, enabled=dtype is not None):
            loss = F.cross_entropy(ddp(x), y)
        opt.zero_grad(set_to_none=True)
        scaler.scale(loss).backward()
        scaler.step(opt)
        scaler.update()

    sync = torch.cuda.synchronize if cuda else (lambda: None)
    for _ in range(a.warmup):
        step()
    sync()
    dist.barrier()
    t0 = time.perf_counter()
    for _ in range(a.steps):
        step()
    sync()
    dt = time.perf_counter() - t0
    mine = {"rank": rank, "samples_per_s": a.steps * a.batch / dt, "ms_per_step": dt / a.steps * 1e3, "seconds": dt}
    every = [None] * world
    dist.all_gather_object(every, mine)
    if rank == 0:
        slowest = max(r["seconds"] for r in every)
        out = {"net": a.net, "precision": a.precision, "batch_per_gpu": a.batch, "channels_last": a.channels_last,
               "world_size": world, "backend": dist.get_backend(), "bucket_cap_mb": a.bucket_cap_mb,
               "static_graph": a.static_graph, "grad_as_bucket_view": a.grad_as_bucket_view, "compress": a.compress,
               "steps": a.steps, "samples_per_s": world * a.steps * a.batch / slowest, "ranks": every,
               "torch": torch.__version__,
               "device": torch.cuda.get_device_name(dev) if cuda else "cpu"}
        line = json.dumps(out)
        print(line, flush=True)
        if a.out:
            Path(a.out).write_text(line + "\n")
    dist.destroy_process_group()
    return 0


if __name__ == "__main__":
    sys.exit(main())
