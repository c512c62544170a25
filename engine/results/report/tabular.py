"""CSV (one row per run, every summary column, units in the headers) and JSON (the full results)."""
from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from pathlib import Path

from engine.results.compare import peak_mem_bytes
from engine.results.report.safe import csv_cell
from engine.results.result import RunResult
from engine.results.store import REPORT_FORMAT

# (header with unit, getter). SI units, unscaled, so a spreadsheet can compute with them.
CSV_COLUMNS: tuple[tuple[str, object], ...] = (
    ("run_id", lambda r: r.run_id),
    ("created_at", lambda r: r.created_at),
    ("status", lambda r: r.status),
    ("error", lambda r: r.error),
    ("network", lambda r: r.network.name),
    ("params", lambda r: r.network.params),
    ("flops_per_sample", lambda r: r.network.flops_per_sample),
    ("device", lambda r: r.config.device),
    ("device_name", lambda r: r.hardware.device_name),
    ("precision", lambda r: r.config.precision),
    ("batch", lambda r: r.config.batch),
    ("mode", lambda r: r.config.mode),
    ("channels_last", lambda r: r.config.channels_last),
    ("compile", lambda r: r.config.compile),
    ("cuda_graph", lambda r: r.config.cuda_graph),
    ("dataset", lambda r: r.config.dataset),
    # The levers: which rows differ by them, and whether a speed is only simulated (int8 without its
    # kernels, binarized layers run as float arithmetic).
    ("conv_algo", lambda r: r.config.conv_algo),
    ("prune", lambda r: r.config.prune),
    ("prune_zero_weights_fraction", lambda r: r.prune.zero_weights_share if r.prune else None),
    ("backend", lambda r: r.config.backend),
    ("runtime_provider", lambda r: r.runtime.provider if r.runtime else None),
    ("binarize", lambda r: r.config.binarize),
    ("binary_flops_per_sample", lambda r: r.network.binary_flops_per_sample),
    ("quantized_layers", lambda r: " ".join(r.quantization.layers) if r.quantization else None),
    ("quantization_simulated", lambda r: r.quantization.simulated if r.quantization else None),
    ("im2col_buffer_bytes", lambda r: sum(x.im2col_buffer_bytes or 0 for x in r.conv_algos.layers)
     if r.conv_algos and any(x.im2col_buffer_bytes for x in r.conv_algos.layers) else None),
    ("warmup_steps", lambda r: r.config.warmup),
    ("measured_s", lambda r: r.measured_s),
    ("steps", lambda r: r.steps),
    ("samples", lambda r: r.samples),
    ("throughput_sps", lambda r: r.throughput_sps),
    ("step_time_p50_s", lambda r: r.step_time_s.p50),
    ("step_time_p90_s", lambda r: r.step_time_s.p90),
    ("step_time_p99_s", lambda r: r.step_time_s.p99),
    ("energy_gpu_j", lambda r: r.energy_j.gpu),
    ("energy_gpu_dynamic_j", lambda r: r.energy_j.gpu_dynamic),
    ("energy_gpu_method", lambda r: r.energy_j.gpu_method),
    ("energy_cpu_j", lambda r: r.energy_j.cpu),
    ("energy_per_sample_j", lambda r: r.energy_per_sample_j.total),
    ("energy_dynamic_per_sample_j", lambda r: r.energy_per_sample_j.dynamic),
    ("power_gpu_mean_w", lambda r: r.power_w.gpu_mean),
    ("power_gpu_max_w", lambda r: r.power_w.gpu_max),
    ("power_gpu_idle_w", lambda r: r.power_w.gpu_idle),
    ("mem_gpu_peak_allocated_bytes", lambda r: r.memory_bytes.gpu_peak_allocated),
    ("mem_gpu_peak_reserved_bytes", lambda r: r.memory_bytes.gpu_peak_reserved),
    ("mem_host_peak_rss_bytes", lambda r: r.memory_bytes.host_peak_rss),
    ("mem_peak_bytes", peak_mem_bytes),
    ("loss", lambda r: r.loss),
    ("accuracy_fraction", lambda r: r.accuracy),
    ("quality_warnings", lambda r: " | ".join(r.quality)),
    ("unavailable", lambda r: " | ".join(f"{k}: {v}" for k, v in r.unavailable.items())),
)


def write_csv(results: Sequence[RunResult], path: str | Path) -> Path:
    path = Path(path)
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow([name for name, _ in CSV_COLUMNS])
        for r in results:
            writer.writerow(["" if (v := get(r)) is None else csv_cell(v) for _, get in CSV_COLUMNS])
    return path


def write_json(results: Sequence[RunResult], path: str | Path, extra: dict | None = None) -> Path:
    """{"format": "tradeoff-lab/report", "version": 1, "runs": [full RunResult, ...], ...extra}."""
    path = Path(path)
    doc = {"format": REPORT_FORMAT, "version": 1, **(extra or {}),
           "runs": [r.model_dump(mode="json") for r in results]}
    path.write_text(json.dumps(doc, indent=1) + "\n", encoding="utf-8")
    return path
