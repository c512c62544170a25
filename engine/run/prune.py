"""Pruning before a run (RunConfig.prune), applied to the weights the run starts from:

- `unstructured:AMOUNT`: in every Conv2d and Linear, the AMOUNT share of weights smallest in magnitude
  set to zero (torch.nn.utils.prune, made permanent). The tensors keep their shape, so dense kernels
  multiply the zeros as before: the measured speed shows that this alone buys nothing.
- `structured:AMOUNT`: in every Conv2d whose channels can be dropped, the AMOUNT share of its output
  channels with the smallest L1 norm removed, with everything they fed (the next convolution's input
  channels, BatchNorm, the first Linear's inputs after Flatten). The result is a smaller NetworkSpec
  (only `out_channels` changes: every other shape follows from it) and its weights copied across.
- `2:4`: in every Linear whose shape the kernels accept, 2 of each 4 consecutive weights kept (the
  larger two), the weight then stored semi-structured (torch.sparse.to_sparse_semi_structured) so
  NVIDIA's sparse tensor cores multiply it (Ampere or newer, fp16/bf16 inference).

    model, network, report = prune_model(model, network, config, device)   before the run
    finetune(model, data, config, report, device, probabilities)          optional, untimed, before the run
    to_semi_structured(model, dtype, report)                               2:4, once the model is on the GPU
"""
from __future__ import annotations

from typing import Any

import torch
import torch.nn.utils.prune as torch_prune
from torch import nn

from engine.errors import BadRunInput, Unsupported
from engine.results.result import NetworkSummary, PruneReport
from engine.run.config import RunConfig, parse_prune
from engine.run.options import Target, semi_structured_problem

# Layers that keep each channel apart (one output channel per input channel): a dropped channel
# just passes through them.
CHANNELWISE = frozenset({"ReLU", "Sigmoid", "Tanh", "LeakyReLU", "GELU", "MaxPool2d", "AvgPool2d",
                         "AdaptiveAvgPool2d", "AdaptiveMaxPool2d", "BatchNorm2d", "Dropout"})
SPARSE_ROWS, SPARSE_COLS = 32, 64  # 2:4 fp16/bf16 weights: rows and columns multiples of these (CUTLASS, cuSPARSELt)


def check_semi_structured(config: RunConfig, device: torch.device) -> None:
    """Refuse 2:4 where no sparse kernel runs it, with the reason (Unsupported: exit 2): the option
    rules' words (engine.run.options), the GPU named where its compute capability is too old."""
    cc = torch.cuda.get_device_capability(device) if device.type == "cuda" else None
    if cc is not None and cc < (8, 0):
        raise Unsupported(f"prune 2:4: semi-structured sparse kernels need compute capability 8.0 or newer "
                          f"(Ampere); {torch.cuda.get_device_name(device)} is {cc[0]}.{cc[1]}")
    target = Target(device=device.type, compute_capability=cc)
    if (why := semi_structured_problem(config.mode, config.precision, target)) is not None:
        raise Unsupported(why)


def prune_model(model: nn.Module, network: NetworkSummary, config: RunConfig,
                device: torch.device) -> tuple[nn.Module, NetworkSummary, PruneReport]:
    """The pruned model, the network as it will run, and what was done. Refuses (exit 2) what cannot apply."""
    assert config.prune is not None
    kind, amount = parse_prune(config.prune)
    if kind == "2:4":
        check_semi_structured(config, device)
    if kind == "structured":
        return _structured(model, network, amount, config)
    layers, skipped, zeros, total = [], {}, 0, 0
    for lid, module in _weighted(model):
        if kind == "2:4":
            why = _semi_structured_misfit(module)
            if why:
                skipped[lid] = why
                continue
            with torch.no_grad():
                module.weight.mul_(_two_of_four_mask(module.weight))
        else:
            torch_prune.l1_unstructured(module, "weight", amount)
            torch_prune.remove(module, "weight")  # the mask made permanent: a plain dense weight
        layers.append(lid)
        zeros += int((module.weight == 0).sum())
        total += module.weight.numel()
    if not layers:
        what = "Linear layer" if kind == "2:4" else "Conv2d or Linear layer"
        reasons = "; ".join(f"{k}: {v}" for k, v in skipped.items())
        raise Unsupported(f"prune {config.prune}: no {what} to prune in {network.name!r}" +
                          (f" ({reasons})" if reasons else ""))
    report = PruneReport(kind=kind, amount=amount, layers=layers, skipped=skipped, params_before=network.params,
                         params_after=network.params, zero_weights_share=zeros / total,
                         sparse_kernels=kind == "2:4", from_weights=config.weights)
    return model, network, report


