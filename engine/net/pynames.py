"""Python-safe names for layer ids, shared by engine.net.build (module attributes) and engine.net.export_code
(attributes and local variables), so an exported model's state dict keys equal the built model's.
Torch-free: the GUI may export code without loading torch.

Spec ids are identifiers already, but some are Python keywords (`class`, `None`) or would replace an
nn.Module / fx.GraphModule attribute (`training`, `forward`, `to`); those get a `layer_` prefix.
"""
from __future__ import annotations

import keyword

# Public attributes of torch.fx.GraphModule (a superset of nn.Module's) in torch 2.13, plus names the
# built model or the exported forward use. tests/engine/test_build.py checks this against torch.
MODULE_ATTRIBUTES = frozenset("""
T_destination add_module add_submodule apply bfloat16 buffers call_super_init children code compile cpu cuda
delete_all_unused_submodules delete_submodule double dump_patches eval extra_repr float forward get_buffer
get_extra_state get_parameter get_submodule graph half ipu load_state_dict meta modules mtia named_buffers
named_children named_modules named_parameters parameters print_readable recompile register_backward_hook
register_buffer register_forward_hook register_forward_pre_hook register_full_backward_hook
register_full_backward_pre_hook register_load_state_dict_post_hook register_load_state_dict_pre_hook
register_module register_parameter register_state_dict_post_hook register_state_dict_pre_hook requires_grad_
set_extra_state set_submodule shape_env share_memory state_dict to to_empty to_folder train training type xpu
zero_grad
""".split())
EXTRA_RESERVED = frozenset({"self", "x", "input", "torch", "nn", "F", "ends_with_softmax", "module_names",
                            "node_names", "spec_name"})


def safe_name(layer_id: str, taken: set[str]) -> str:
    """An attribute/variable name for the layer, unique within `taken` (which it updates)."""
    name = layer_id
    if (keyword.iskeyword(name) or keyword.issoftkeyword(name) or name in MODULE_ATTRIBUTES
            or name in EXTRA_RESERVED or name.startswith("_") or not name.isidentifier()):
        name = "layer_" + "".join(c if c.isalnum() or c == "_" else "_" for c in layer_id.lstrip("_"))
    base, k = name, 2
    while name in taken:
        name, k = f"{base}_{k}", k + 1
    taken.add(name)
    return name


def class_name(name: str) -> str:
    """A CamelCase class name from a network name ('seminar-cnn' -> 'SeminarCnn'), else 'Net'."""
    words = "".join(c if c.isascii() and c.isalnum() else " " for c in name).title().split()
    cls = "".join(words)
    if not cls or cls[0].isdigit() or keyword.iskeyword(cls) or cls in {"Net", "Module", "BinConv2d", "BinLinear"}:
        return "Net"
    return cls
