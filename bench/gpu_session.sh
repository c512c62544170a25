#!/usr/bin/env bash
# One device call: environment, GPU tests, and the benchmarks, results under $OUT.
# Run from the repo root on the GPU machine:
#   bash bench/gpu_session.sh [smoke|tests|bench|cudagraph|overhead|energy|prunequant|gpuquant|profile|convalgo|explain|sweep|ddp|ddp1|pipe1|ort|ortgpu|cpulevers|cpuprune|cpuint8]...
# Carry "wheels/site", "wheels/packed" and "reference"; wheels/packed's wheel files (onnxruntime for `ort`,
# torchao for `prunequant` and `gpuquant`: too big to carry unpacked) are unpacked into /tmp/packed here.
set -uo pipefail
export PYTHONPATH=$PWD/wheels/site:$PWD PYTHONUNBUFFERED=1 TRADEOFF_LAB_DATA=${OUT:-/tmp}/data
if ls wheels/packed/*.whl >/dev/null 2>&1; then
  rm -rf /tmp/packed && for w in wheels/packed/*.whl; do python3 -m zipfile -e "$w" /tmp/packed; done
  export PYTHONPATH=/tmp/packed:$PYTHONPATH
fi
OUT=${OUT:-/tmp/out}; mkdir -p "$OUT"
for stage in "$@"; do
  case $stage in
    smoke)
      nvidia-smi --query-gpu=name,driver_version,power.limit,temperature.gpu --format=csv | tee "$OUT/smoke.txt"
      python3 -c 'import torch,sys; print(sys.version, torch.__version__, torch.version.cuda, torch.cuda.get_device_name())' | tee -a "$OUT/smoke.txt"
      python3 main.py hw 2>&1 | tee -a "$OUT/smoke.txt"
      python3 main.py run lenet --device cuda --steps 200 --json "$OUT/run_lenet.json" 2>&1 | tail -15 | tee -a "$OUT/smoke.txt"
      ;;
    tests)
      python3 -m pytest -q -p no:cacheprovider -m gpu tests/engine tests/hw 2>&1 | tail -30 | tee "$OUT/gpu_tests.txt"
      ;;
    bench)
      python3 bench/bench_engine_vs_reference.py --device cuda --repeats ${REPEATS:-3} --seconds ${SECONDS_PER_RUN:-5} \
        --out "$OUT/engine_vs_reference.json" 2>&1 | tail -20 | tee "$OUT/bench.txt"
      ;;
    cudagraph)
      python3 -m pytest -q -p no:cacheprovider -m gpu tests/engine/test_cuda_graph_gpu.py 2>&1 | tail -15 | tee "$OUT/cudagraph_tests.txt"
      python3 bench/bench_cuda_graph.py --in-process --repeats ${REPEATS:-3} --seconds ${SECONDS_PER_RUN:-2} \
        --out "$OUT/cuda_graph.json" 2>&1 | tail -25 | tee "$OUT/cudagraph.txt"
      ;;
    overhead)
      python3 bench/bench_sampler_overhead.py --device cuda --seconds 10 --repeats 3 --record "$OUT/overhead.md" 2>&1 | tail -15
      ;;
    energy)
      python3 bench/bench_energy_agreement.py --device cuda:0 --seconds 20 --record "$OUT/energy.md" 2>&1 | tail -15
      ;;
    prunequant)  # 2:4 sparse Linear (dense vs 2:4, bf16/fp16, large batch), torchao fp8/int8 where they run
      python3 -c 'import torchao, torch; print("torchao", torchao.__version__, "imports against torch", torch.__version__)' \
        2>&1 | tail -1 | tee "$OUT/prunequant_env.txt"
      python3 bench/bench_prunequant.py --out "$OUT" --batch ${PQ_BATCH:-16384} --repeats ${PQ_REPEATS:-7} 2>&1 | tail -30
      for p in "" "--prune 2:4"; do  # the same lever through the engine's run loop
        python3 main.py run mlp --device cuda --mode infer --precision bf16 --batch ${PQ_BATCH:-16384} --seconds 3 \
          --idle-seconds 0 $p --json "$OUT/run_mlp_bf16${p:+_2of4}.json" 2>&1 | grep -E "^mlp|throughput|pruned|status|error"
      done | tee -a "$OUT/prunequant.md"
      python3 -m pytest -q -p no:cacheprovider -m gpu tests/engine/test_prune.py 2>&1 | tail -3 | tee -a "$OUT/prunequant.md"
      ;;
    gpuquant)  # precision int8 / fp8 through the engine (torchao from wheels/packed), about 3 minutes:
      # the gpu tests, mlp b16384 at bf16/int8/fp8 eager and compiled, resnet9 b512 bf16 vs fp8, their findings
      python3 -c 'import torchao, torch; print("torchao", torchao.__version__, "imports against torch", torch.__version__)' \
        2>&1 | tail -1 | tee "$OUT/gpuquant.md"
      python3 -m pytest -q -p no:cacheprovider -m gpu tests/engine/test_gpu_quant.py 2>&1 | tail -8 | tee -a "$OUT/gpuquant.md"
      # repeats taking turns (sweep), so each ratio has an interval: mlp at bf16/int8/fp8, eager and compiled
      python3 main.py sweep mlp --devices cuda --modes infer --precisions bf16,int8,fp8 --compile-options off,default \
        --batches ${GQ_BATCH:-16384} --seconds 3 --repeats 3 --cooldown 1 --out "$OUT/data/sweep-gpuquant-mlp" 2>&1 | tail -4
      python3 main.py sweep resnet9 --devices cuda --modes infer --precisions bf16,fp8 --batches 512 --seconds 3 \
        --repeats 3 --cooldown 1 --out "$OUT/data/sweep-gpuquant-resnet9" 2>&1 | tail -4
      for n in mlp resnet9; do
        python3 main.py report --sweep "$OUT/data/sweep-gpuquant-$n" --json "$OUT/gpuquant_$n.json" 2>&1 | tail -1
        python3 -c 'import json,sys; [print("-", f if isinstance(f, str) else f["text"]) for f in json.load(open(sys.argv[1]))["findings"]]' \
          "$OUT/gpuquant_$n.json" 2>&1 | tee -a "$OUT/gpuquant.md"
      done
      ;;
    profile)
      # resnet9 bf16 CL b512 and lenet fp32 b256 training profiled: profile_*.json, roofline_resnet9.png
      python3 bench/bench_profile.py --out "$OUT" 2>&1 | tail -80 | tee "$OUT/profile.txt"
      ;;
    explain)
      # the lever advisor on lenet fp32 b256 train (launch-bound): each lever alone against eager, then together
      python3 main.py explain lenet --device cuda --batch 256 --verdict launch-bound --seconds ${EXPLAIN_SECONDS:-5} \
        --cooldown 2 --out "$OUT/explain-lenet" --json "$OUT/explain_lenet.json" --html "$OUT/explain_lenet.html" \
        2>&1 | tail -25 | tee "$OUT/explain.txt"
      ;;
    sweep)
      python3 main.py sweep resnet9 --devices cpu,cuda --precisions fp32,tf32,bf16 --batches 64,256,512 \
        --seconds ${SWEEP_SECONDS:-4} --out "$OUT/sweep" 2>&1 | tail -25
      python3 main.py report --last 18 --html "$OUT/resnet9_sweep.html" --pdf "$OUT/resnet9_sweep.pdf" \
        --csv "$OUT/resnet9_sweep.csv" --json "$OUT/resnet9_sweep.json" 2>&1 | tail -5
      ;;
    convalgo)
      # Convolution algorithms on resnet9 bf16: layer by layer (time, memory, agreement), then whole
      # runs swept over the five algorithms (short: direct is slow) with their report.
      python3 bench/bench_conv_algos.py --net resnet9 --device cuda --precision bf16 --batch 256 --seconds 0.5 \
        --iters 20 --out "$OUT/conv_algos_layers.json" 2>&1 | tail -45 | tee "$OUT/conv_algos_layers.txt"
      python3 main.py sweep resnet9 --devices cuda --precisions bf16 --batches 64,256 \
        --conv-algos library,im2col,winograd,fft,direct --seconds ${CONV_SECONDS:-3} --warmup 3 --cooldown 1 \
        --out "$OUT/convalgo_sweep" 2>&1 | tail -15 | tee "$OUT/convalgo_sweep.txt"
      python3 main.py report --sweep "$OUT/convalgo_sweep" --html "$OUT/convalgo_resnet9.html" \
        --csv "$OUT/convalgo_resnet9.csv" --json "$OUT/convalgo_resnet9.json" 2>&1 | tail -5 | tee -a "$OUT/convalgo_sweep.txt"
      python3 -m pytest -q -p no:cacheprovider -m gpu tests/engine/test_conv_algo_run.py 2>&1 | tail -5 | tee -a "$OUT/convalgo_sweep.txt"
      ;;
    ddp)  # 2 GPUs: the app's data parallelism vs a hand-written DDP loop, DDP knobs swept, and the app's 2-stage pipeline (about 5 min)
      python3 bench/bench_ddp.py --out "$OUT/ddp" --steps ${DDP_STEPS:-600} 2>&1 | tail -25 | tee "$OUT/ddp.txt"
      ;;
    ddp1)  # 1 GPU: the data-parallel code path with two processes sharing the GPU over gloo (not a measurement)
      TRADEOFF_LAB_DDP_SHARE_GPU=1 python3 main.py run resnet9 --devices cuda:0,cuda:0 --precision bf16 \
        --channels-last --batch 256 --steps 60 --ddp-compress bf16 --json "$OUT/ddp_shared_gpu.json" 2>&1 | tail -20
      ;;
    pipe1)  # 1 GPU: the pipeline code path, two stages sharing the GPU over gloo (host-staged transfers; not a measurement)
      for run in "train:--mode train" "train_1f1b:--mode train --pipeline-schedule 1f1b --no-baseline" \
                 "infer:--mode infer --no-baseline"; do
        TRADEOFF_LAB_DDP_SHARE_GPU=1 python3 main.py run resnet9 --devices cuda:0,cuda:0 --parallel pipeline \
          --precision bf16 --channels-last --batch 256 --microbatches 4 --steps 40 ${run#*:} \
          --json "$OUT/pipe_shared_gpu_${run%%:*}.json" 2>&1 | tail -22
      done | tee "$OUT/pipe1.txt"
      python3 -m pytest -q -p no:cacheprovider -m gpu tests/engine/test_pipeline_gpu.py 2>&1 | tail -15 | tee -a "$OUT/pipe1.txt"
      ;;
    ort)
      # ONNX Runtime vs PyTorch inference on resnet9: the carried CPU build's CPU provider against torch
      # on the CPU and on the GPU (a GPU provider needs onnxruntime-gpu, too big to carry).
      python3 -c 'import onnxruntime as o; print("onnxruntime", o.__version__, o.get_available_providers())' 2>&1 | tee "$OUT/ort.txt"
      python3 bench/bench_ort.py --devices cpu,cuda --batches ${ORT_BATCHES:-8,64} --repeats ${REPEATS:-3} \
        --seconds ${ORT_SECONDS:-2} --record "$OUT/ort.md" --json "$OUT/ort.json" 2>&1 | tail -25 | tee -a "$OUT/ort.txt"
      ;;
    cpulevers|cpuprune|cpuint8)
      # Pruning and int8 static PTQ on lenet measured on this machine's CPU (dedicated, unlike a shared
      # VM): train on the digits, then the sweeps of bench/RESULTS.md with their reports. cpulevers runs
      # both sweeps (about 7 min); cpuprune and cpuint8 one each, to fit one call's 10 minutes. The int8
      # sweep compares compiled runs only: eager int8 is simulated and never compared for speed.
      python3 main.py run lenet --device cpu --dataset digits --mode train --steps 1000 --batch 16 --optimizer adam \
        --lr 0.003 --keep-weights --json "$OUT/cpulevers_train.json" 2>&1 | tail -3
      W=$(python3 -c "import json; print(json.load(open('$OUT/cpulevers_train.json'))['run_id'])")
      sweeps=""
      if [ "$stage" != cpuint8 ]; then
        sweeps="prune"
        python3 main.py sweep lenet --devices cpu --modes infer --dataset digits --weights "$W" --batches 64 \
          --seconds ${LEVER_SECONDS:-2} --repeats 5 --cooldown 1 --prunes off,structured:0.5,unstructured:0.5 \
          --out "$OUT/data/sweep-prune" 2>&1 | tail -3
      fi
      if [ "$stage" != cpuprune ]; then
        sweeps="$sweeps int8"
        python3 -m pytest -q -p no:cacheprovider tests/engine/test_quantize.py tests/engine/test_quantize_sources.py 2>&1 | tail -3 | tee "$OUT/cpuint8_tests.txt"
        python3 main.py sweep lenet --devices cpu --modes infer --dataset digits --weights "$W" --batches 64 \
          --seconds ${LEVER_SECONDS:-2} --repeats ${INT8_REPEATS:-5} --cooldown 1 --precisions fp32,int8 \
          --compile-options ${INT8_COMPILE:-default} --out "$OUT/data/sweep-int8" 2>&1 | tail -3
      fi
      for s in $sweeps; do
        python3 main.py report --sweep "$OUT/data/sweep-$s" --json "$OUT/cpulevers_$s.json" 2>&1 | tail -1
        python3 -c "import json,sys; [print('-', f if isinstance(f, str) else f['text']) for f in json.load(open(sys.argv[1]))['findings']]" \
          "$OUT/cpulevers_$s.json" | tee -a "$OUT/cpulevers.md"
      done
      ;;
    ortgpu)
      # onnxruntime-gpu (CUDA 13 build; about 200 MB, carried in parts by earlier calls of the same warm
      # machine into $ORTGPU_PARTS as ortgpu.tar.xz.partNN): its CUDA provider against PyTorch on the GPU
      parts=${ORTGPU_PARTS:-/tmp/ortgpu_parts}
      rm -rf /tmp/ortgpu_site && mkdir -p /tmp/ortgpu_site && cat "$parts"/ortgpu.tar.xz.part* | python3 -c "import sys, tarfile; tarfile.open(fileobj=sys.stdin.buffer, mode=\"r|xz\").extractall(\"/tmp/ortgpu_site\")"
      export PYTHONPATH=/tmp/ortgpu_site:$PYTHONPATH
      python3 -c 'import onnxruntime as o; print("onnxruntime", o.__version__, o.get_available_providers())' 2>&1 | tee "$OUT/ortgpu.txt"
      python3 -m pytest -q -p no:cacheprovider -m gpu tests/engine/test_ort_backend.py 2>&1 | tail -5 | tee -a "$OUT/ortgpu.txt"
      python3 bench/bench_ort.py --devices cuda,cpu --batches ${ORT_BATCHES:-8,64,512} --repeats ${REPEATS:-3} \
        --seconds ${ORT_SECONDS:-2} --record "$OUT/ortgpu.md" --json "$OUT/ortgpu.json" 2>&1 | tail -30 | tee -a "$OUT/ortgpu.txt"
      ;;
  esac
done
