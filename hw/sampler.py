"""Background telemetry sampler (issue 3). CONTRACT used by the run loop; TODO(hw helper): implement.

    sampler = Sampler(gpu_indices=[0], hz=10.0, clock=time.perf_counter, t0=run_t0, pid=os.getpid())
    sampler.start()                      # thread starts; samples on a drift-free schedule
    sampler.availability                 # tuple[Availability, ...], fixed after construction
    idle = sampler.measure_idle(1.0)     # blocks ~1 s before the run: IdleBaseline(power_w per gpu, ...)
    sampler.mark_window_start()          # asks the sampler thread to read energy counters now (never
    ...timed steps...                    #   in the caller's hot loop); returns at once
    sampler.mark_window_end()
    batch = sampler.drain()              # (gpu_samples, host_samples) gathered since the last drain
    summary = sampler.stop()             # joins the thread; WindowSummary: energy per gpu (J), method
                                         #   ("counter" | "integrated-instant-power"), mean/max power,
                                         #   rapl J, host peak RSS, quality warnings, series

`hz=0` means no thread at all (sampling off), with every figure None and a reason.
"""
from __future__ import annotations
