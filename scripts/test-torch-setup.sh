#!/usr/bin/env bash
# Tests the logic of scripts/torch-layout.sh (the one copy of torch that the
# trainer links against and the Python environment imports) and train.sh's
# choice of the libtorch build, in a temporary cache with a stub for pip
# that writes small fake wheels: which wheels each layer fetches, what is
# unpacked where, that a second run fetches nothing, the reuse of an
# environment of the earlier layout, a failed download, and GPU detection
# with a stub nvidia-smi. Nothing is downloaded; no GPU is needed.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "test-torch-setup: $*" >&2; exit 1; }

cat >"$tmp/pip" <<'STUB'
#!/usr/bin/env bash
# fake pip download: DIR SPEC... -> DIR/<name>-<ver>.whl with a few files
dir=$1; shift
echo "$*" >>"$STUB_LOG"
[ -z "${STUB_FAIL:-}" ] || exit 1
mkdir -p "$dir"
for spec in "$@"; do
  python3 - "$dir" "$spec" <<'PY'
import sys, zipfile
d, spec = sys.argv[1], sys.argv[2]
name, ver = spec.split("==")
files = {}
if name == "torch":
    for f in ["torch/__init__.py", "torch/lib/libtorch_cpu.so", "torch/lib/libtorch_cuda.so", "torch/include/torch/x.h",
              "torch/bin/torch_shm_manager", "torch/test/junk", "torch-2.1.0.dist-info/METADATA"]:
        files[f] = "x"
else:
    lib = name[len("nvidia-"):-len("-cu12")].replace("-", "_")
    short = {"cublas": "cublas.so.12", "cuda_runtime": "cudart.so.12", "cuda_cupti": "cupti.so.12", "cusolver": "cusolver.so.11"}.get(lib, lib + ".so.1")
    files[f"nvidia/{lib}/lib/lib{short}"] = "x"
    files[f"nvidia/{lib}/include/{lib}.h"] = "x"
with zipfile.ZipFile(f"{d}/{name.replace('-', '_')}-{ver}-py3-none-manylinux1_x86_64.whl", "w") as z:
    for f, c in files.items():
        z.writestr(f, c)
PY
done
STUB
chmod +x "$tmp/pip"
export GANOMALY_CACHE="$tmp/cache" TORCH_PIP="$tmp/pip" STUB_LOG="$tmp/log"
tree="$tmp/cache/torch-2.1.0"
# python-env.sh's own packages (numpy, pytest, onnx ...) are not under test:
# mark their folders done.
onnxname=$(grep -o 'onnx-[0-9.]*-ort-[0-9.]*' scripts/python-env.sh | head -1)
for c in cache cache3; do
  for d in deps ${onnxname:+"$onnxname"}; do mkdir -p "$tmp/$c/python-torch-2.1.0/$d" && touch "$tmp/$c/python-torch-2.1.0/$d/.complete"; done
done

# cpu: torch and the two small CUDA runtime wheels; lib, include and bin kept.
out=$(GANOMALY_TORCH=cpu bash scripts/libtorch.sh 2>/dev/null)
[ "$out" = "$tree/torch" ] || fail "libtorch.sh printed $out, want $tree/torch"
grep -q "torch==2.1.0 nvidia-cuda-runtime-cu12==12.1.105 nvidia-cuda-cupti-cu12==12.1.105" "$tmp/log" || fail "cpu layer fetched: $(cat "$tmp/log")"
for f in torch/lib/libtorch_cpu.so torch/include/torch/x.h nvidia/cuda_runtime/lib/libcudart.so.12 nvidia/cuda_cupti/lib/libcupti.so.12; do
  [ -f "$tree/$f" ] || fail "cpu layer lacks $f"
done
[ -x "$tree/torch/bin/torch_shm_manager" ] || fail "torch/bin/torch_shm_manager is not executable"
[ ! -e "$tree/torch/test" ] && [ ! -e "$tree/torch-2.1.0.dist-info" ] || fail "torch/test or dist-info unpacked"
bash scripts/libtorch.sh >/dev/null 2>&1
[ "$(wc -l <"$tmp/log")" = 1 ] || fail "a second libtorch.sh fetched again: $(cat "$tmp/log")"

