"""Jobs: one protocol for every child process (run, sweep, hardware inventory, ONNX export, and the
kinds to come). A job is a small typed dataclass; `JobProcess(job)` runs it in a fresh `spawn`ed
process and hands back typed messages; nothing crosses as argv or printed text. Torch-free and
Qt-free at import.

Entry points:
    JobProcess(job)  start(), poll()/wait(s), request_stop()+escalate() or cancel(), done, pid
    RunJob, ProfileJob, SweepJob, ExplainJob, InventoryJob, OnnxExportJob      the kinds of job
    JobStarted, JobProgress, JobEvent, JobFinished, JobFailed      the messages, in that order
    JobContext       what a job's execute(ctx) sees: emit(), progress(), stop_requested()
Errors: none raised across the boundary; a job's exception arrives as JobFailed (kind, message).
"""
from __future__ import annotations

from engine.jobs.child import JobContext
from engine.jobs.events import JobEvent, JobFailed, JobFinished, JobMessage, JobProgress, JobStarted
from engine.jobs.kinds import ExplainJob, InventoryJob, OnnxExportJob, ProfileJob, RunJob, SweepJob
from engine.jobs.process import JobProcess

__all__ = ["ExplainJob", "InventoryJob", "JobContext", "JobEvent", "JobFailed", "JobFinished", "JobMessage",
           "JobProcess", "JobProgress", "JobStarted", "OnnxExportJob", "ProfileJob", "RunJob", "SweepJob"]
