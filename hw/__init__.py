"""GUI-free, torch-free hardware inventory and telemetry. Never imports Qt or torch."""
