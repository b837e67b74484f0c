#!/usr/bin/env bash
# Sourced by scripts/libtorch.sh and scripts/python-env.sh: lays out, once and
# idempotently, the one copy of PyTorch 2.1.0 both use, from PyPI wheels:
#
#   $TORCH_TREE = ${GANOMALY_CACHE:-~/.cache/ganomaly-go}/torch-2.1.0
#     torch/            the torch==2.1.0 wheel (lib/ and include/ for C++,
#                       the Python package for `import torch`)
#     nvidia/*/lib/     shared objects of the nvidia-*-cu12 wheels
#
# exactly as pip would lay them out in site-packages, so libtorch's RPATH
# $ORIGIN/../../nvidia/*/lib finds the CUDA libraries and PYTHONPATH=$TORCH_TREE
# imports torch. Layers, each fetched once and marked done:
#
#   cpu     torch + cuda-runtime + cupti: what linking and running the trainer
#           on the CPU needs (libtorch_cpu.so needs libcudart and libcupti)
#   python  + the CUDA libraries `import torch` loads even on a CPU machine
#           (the PyPI wheel is the CUDA 12.1 build): cuBLAS, cuDNN's loader,
#           cuFFT, cuRAND, cuSPARSE, nvJitLink, NCCL, NVTX (shared objects only)
#   cuda    + every CUDA requirement of torch 2.1.0, whole (cuDNN's kernels,
#           cuSOLVER, NVRTC ...): training on a GPU (GANOMALY_TORCH=cuda)
#
# TORCH_PIP overrides the download command (tests use a stub).
set -euo pipefail
_tl_cache="${GANOMALY_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ganomaly-go}"
TORCH_TREE="$_tl_cache/torch-2.1.0"

# The wheels of each layer (torch 2.1.0's own pins for CUDA 12.1).
_tl_wheels_cpu="torch==2.1.0 nvidia-cuda-runtime-cu12==12.1.105 nvidia-cuda-cupti-cu12==12.1.105"
_tl_wheels_python="nvidia-cublas-cu12==12.1.3.1 nvidia-cudnn-cu12==8.9.2.26 nvidia-cufft-cu12==11.0.2.54
  nvidia-curand-cu12==10.3.2.106 nvidia-cusparse-cu12==12.1.0.106 nvidia-nccl-cu12==2.18.1
  nvidia-nvtx-cu12==12.1.105 nvidia-nvjitlink-cu12==12.1.105"
_tl_wheels_cuda="$_tl_wheels_python nvidia-cusolver-cu12==11.4.5.107 nvidia-cuda-nvrtc-cu12==12.1.105"
# The python layer takes only these shared objects (1.5 GB instead of 3 GB);
# the others are loaded lazily, never on the CPU.
_tl_python_keep="libcublas.so.12 libcublasLt.so.12 libcudnn.so.8 libcufft.so.11 libcurand.so.10
  libcusparse.so.12 libnccl.so.2 libnvJitLink.so.12 libnvToolsExt.so.1"

_tl_fetch() { # dir wheel...
  local dir=$1; shift
  if [ -n "${TORCH_PIP:-}" ]; then
    $TORCH_PIP "$dir" "$@"
  else
    python3 -m pip download --quiet --no-deps --only-binary=:all: \
      --python-version 3.11 --implementation cp --abi cp311 --platform manylinux1_x86_64 \
      -d "$dir" "$@" >&2
  fi
}

# _tl_unpack WHEELDIR DEST [KEEP]: unzips every wheel into DEST; with KEEP
# (a list of file names) only those files of the nvidia wheels.
_tl_unpack() {
  python3 - "$@" <<'EOF'
import glob, os, sys, zipfile
whl, dest = sys.argv[1], sys.argv[2]
keep = set(sys.argv[3].split()) if len(sys.argv) > 3 else None
for w in sorted(glob.glob(os.path.join(whl, "*.whl"))):
    z = zipfile.ZipFile(w)
    for info in z.infolist():
        name = info.filename
        if ".dist-info/" in name or name.startswith("torch/test/"):
            continue
        if keep is not None and os.path.basename(name) not in keep:
            continue
        z.extract(info, dest)
        if name.startswith("torch/bin/"):
            os.chmod(os.path.join(dest, name), 0o755)
EOF
}