def to_semi_structured(model: nn.Module, dtype: torch.dtype | None, report: PruneReport) -> None:
    """Store the 2:4-pruned Linear weights in the semi-structured sparse format, in the run's half
    precision (the model is already on its GPU)."""
    from torch.sparse import to_sparse_semi_structured
    names = dict(_weighted(model))
    for lid in report.layers:
        module = names[lid]
        weight = module.weight.detach().to(dtype or torch.float16)
        module.weight = nn.Parameter(to_sparse_semi_structured(weight), requires_grad=False)
        if module.bias is not None:
            module.bias = nn.Parameter(module.bias.detach().to(weight.dtype), requires_grad=False)


def finetune(model: nn.Module, data: Any, config: RunConfig, report: PruneReport, device: torch.device,
             probabilities: bool) -> nn.Module:
    """config.prune_finetune_steps training steps on the run's data (its optimizer and learning rate),
    untimed, before the run. Weights pruned to zero stay zero (masks re-applied after each step); a
    structurally pruned network simply trains at its smaller size."""
    from engine.run.steps import loss_on_output, make_optimizer
    model = model.to(device).train()
    layers = dict(_weighted(model))
    masks = {lid: layers[lid].weight.detach() != 0 for lid in report.layers} if report.kind != "structured" else {}
    opt = make_optimizer(config.optimizer, model, config.lr)
    for _ in range(config.prune_finetune_steps):
        x, y = data.next_batch(config.batch)
        loss = loss_on_output(model(x), y, probabilities)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        with torch.no_grad():
            for lid, mask in masks.items():
                layers[lid].weight.mul_(mask)
    report.finetune_steps = config.prune_finetune_steps
    if masks:  # measured again: what the run multiplies
        weights = [layers[lid].weight for lid in masks]
        report.zero_weights_share = sum(int((w == 0).sum()) for w in weights) / sum(w.numel() for w in weights)
    return model.eval()


def _weighted(model: nn.Module) -> list[tuple[str, nn.Module]]:
    """(layer id, module) of every Conv2d and Linear, named by the spec's layer ids where known."""
    ids = {attr: lid for lid, attr in getattr(model, "module_names", {}).items()}
    return [(ids.get(name, name), m) for name, m in model.named_modules() if isinstance(m, nn.Conv2d | nn.Linear)]


def _semi_structured_misfit(module: nn.Module) -> str | None:
    if not isinstance(module, nn.Linear):
        return "2:4 applies to Linear layers here"
    out_f, in_f = module.weight.shape
    if out_f % SPARSE_ROWS or in_f % SPARSE_COLS:
        return (f"the sparse kernels need out_features a multiple of {SPARSE_ROWS} and in_features a multiple of "
                f"{SPARSE_COLS}; this one is {in_f} -> {out_f}")
    return None


def _two_of_four_mask(weight: torch.Tensor) -> torch.Tensor:
    """Keep the two largest of every four consecutive weights along the input dimension."""
    groups = weight.detach().abs().reshape(-1, 4)
    keep = torch.zeros_like(groups, dtype=torch.bool)
    keep.scatter_(1, groups.topk(2, dim=1).indices, True)
    return keep.reshape(weight.shape).to(weight.dtype)


# --- structured channel pruning ------------------------------------------------------------------

