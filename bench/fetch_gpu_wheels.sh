#!/usr/bin/env bash
# The GPU machine (Python 3.12, torch 2.11, no network) lacks a few pure-Python deps of engine/ and hw/.
# Fetch them once here for cp312 manylinux into ./wheels (git-ignored), unpack into wheels/site, and
# carry "wheels" with the device call; there: export PYTHONPATH=$PWD/wheels/site:$PWD
set -euo pipefail
cd "$(dirname "$0")/.."
rm -rf wheels && mkdir -p wheels/dl wheels/site wheels/packed
PIP=${PIP:-python3 -m pip}
$PIP download -q --only-binary=:all: --python-version 3.12 --implementation cp --abi cp312 \
    --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 --platform manylinux_2_28_x86_64 \
    -d wheels/dl pydantic pydantic-core platformdirs annotated-types typing-inspection typing-extensions reportlab \
    psutil nvidia-ml-py  # hw/ telemetry: host metrics, NVML
# torchao (2:4 sparsity helpers, fp8/int8 Linear): one abi3 wheel, no dependencies pulled (torch is there).
# Its compiled extensions may not load against the GPU machine's torch; its Python paths do, and
# bench/bench_prunequant.py says in one line when it cannot import at all.
$PIP download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp --abi abi3 \
    --platform manylinux_2_24_x86_64 --platform manylinux_2_28_x86_64 -d wheels/packed "torchao==0.18.0" \
    || echo "torchao wheel not fetched: the prunequant stage measures 2:4 sparsity alone"
for w in wheels/dl/*.whl; do python3 -m zipfile -e "$w" wheels/site; done
# The GPU image has pillow and charset-normalizer (reportlab's needs) already: left out, so that
# wheels/site and wheels/ort fit one carry (64 MiB with the tree).
rm -rf wheels/site/PIL wheels/site/pillow* wheels/site/charset_normalizer*
ls wheels/dl
# onnxruntime (CPU build) for the `ort` stage. Unpacked, it (~78 MB) and torchao (~20 MB) would not fit one
# carry (64 MiB with the tree) beside wheels/site: their wheel files travel as they are (carry
# "wheels/packed") and gpu_session.sh unpacks them into /tmp there.
ORT_VERSION=${ORT_VERSION:-1.32.0}
$PIP download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp --abi cp312 \
    --platform manylinux_2_28_x86_64 --platform manylinux_2_27_x86_64 --platform manylinux_2_17_x86_64 \
    -d wheels/packed "onnxruntime==$ORT_VERSION"
ls wheels/packed
