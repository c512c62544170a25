"""A stand-in for the editor's Document (same contract: spec, analysis, set_read_only, signals) with a
fixed LeNet and its analysis, for tests, the live-chart benchmark and screenshots that must not depend
on the editor or on engine.analysis.
"""
from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from engine.analysis import Analysis, LayerInfo, Problem
from engine.spec import NetworkSpec, spec_from_dict

LENET = {
    "format": "tradeoff-lab/network", "version": 1, "name": "lenet", "input": {"shape": [1, 28, 28]},
    "num_classes": 10,
    "layers": [
        {"id": "conv1", "type": "Conv2d", "params": {"out_channels": 6, "kernel_size": 5, "padding": 2},
         "inputs": ["input"]},
        {"id": "relu1", "type": "ReLU", "inputs": ["conv1"]},
        {"id": "pool1", "type": "MaxPool2d", "params": {"kernel_size": 2}, "inputs": ["relu1"]},
        {"id": "conv2", "type": "Conv2d", "params": {"out_channels": 16, "kernel_size": 5}, "inputs": ["pool1"]},
        {"id": "relu2", "type": "ReLU", "inputs": ["conv2"]},
        {"id": "pool2", "type": "MaxPool2d", "params": {"kernel_size": 2}, "inputs": ["relu2"]},
        {"id": "flat", "type": "Flatten", "inputs": ["pool2"]},
        {"id": "fc1", "type": "Linear", "params": {"out_features": 120}, "inputs": ["flat"]},
        {"id": "relu3", "type": "ReLU", "inputs": ["fc1"]},
        {"id": "fc2", "type": "Linear", "params": {"out_features": 84}, "inputs": ["relu3"]},
        {"id": "relu4", "type": "ReLU", "inputs": ["fc2"]},
        {"id": "fc3", "type": "Linear", "params": {"out_features": 10}, "inputs": ["relu4"]},
    ],
    "output": "fc3",
}
# (id, type, output shape, params, forward FLOPs per sample)
_LENET_INFO = [
    ("conv1", "Conv2d", (6, 28, 28), 156, 235_200), ("relu1", "ReLU", (6, 28, 28), 0, 4_704),
    ("pool1", "MaxPool2d", (6, 14, 14), 0, 4_704), ("conv2", "Conv2d", (16, 10, 10), 2_416, 480_000),
    ("relu2", "ReLU", (16, 10, 10), 0, 1_600), ("pool2", "MaxPool2d", (16, 5, 5), 0, 1_600),
    ("flat", "Flatten", (400,), 0, 0), ("fc1", "Linear", (120,), 48_120, 96_000),
    ("relu3", "ReLU", (120,), 0, 120), ("fc2", "Linear", (84,), 10_164, 20_160),
    ("relu4", "ReLU", (84,), 0, 84), ("fc3", "Linear", (10,), 850, 1_680),
]


def lenet_analysis() -> Analysis:
    layers = {}
    for layer_id, kind, shape, params, flops in _LENET_INFO:
        size = 1
        for d in shape:
            size *= d
        layers[layer_id] = LayerInfo(layer_id, kind, shape, params, flops, 4 * size)
    return Analysis(layers=layers, total_params=sum(i.params for i in layers.values()),
                    total_flops=sum(i.flops for i in layers.values()),
                    train_flops=3 * sum(i.flops for i in layers.values()),
                    activation_bytes=sum(i.activation_bytes for i in layers.values()), output_shape=(10,))


class StaticDocument(QObject):
    spec_changed = Signal()
    read_only_changed = Signal(bool)

    def __init__(self, spec: NetworkSpec | None = None, analysis: Analysis | None = None) -> None:
        super().__init__()
        self._spec = spec or spec_from_dict(LENET)
        self._analysis = analysis or lenet_analysis()
        self.read_only = False

    @property
    def spec(self) -> NetworkSpec:
        return self._spec.model_copy(deep=True)

    @property
    def current(self) -> NetworkSpec:
        """The spec without a copy (read only), as Document.current."""
        return self._spec

    @property
    def analysis(self) -> Analysis:
        return self._analysis

    def set_read_only(self, value: bool) -> None:
        if value != self.read_only:
            self.read_only = value
            self.read_only_changed.emit(value)

    def set_problems(self, problems: list[Problem]) -> None:
        """Make the network invalid (or valid again with [])."""
        self._analysis.problems = list(problems)
        self.spec_changed.emit()