# python: the CUDA libraries import torch loads, shared objects only, into
# the same tree (no second torch).
: >"$tmp/log"
bash scripts/python-env.sh >"$tmp/env" 2>/dev/null
grep -q "PYTHONPATH=\".*:$tree\\\${PYTHONPATH" "$tmp/env" || fail "python-env.sh does not import the one torch: $(cat "$tmp/env")"
grep -q "nvidia-cublas-cu12==12.1.3.1" "$tmp/log" && ! grep -q "torch==" "$tmp/log" || fail "python layer fetched: $(cat "$tmp/log")"
[ -f "$tree/nvidia/cublas/lib/libcublas.so.12" ] || fail "python layer lacks libcublas.so.12"
[ ! -e "$tree/nvidia/cublas/include" ] || fail "python layer unpacked headers"
[ ! -e "$tmp/cache/python-torch-2.1.0/site" ] || fail "python-env.sh made a second copy of torch"

# cuda: GANOMALY_TORCH=cuda adds every CUDA library, whole; once.
: >"$tmp/log"
GANOMALY_TORCH=cuda bash scripts/libtorch.sh >/dev/null 2>&1
grep -q "nvidia-cusolver-cu12==11.4.5.107" "$tmp/log" && grep -q "nvidia-cuda-nvrtc-cu12" "$tmp/log" || fail "cuda layer fetched: $(cat "$tmp/log")"
[ -f "$tree/nvidia/cusolver/lib/libcusolver.so.11" ] && [ -f "$tree/nvidia/cublas/include/cublas.h" ] || fail "cuda layer not unpacked whole"
GANOMALY_TORCH=cuda bash scripts/libtorch.sh >/dev/null 2>&1
[ "$(wc -l <"$tmp/log")" = 1 ] || fail "a second cuda set-up fetched again"

# A failed download leaves no marker and fails.
export GANOMALY_CACHE="$tmp/cache2"
if STUB_FAIL=1 bash scripts/libtorch.sh >/dev/null 2>&1; then fail "a failed download succeeded"; fi
[ ! -e "$tmp/cache2/torch-2.1.0/.complete" ] || fail "a failed download left the marker"

# An environment of the earlier layout (python-torch-2.1.0/site) is reused
# by hard links, not downloaded again.
export GANOMALY_CACHE="$tmp/cache3"
GANOMALY_TORCH=cpu bash scripts/libtorch.sh >/dev/null 2>&1
old="$tmp/cache3/python-torch-2.1.0/site"
mkdir -p "$old/nvidia/cufft/lib" && echo x >"$old/nvidia/cufft/lib/libcufft.so.11" && touch "$old/.complete"
: >"$tmp/log"
bash scripts/python-env.sh >/dev/null 2>&1
[ ! -s "$tmp/log" ] || fail "the earlier layout's libraries were downloaded again: $(cat "$tmp/log")"
[ "$(stat -c %h "$tmp/cache3/torch-2.1.0/nvidia/cufft/lib/libcufft.so.11")" = 2 ] || fail "the earlier layout's libraries were not hard-linked"

# train.sh's choice: GANOMALY_TORCH wins; else cuda when nvidia-smi lists a
# GPU and --device is not cpu.
mkdir -p "$tmp/bin"
printf '#!/bin/sh\necho "GPU 0: NVIDIA H200 (UUID: GPU-x)"\n' >"$tmp/bin/nvidia-smi"; chmod +x "$tmp/bin/nvidia-smi"
mode() { (unset GANOMALY_TORCH; source scripts/torch-layout.sh; PATH="$1:$PATH" torch_mode "${@:2}"); }
[ "$(mode "$tmp/bin")" = cuda ] || fail "auto with a GPU: not cuda"
[ "$(mode "$tmp/bin" --device cuda)" = cuda ] || fail "--device cuda with a GPU: not cuda"
[ "$(mode "$tmp/bin" --device cpu)" = cpu ] || fail "--device cpu with a GPU: not cpu"
[ "$(mode "$tmp/bin" --niter 3 --device=cpu)" = cpu ] || fail "--device=cpu: not cpu"
printf '#!/bin/sh\nexit 9\n' >"$tmp/bin/nvidia-smi"
[ "$(mode "$tmp/bin" --device cuda)" = cpu ] || fail "no GPU listed: not cpu"
[ "$( (source scripts/torch-layout.sh; GANOMALY_TORCH=cuda torch_mode --device cpu) )" = cuda ] || fail "GANOMALY_TORCH does not win"
echo "torch set-up: cpu, python and cuda layers, one copy of torch, idempotent, earlier layout reused, failed download, GPU detection: ok"
