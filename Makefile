# Two set-up commands on a fresh machine: `make run` and `make test`.
PY ?= python3
VENV := .venv
VPY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

# A CPU build of torch keeps CI fast; users with a GPU install a CUDA build (see README).
TORCH_SPEC ?= torch==2.13.0

.PHONY: run test lint bench-gpu-wheels clean

$(STAMP): pyproject.toml
	test -x $(VPY) || $(PY) -m venv $(VENV)
	$(VPY) -m pip install -q --upgrade pip
	$(VPY) -m pip install -q "$(TORCH_SPEC)"
	$(VPY) -m pip install -q -e ".[test,onnx]"
	touch $(STAMP)

run: $(STAMP)
	$(VPY) main.py

test: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(VPY) -m ruff check .
	QT_QPA_PLATFORM=offscreen $(VPY) -m pytest -q

lint: $(STAMP)
	$(VPY) -m ruff check .

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info
