"""The CUDA graph lever on the CPU: where it is refused and why (the CLI's exit 2, the rules the GUI
shows), that a capture refused mid-run ends the run with that reason and keeps nothing, and what a
compiled run reports about its compilation. On a GPU: tests/engine/test_cuda_graph_gpu.py."""
from __future__ import annotations

import pytest
import torch

from engine.errors import Unsupported
from engine.results.result import RunResult
from engine.run import RunConfig, Target, unavailable
from engine.run.compile_watch import CompileWatch
from engine.run.events import PhaseChanged, RunFinished, RunStarted
from engine.run.loop import run_model
from tests.engine.test_cli_run import main_py
from tests.engine.tiny_nets import NETWORK, TinyCNN, fast_config

HOPPER = Target("cuda:0", (9, 0))


def test_cli_refuses_a_cuda_graph_on_the_cpu_in_one_line(tmp_path):
    p = main_py("run", "lenet", "--device", "cpu", "--cuda-graph", "--no-store", env_data=tmp_path)
    assert p.returncode == 2, (p.stdout, p.stderr)
    assert "CUDA graph" in p.stderr and "on the CPU" in p.stderr and "Traceback" not in p.stderr
    assert len(p.stderr.strip().splitlines()) == 1


def test_rules_name_what_a_cuda_graph_rules_out():
    assert "on the CPU" in unavailable({"cuda_graph": True}, Target("cpu"))["cuda_graph"]
    assert "cuda_graph" not in unavailable({"cuda_graph": False}, HOPPER)
    on = unavailable({"cuda_graph": True, "mode": "train"}, HOPPER)
    assert "records CUDA graphs itself" in on["compile:reduce-overhead"]
    assert "records CUDA graphs itself" in on["compile:max-autotune"]
    assert "compile:default" not in on and "compile:max-autotune-no-cudagraphs" not in on
    assert "loss scale" in on["precision:fp16"] and "precision:bf16" not in on
    assert "precision:fp16" not in unavailable({"cuda_graph": True, "mode": "infer"}, HOPPER)
    # one way only: choosing reduce-overhead does not disable the checkbox (the GUI falls back from the mode)
    assert "cuda_graph" not in unavailable({"compile": "reduce-overhead"}, HOPPER)


def test_a_run_on_the_cpu_is_refused_before_it_starts():
    events = []
    with pytest.raises(Unsupported, match="CUDA graph: .*on the CPU"):
        run_model(TinyCNN, NETWORK, (1, 8, 8), 10, fast_config(cuda_graph=True), events.append)
    assert events == []  # nothing started


@pytest.mark.parametrize("settings, words", [
    (dict(compile="reduce-overhead"), "compile mode reduce-overhead records CUDA graphs itself"),
    (dict(precision="fp16"), "fp16 training checks its loss scale"),
])
def test_combinations_a_graph_cannot_take_are_refused_on_a_gpu(settings, words):
    from engine.run.cuda_graph import refusal
    cfg = RunConfig(device="cuda", cuda_graph=True, **settings)
    assert words in refusal(cfg, torch.device("cuda", 0))
    assert refusal(RunConfig(device="cuda", cuda_graph=True, compile="default"), torch.device("cuda", 0)) is None


class _Uncapturable:
    """Stands in for GraphedStep on the CPU: warms up eagerly, then the capture fails."""

    def __init__(self, body, next_batch, batch, device):
        self.body, self.get, self.batch = body, next_batch, batch
        self.eager_steps = 0

    def eager(self):
        self.eager_steps += 1
        return self.body(*self.get(self.batch))

    def warming(self):
        import contextlib
        return contextlib.nullcontext()

    def capture(self):
        raise Unsupported("CUDA graph: this step cannot be captured (RuntimeError: a host sync); run it without")


def test_a_capture_refused_mid_run_raises_its_reason_and_sends_no_result(monkeypatch):
    from engine.run import cuda_graph
    made = []
    monkeypatch.setattr(cuda_graph, "check", lambda config, device: None)
    monkeypatch.setattr(cuda_graph, "GraphedStep", lambda *a: made.append(_Uncapturable(*a)) or made[-1])
    events = []
    with pytest.raises(Unsupported, match="cannot be captured"):
        run_model(TinyCNN, NETWORK, (1, 8, 8), 10, fast_config(cuda_graph=True, warmup=0), events.append)
    assert isinstance(events[0], RunStarted) and not any(isinstance(e, RunFinished) for e in events)
    assert isinstance(events[-1], PhaseChanged) and events[-1].phase == "done"
    assert made[0].eager_steps == 3  # warm-up raised to the eager steps a capture needs


def test_compile_watch_counts_graph_breaks_recompiles_and_time():
    def f(x):
        y = x.sin()
        print(end="")  # a graph break
        return y.cos()

    g = torch.compile(f, backend="eager")
    with CompileWatch() as watch:
        g(torch.randn(3))
        watch.mark_window()
        g(torch.randn(3, 2))  # another rank: a recompile, inside the window
    facts = watch.facts()
    assert facts["graph_breaks"] >= 1 and facts["graphs"] >= 2
    assert facts["recompiles"] >= 1 and facts["in_window"] >= 1 and facts["compile_s"] > 0
    torch._dynamo.reset()


def test_a_compiled_run_reports_its_compilation_outside_the_window(monkeypatch):
    real = torch.compile
    monkeypatch.setattr(torch, "compile", lambda model, mode=None: real(model, backend="eager"))  # fast on a CPU
    torch._dynamo.reset()
    r = run_model(TinyCNN, NETWORK, (1, 8, 8), 10, fast_config(compile="default", warmup=0, steps=5))
    torch._dynamo.reset()
    assert r.status == "ok", r.error
    assert r.compile is not None and r.compile.graphs >= 1 and r.compile.compile_s > 0
    assert r.compile.in_window == 0 and r.compile.recompiles == 0 and r.compile.graph_breaks == 0
    assert any("warm-up raised from 0 to 2" in q for q in r.quality)
    assert RunResult.model_validate_json(r.model_dump_json()).compile == r.compile


def test_results_from_before_the_lever_still_load():
    r = run_model(TinyCNN, NETWORK, (1, 8, 8), 10, fast_config(steps=2))
    old = r.model_dump(mode="json", exclude={"compile"})
    del old["config"]["cuda_graph"]
    back = RunResult.model_validate(old)
    assert back.compile is None and back.config.cuda_graph is False


def test_comparisons_name_the_cuda_graph_lever():
    from engine.results.compare import short_labels
    from engine.results.findings import findings
    from tests.engine.fake_runs import make_run
    eager, graphed = make_run("a", throughput_sps=1000), make_run("b", throughput_sps=5000)
    graphed.config.cuda_graph = True
    (f,) = [f for f in findings([eager, graphed]) if f.kind == "lever"]
    assert f.text.startswith("CUDA graph vs no CUDA graph") and "5.00× the throughput" in f.text
    assert short_labels([eager, graphed]) == {"a": "no graph", "b": "CUDA graph"}
