"""The run history panel: every stored run, newest first; filter, sort, open, delete, import, compare."""