# torch_layout LAYER: makes sure LAYER (cpu, python or cuda) and the layers
# below it are laid out in $TORCH_TREE. Concurrent callers wait for each
# other.
torch_layout() {
  local layer=$1
  case "$layer" in cpu|python|cuda) ;; *) echo "torch_layout: unknown layer $layer" >&2; return 1 ;; esac
  mkdir -p "$_tl_cache"
  (
    flock 9
    _tl_layer cpu
    [ "$layer" = cpu ] || _tl_layer python
    [ "$layer" != cuda ] || _tl_layer cuda
  ) 9>"$_tl_cache/torch-2.1.0.lock"
}

_tl_layer() {
  local layer=$1 marker
  case "$layer" in cpu) marker="$TORCH_TREE/.complete" ;; *) marker="$TORCH_TREE/.$layer-complete" ;; esac
  [ -f "$marker" ] && return 0
  local old="$_tl_cache/python-torch-2.1.0/site"
  if [ "$layer" = python ] && [ -f "$old/.complete" ]; then
    # An environment of the earlier layout (a second copy of torch beside
    # this one): take its CUDA libraries and torch/bin over as hard links
    # instead of downloading them again.
    echo "torch-layout: reusing the CUDA libraries of $old" >&2
    mkdir -p "$TORCH_TREE/nvidia"
    for d in "$old"/nvidia/*/; do
      d=${d%/}; [ -e "$TORCH_TREE/nvidia/$(basename "$d")" ] || cp -al "$d" "$TORCH_TREE/nvidia/"
    done
    [ -e "$TORCH_TREE/torch/bin" ] || [ ! -d "$old/torch/bin" ] || cp -al "$old/torch/bin" "$TORCH_TREE/torch/"
    touch "$marker"
    return 0
  fi
  local tmp wheels keep=""
  tmp=$(mktemp -d "$_tl_cache/tmp.XXXXXX")
  case "$layer" in
    cpu) wheels=$_tl_wheels_cpu
      echo "torch-layout: fetching torch==2.1.0 (670 MB, once) into $TORCH_TREE" >&2 ;;
    python) wheels=$_tl_wheels_python; keep=$_tl_python_keep
      echo "torch-layout: fetching the CUDA libraries 'import torch' loads (about 1.7 GB, once) into $TORCH_TREE/nvidia" >&2 ;;
    cuda) wheels=$_tl_wheels_cuda
      echo "torch-layout: GANOMALY_TORCH=cuda: fetching every CUDA 12.1 library torch 2.1.0 needs on a GPU (about 2.6 GB, once) into $TORCH_TREE/nvidia" >&2 ;;
  esac
  # shellcheck disable=SC2086 # word splitting of the wheel lists is meant
  if ! _tl_fetch "$tmp/whl" $wheels; then rm -rf "$tmp"; return 1; fi
  if [ "$layer" = cpu ]; then
    _tl_unpack "$tmp/whl" "$tmp/site"
    rm -rf "$TORCH_TREE"; mv "$tmp/site" "$TORCH_TREE"
  elif [ -n "$keep" ]; then
    _tl_unpack "$tmp/whl" "$TORCH_TREE" "$keep"
  else
    _tl_unpack "$tmp/whl" "$TORCH_TREE"
  fi
  rm -rf "$tmp"
  touch "$marker"
}

# torch_mode ARGS...: the libtorch build the trainer is linked with for these
# trainer flags, cpu or cuda. GANOMALY_TORCH decides when set; otherwise cuda
# when --device is cuda or auto (the default) and nvidia-smi lists a GPU.
torch_mode() {
  if [ -n "${GANOMALY_TORCH:-}" ]; then echo "$GANOMALY_TORCH"; return; fi
  local device=auto prev=""
  for a in "$@"; do
    case "$a" in --device=*) device=${a#--device=} ;; esac
    [ "$prev" = --device ] && device=$a
    prev=$a
  done
  if [ "$device" != cpu ] && command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L 2>/dev/null | grep -q '^GPU '; then
    echo cuda
  else
    echo cpu
  fi
}
