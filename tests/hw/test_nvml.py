"""The NVML wrapper alone: error mapping, CUDA index mapping, never raising."""
from __future__ import annotations

import pynvml

from hw.nvml import Nvml, NvmlGpu, failure_of, nvml_target
from tests.hw.fake_nvml import GPU_IS_LOST, FakeGpu, FakeNvml


def test_real_pynvml_errors_map_to_plain_reasons():
    # pynvml builds a subclass per code; the wrapper reads only `.value`
    assert failure_of(pynvml.NVMLError(pynvml.NVML_ERROR_NOT_SUPPORTED)).reason == "not supported by this GPU"
    assert failure_of(pynvml.NVMLError(pynvml.NVML_ERROR_NO_PERMISSION)).reason == \
        "permission denied by the NVIDIA driver"
    assert failure_of(pynvml.NVMLError(pynvml.NVML_ERROR_LIBRARY_NOT_FOUND)).reason == \
        "no NVIDIA driver (NVML library not found)"
    lost = failure_of(pynvml.NVMLError(pynvml.NVML_ERROR_GPU_IS_LOST))
    assert lost.lost and not lost.permanent
    assert "NVML error 999" in failure_of(pynvml.NVMLError(999)).reason
    assert "ValueError" in failure_of(ValueError("odd")).reason


def test_call_never_raises_and_names_missing_functions():
    nvml = Nvml(FakeNvml())
    assert nvml.open()
    value, fail = nvml.call("nvmlDeviceGetSomethingNew")
    assert value is None and "not in this nvidia-ml-py version" in fail.reason
    assert nvml.driver_version() == "580.159.04"  # bytes from old bindings decoded
    nvml.close()


def test_gpu_getters_after_loss_return_none_without_calls():
    g = FakeGpu(lost_after_s=0.0)
    gpu = NvmlGpu(_opened(FakeNvml([g])), 0)
    assert gpu.sample(0.0, with_energy=True) is None
    assert gpu.lost == "GPU lost (fell off the bus)"
    n = sum(g.calls.values())
    assert gpu.power_avg_w() is None and gpu.memory() == (None, None)
    assert sum(g.calls.values()) == n


def test_unknown_index_is_a_reason():
    gpu = NvmlGpu(_opened(FakeNvml([FakeGpu()])), 3)
    assert gpu.lost and "cuda:3" in gpu.lost
    assert gpu.sample(0.0, True) is None
    assert GPU_IS_LOST == 15


def test_cuda_visible_devices():
    assert nvml_target(1, {}) == 1
    assert nvml_target(0, {"CUDA_VISIBLE_DEVICES": "2,3"}) == 2
    assert nvml_target(1, {"CUDA_VISIBLE_DEVICES": "GPU-abc, GPU-def"}) == "GPU-def"
    assert nvml_target(2, {"CUDA_VISIBLE_DEVICES": "0"}) is None
    assert nvml_target(0, {"CUDA_VISIBLE_DEVICES": ""}) is None


def test_uuid_handles():
    fake = FakeNvml([FakeGpu(uuid="GPU-aaa"), FakeGpu(uuid="GPU-bbb", power_w=99.0)])
    gpu = NvmlGpu(_opened(fake), 0, env={"CUDA_VISIBLE_DEVICES": "GPU-bbb"})
    assert gpu.power_instant_w() == 99.0


def _opened(fake: FakeNvml) -> Nvml:
    nvml = Nvml(fake)
    assert nvml.open()
    return nvml


def test_throttle_reasons_on_bindings_before_the_rename():
    class OldBindings(FakeNvml):
        nvmlDeviceGetCurrentClocksEventReasons = None

        def nvmlDeviceGetCurrentClocksThrottleReasons(self, g):
            return 0x40  # HW thermal slowdown

    gpu = NvmlGpu(_opened(OldBindings([FakeGpu()])), 0)
    assert gpu.throttle() == (False, True)
