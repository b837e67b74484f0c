#!/usr/bin/env bash
# Sets up, once and idempotently, a Python environment with PyTorch 2.1.0 (the
# version the original GANomaly code is run with here), numpy, safetensors,
# pytest, onnx and onnxruntime, in a cache outside the repository, and prints the lines to `eval`:
#   eval "$(bash scripts/python-env.sh)"
# sets PYTHONPATH and LD_LIBRARY_PATH for python3.
#
# Why not the libtorch cache of scripts/libtorch.sh: that folder keeps only
# what C++ linking needs. Python's `import torch` also needs torch/bin
# (torch_shm_manager) and, because the PyPI wheel is the CUDA 12.1 build,
# loads libtorch_cuda.so and libtorch_global_deps.so at import even on a CPU
# machine: their NEEDED CUDA libraries (cuBLAS, cuFFT, cuRAND, cuSPARSE,
# nvJitLink, NCCL, NVTX, cuDNN's small loader) must be present. Only those
# shared objects are unpacked from the nvidia-* wheels (about 1.5 GB instead
# of 3 GB); cuDNN's kernels, cuSOLVER and NVRTC are loaded lazily and never on
# the CPU. No GPU or driver is needed.
set -euo pipefail
cache="${GANOMALY_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ganomaly-go}"
root="$cache/python-torch-2.1.0"
site="$root/site"
deps="$root/deps"

py=python3
export PIP_ROOT_USER_ACTION=ignore PIP_DISABLE_PIP_VERSION_CHECK=1
ver=$($py -c 'import sys; print("%d.%d" % sys.version_info[:2])')
if [ "$ver" != "3.11" ]; then
  echo "python-env.sh: python3 is $ver; the PyPI torch==2.1.0 wheel used here is built for CPython 3.11" >&2
  exit 1
fi

if [ ! -f "$site/.complete" ]; then
  mkdir -p "$root"
  tmp=$(mktemp -d "$root/tmp.XXXXXX")
  trap 'rm -rf "$tmp"' EXIT
  echo "python-env.sh: fetching torch==2.1.0 and the CUDA libraries its import needs (about 2.4 GB, once) into $site" >&2
  $py -m pip download --quiet --no-deps --only-binary=:all: -d "$tmp/whl" \
    torch==2.1.0 \
    nvidia-cuda-runtime-cu12==12.1.105 nvidia-cuda-cupti-cu12==12.1.105 \
    nvidia-cublas-cu12==12.1.3.1 nvidia-cudnn-cu12==8.9.2.26 nvidia-cufft-cu12==11.0.2.54 \
    nvidia-curand-cu12==10.3.2.106 nvidia-cusparse-cu12==12.1.0.106 nvidia-nccl-cu12==2.18.1 \
    nvidia-nvtx-cu12==12.1.105 nvidia-nvjitlink-cu12==12.1.105 >&2
  mkdir -p "$tmp/site"
  $py - "$tmp/whl" "$tmp/site" <<'EOF'
import glob, os, sys, zipfile
whl, dest = sys.argv[1], sys.argv[2]
# Shared objects needed to import torch on the CPU (see the header comment).
keep = {"libcudart.so.12", "libcupti.so.12", "libcublas.so.12", "libcublasLt.so.12",
        "libcudnn.so.8", "libcufft.so.11", "libcurand.so.10", "libcusparse.so.12",
        "libnccl.so.2", "libnvJitLink.so.12", "libnvToolsExt.so.1"}
for w in sorted(glob.glob(os.path.join(whl, "*.whl"))):
    z = zipfile.ZipFile(w)
    torch = os.path.basename(w).startswith("torch-")
    for info in z.infolist():
        name = info.filename
        if torch:
            # Headers are for C++ builds only.
            if name.startswith("torch/include/"):
                continue
        elif os.path.basename(name) not in keep:
            continue
        z.extract(info, dest)
        if torch and name.startswith("torch/bin/"):
            os.chmod(os.path.join(dest, name), 0o755)
EOF
  rm -rf "$site"
  mv "$tmp/site" "$site"
  touch "$site/.complete"
fi

if [ ! -f "$deps/.complete" ]; then
  echo "python-env.sh: installing numpy, safetensors, pytest and torch's Python dependencies into $deps" >&2
  rm -rf "$deps"
  $py -m pip install --quiet --disable-pip-version-check --no-warn-script-location --no-warn-conflicts --target "$deps" \
    numpy==1.26.4 typing_extensions==4.12.2 sympy==1.13.3 networkx==3.4.2 jinja2==3.1.6 \
    filelock==3.16.1 fsspec==2024.10.0 safetensors==0.4.5 pytest==8.3.4 pillow==11.0.0 >&2
  touch "$deps/.complete"
fi

# onnx (the checker) and onnxruntime (CPU) for the ONNX export tests, in
# their own folder so that adding them leaves the torch install alone. No
# dependency resolution: numpy and sympy come from $deps above.
onnxdir="$root/onnx-1.18.0-ort-1.22.1"
if [ ! -f "$onnxdir/.complete" ]; then
  echo "python-env.sh: installing onnx 1.18.0 and onnxruntime 1.22.1 into $onnxdir" >&2
  rm -rf "$onnxdir"
  $py -m pip install --quiet --disable-pip-version-check --no-warn-script-location --no-deps --target "$onnxdir" \
    onnx==1.18.0 onnxruntime==1.22.1 protobuf==5.29.5 coloredlogs==15.0.1 humanfriendly==10.0 \
    flatbuffers==25.2.10 packaging==24.2 >&2
  touch "$onnxdir/.complete"
fi

libs=$(ls -d "$site"/nvidia/*/lib | tr '\n' ':')
echo "export PYTHONPATH=\"$deps:$onnxdir:$site\${PYTHONPATH:+:\$PYTHONPATH}\""
echo "export LD_LIBRARY_PATH=\"${libs%:}\${LD_LIBRARY_PATH:+:\$LD_LIBRARY_PATH}\""
