"""GUI-free core: spec, analysis, model building, runs, results, reports. Never imports Qt."""
