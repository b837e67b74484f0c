#!/usr/bin/env bash
# Sets up, once and idempotently, a Python environment with PyTorch 2.1.0 (the
# version the original GANomaly code is run with here), numpy, safetensors,
# pytest, onnx and onnxruntime, in a cache outside the repository, and prints the lines to `eval`:
#   eval "$(bash scripts/python-env.sh)"
# sets PYTHONPATH and LD_LIBRARY_PATH for python3.
#
# torch itself and the CUDA libraries its import loads even on a CPU machine (the
# PyPI wheel is the CUDA 12.1 build) live in the one copy of torch that
# scripts/libtorch.sh links the trainer against (scripts/torch-layout.sh, layer
# "python"); this script adds numpy, safetensors, pytest and torch's own Python
# dependencies beside it. No GPU or driver is needed.
set -euo pipefail
cache="${GANOMALY_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ganomaly-go}"
root="$cache/python-torch-2.1.0"
deps="$root/deps"

py=python3
export PIP_ROOT_USER_ACTION=ignore PIP_DISABLE_PIP_VERSION_CHECK=1
ver=$($py -c 'import sys; print("%d.%d" % sys.version_info[:2])')
if [ "$ver" != "3.11" ]; then
  echo "python-env.sh: python3 is $ver; the PyPI torch==2.1.0 wheel used here is built for CPython 3.11" >&2
  exit 1
fi

source "$(dirname "${BASH_SOURCE[0]}")/torch-layout.sh"
torch_layout python
site="$TORCH_TREE"

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