def _structured(model: nn.Module, network: NetworkSummary, amount: float,
                config: RunConfig) -> tuple[nn.Module, NetworkSummary, PruneReport]:
    from engine.net.analysis import analyze
    from engine.net.build import build_model
    from engine.net.spec import NetworkSpec
    if network.spec is None or not hasattr(model, "module_names"):
        raise BadRunInput(f"prune {config.prune}: structured pruning rewrites the network spec, and "
                          f"{network.name!r} was not built from one")
    spec = NetworkSpec.model_validate(network.spec)
    analysis = analyze(spec)
    by_id = {layer.id: layer for layer in spec.layers}
    consumers: dict[str, list[str]] = {}
    for layer in spec.layers:
        if analysis.layers.get(layer.id) is not None and analysis.layers[layer.id].feeds_output:
            for src in layer.inputs:
                consumers.setdefault(src, []).append(layer.id)
    modules = dict(model.named_modules())
    attr = model.module_names
    keep: dict[str, torch.Tensor] = {}  # layer id -> the output channels it keeps (conv and what follows it)
    layers, skipped = [], {}
    for lid, info in analysis.layers.items():
        layer = by_id.get(lid)
        if layer is None or layer.type != "Conv2d" or not info.feeds_output:
            continue
        why = _why_not_prunable(lid, spec, analysis, consumers, by_id)
        conv = modules[attr[lid]]
        n_keep = max(1, round(conv.out_channels * (1 - amount)))
        if why is None and n_keep == conv.out_channels:
            why = f"{conv.out_channels} channels: pruning {amount:g} of them leaves all"
        if why:
            skipped[lid] = why
            continue
        norms = conv.weight.detach().abs().flatten(1).sum(1)
        keep[lid] = norms.topk(n_keep).indices.sort().values
        layers.append(lid)
    if not layers:
        reasons = "; ".join(f"{k}: {v}" for k, v in skipped.items()) or "it has no Conv2d layer"
        raise Unsupported(f"prune {config.prune}: no convolution of {network.name!r} can lose channels ({reasons})")
    for lid in analysis.layers:  # channel-wise layers carry their input's kept channels (topological order)
        layer = by_id.get(lid)
        if layer is not None and layer.type in CHANNELWISE and layer.inputs[0] in keep:
            keep[lid] = keep[layer.inputs[0]]
    new_layers = []
    for layer in spec.layers:
        if layer.id in layers:
            layer = layer.model_copy(update={"params": {**layer.params, "out_channels": len(keep[layer.id])}})
        new_layers.append(layer)
    small = spec.model_copy(update={"layers": new_layers})
    small_analysis = analyze(small)
    if not small_analysis.ok:  # the rules above should make this impossible: say so rather than run a wrong net
        raise BadRunInput(f"prune {config.prune}: the pruned network is not valid: {small_analysis.problems[0]}")
    new_model = build_model(small, logits=config.mode == "train")
    _copy_weights(model, new_model, spec, analysis, keep)
    new_network = NetworkSummary(name=network.name, params=small_analysis.total_params,
                                 flops_per_sample=small_analysis.total_flops,
                                 spec=small.model_dump(mode="json", exclude_none=True))
    report = PruneReport(kind="structured", amount=amount, layers=layers, skipped=skipped,
                         params_before=network.params, params_after=small_analysis.total_params,
                         from_weights=config.weights)
    return new_model, new_network, report


def _why_not_prunable(lid: str, spec: Any, analysis: Any, consumers: dict[str, list[str]],
                      by_id: dict[str, Any]) -> str | None:
    """None when every path from this conv's output reaches, through channel-wise layers, only a
    Conv2d (groups 1) or a Flatten feeding Linear layers; else why its channels must stay."""
    if by_id[lid].params.get("groups", 1) != 1:
        return "a grouped convolution: its channels are tied to its input's"
    todo = [lid]
    while todo:
        cur = todo.pop()
        if cur == analysis.output_id:
            return "its channels reach the network's output"
        for nxt in consumers.get(cur, []):
            t = by_id[nxt].type
            if t in CHANNELWISE:
                todo.append(nxt)
            elif t == "Conv2d":
                if by_id[nxt].params.get("groups", 1) != 1:
                    return f"it feeds the grouped convolution {nxt}"
            elif t == "Flatten":
                if nxt == analysis.output_id:
                    return "its channels reach the network's output"
                bad = [c for c in consumers.get(nxt, []) if by_id[c].type != "Linear"]
                if bad:
                    return f"after {nxt} it feeds {bad[0]} ({by_id[bad[0]].type}), not a Linear layer"
            else:
                return f"it feeds {nxt} ({t}), which needs its channels to match another input or stay as they are"
    return None


@torch.no_grad()
def _copy_weights(old: nn.Module, new: nn.Module, spec: Any, analysis: Any, keep: dict[str, torch.Tensor]) -> None:
    """Copy each kept slice of the old weights into the smaller model."""
    old_mods, new_mods = dict(old.named_modules()), dict(new.named_modules())
    for layer in spec.layers:
        name = old.module_names.get(layer.id)
        if name is None or name not in new_mods:
            continue
        src, dst = old_mods[name], new_mods[name]
        rows = keep.get(layer.id) if layer.type == "Conv2d" else None
        cols = keep.get(layer.inputs[0]) if layer.inputs else None
        if layer.type == "BatchNorm2d":
            rows, cols = cols, None
        if layer.type == "Linear" and layer.inputs and by_type(spec, layer.inputs[0]) == "Flatten":
            flat_src = spec.layer(layer.inputs[0]).inputs[0]
            chans = keep.get(flat_src)
            shape = analysis.layers[flat_src].output_shape
            if chans is not None and shape is not None and len(shape) == 3:
                per = shape[1] * shape[2]  # flatten of [C, H, W]: channel c owns columns c*H*W .. (c+1)*H*W-1
                cols = (chans[:, None] * per + torch.arange(per)).flatten()
            else:
                cols = None
        for pname, t in dst.state_dict().items():
            value = src.state_dict()[pname]
            if value.dim() >= 1 and rows is not None:
                value = value.index_select(0, rows)
            if value.dim() >= 2 and cols is not None:
                value = value.index_select(1, cols)
            t.copy_(value)


def by_type(spec: Any, lid: str) -> str | None:
    layer = spec.layer(lid)
    return layer.type if layer is not None else None
