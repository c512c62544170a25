"""int8 static quantization finds the layers on a torch whose export leaves `source_fn_stack` empty
and whose quantizer has no module-stack fallback (torch 2.11): the engine fills the stack itself."""
import pytest
import torch

pytest.importorskip("torchao")

from engine.run import quantize  # noqa: E402


class _Net(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv1 = torch.nn.Conv2d(1, 4, 3)
        self.fc = torch.nn.Linear(4 * 6 * 6, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(torch.relu(self.conv1(x)).flatten(1))


def _exported() -> torch.fx.GraphModule:
    return torch.export.export(_Net().eval(), (torch.randn(2, 1, 8, 8),)).module()


def test_conv_and_linear_nodes_get_their_layer_as_source() -> None:
    gm = _exported()
    for node in gm.graph.nodes:
        node.meta.pop("source_fn_stack", None)  # as torch 2.11's non-strict export leaves it
    quantize._mark_layer_sources(gm)
    sources = {str(n.target): n.meta["source_fn_stack"] for n in gm.graph.nodes if "source_fn_stack" in n.meta}
    assert sources == {"aten.conv2d.default": [("conv1", torch.nn.Conv2d)],
                       "aten.linear.default": [("fc", torch.nn.Linear)]}


def test_quantizer_without_module_stack_fallback_quantizes_both_layers(monkeypatch) -> None:
    """The quantizer is given torch 2.11's matcher: source_fn_stack only, no module-stack fallback."""
    import torchao.quantization.pt2e.quantizer.x86_inductor_quantizer as xiq
    from torch.fx.passes.utils import source_matcher_utils as smu
    real = smu.get_source_partitions

    def stack_only(graph, wanted, filter_fn=None):
        saved = {}
        for node in graph.nodes:
            if "source_fn_stack" not in node.meta:
                saved[node] = node.meta.pop("nn_module_stack", None)
                node.meta.pop("torch_fn", None)
        try:
            return real(graph, wanted, filter_fn)
        finally:
            for node, stack in saved.items():
                if stack is not None:
                    node.meta["nn_module_stack"] = stack

    monkeypatch.setattr(xiq, "get_source_partitions", stack_only)
    prepare_pt2e, convert_pt2e, _ = quantize.pt2e_api()
    gm = _exported()
    quantize._mark_layer_sources(gm)
    quantizer = xiq.X86InductorQuantizer()
    quantizer.set_global(xiq.get_default_x86_inductor_quantization_config())
    with quantize.quiet_torchao():
        prepared = prepare_pt2e(gm, quantizer)
        prepared(torch.randn(2, 1, 8, 8))
        converted = convert_pt2e(prepared)
    layers, left = quantize._quantized_layers(converted, {})
    assert sorted(layers) == ["conv1", "fc"] and left == []
