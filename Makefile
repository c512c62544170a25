# Two set-up commands on a fresh machine: `make run` and `make test` (README "Set up" says what they install).
PY ?= python3
VENV := .venv
VPY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

# The torch build that fits this machine: the CUDA build where an NVIDIA driver answers (nvidia-smi),
# else the CPU build. `make run TORCH=cpu` (or cuda) overrides; TORCH_INDEX picks a wheel index for it,
# e.g. a CUDA build for an older driver: TORCH_INDEX=https://download.pytorch.org/whl/cu126.
TORCH_VERSION ?= 2.13.0
TORCH ?= $(shell nvidia-smi >/dev/null 2>&1 && echo cuda || echo cpu)
TORCH_INDEX ?=
CPU_INDEX := https://download.pytorch.org/whl/cpu
# ONNX Runtime to match: its GPU build (CUDA and TensorRT providers, CUDA 13 like PyPI's torch) beside
# the CUDA torch, its CPU build otherwise; the two cannot be installed together.
ONNX_EXTRA := $(if $(filter cuda,$(TORCH)),onnx-gpu,onnx)

.PHONY: run test lint torch clean

$(STAMP): pyproject.toml Makefile
	test -x $(VPY) || $(PY) -m venv $(VENV)
	$(VPY) -m pip install -q --upgrade pip
	$(MAKE) --no-print-directory torch
	$(VPY) -m pip install -q -e ".[test,$(ONNX_EXTRA),quant]"
	touch $(STAMP)

# PyPI's Linux torch is the CUDA build (with its nvidia-* libraries); the CPU build is torch==V+cpu,
# taken from wherever pip already finds it (a local mirror, find-links), else from PyTorch's CPU index.
torch:
	@echo "torch $(TORCH_VERSION): $(if $(TORCH_INDEX),from $(TORCH_INDEX),$(TORCH) build)"
ifneq ($(TORCH_INDEX),)
	$(VPY) -m pip install -q "torch==$(TORCH_VERSION)" --index-url "$(TORCH_INDEX)"
else ifeq ($(TORCH),cuda)
	$(VPY) -m pip install -q "torch==$(TORCH_VERSION)"
else
	if $(VPY) -m pip install -q --dry-run --no-deps "torch==$(TORCH_VERSION)+cpu" >/dev/null 2>&1; then \
		$(VPY) -m pip install -q "torch==$(TORCH_VERSION)+cpu"; \
	else \
		$(VPY) -m pip install -q "torch==$(TORCH_VERSION)+cpu" --index-url $(CPU_INDEX); \
	fi
endif

run: $(STAMP)
	$(VPY) main.py

test: $(STAMP)
	$(VPY) -m ruff check .
	QT_QPA_PLATFORM=offscreen $(VPY) -m pytest -q

lint: $(STAMP)
	$(VPY) -m ruff check .

clean:
	rm -rf $(VENV) .pytest_cache build dist *.egg-info
