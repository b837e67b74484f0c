#!/usr/bin/env bash
# Interoperability with Python, run by `make test` (section "python"):
#  - tests/python/make_original_netg.py builds the ORIGINAL GANomaly networks in
#    PyTorch 2.1.0, trains them a few steps and saves netG.pth as the authors' code
#    does, with eval-mode reference outputs;
#  - the exporter (pure Go) turns each netG.pth into F32/F16/I8 model files, and
#    the engine's outputs are compared with PyTorch's (x_hat and latents <= 1e-4,
#    scores <= 1e-3 relative), through goforward and through `ganomaly score`;
#  - every model file (exporter and `ganomaly init`) is opened with Python's
#    safetensors package: names, shapes, dtypes, I8 scale broadcasting, metadata.
#  - the pure-Go trainer (package train) takes each of five steps as the original
#    optimize_params() does, from float64 PyTorch's state before it
#    (tests/python/test_gotrain.py; GOTRAIN_PARITY_SEEDS=8 runs seeds 0-7).
# Everything Python needs is installed once into a cache outside the repository
# (scripts/python-env.sh). Extra arguments go to pytest, e.g. -k parity.
set -euo pipefail
cd "$(dirname "$0")/.."
eval "$(bash scripts/python-env.sh)"
python3 -c 'import torch, numpy, safetensors, pytest, onnx, onnxruntime' || {
  c=${GANOMALY_CACHE:-$HOME/.cache/ganomaly-go}
  echo "test-python.sh: the Python environment is broken; delete $c/python-torch-2.1.0 and $c/torch-2.1.0/.python-complete and rerun" >&2
  exit 1
}
export PYTHONDONTWRITEBYTECODE=1
exec python3 -m pytest -p no:cacheprovider -ra "$@" tests/python
