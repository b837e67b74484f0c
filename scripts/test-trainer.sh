#!/usr/bin/env bash
# The trainer's tests (the separate Go module trainer/, cgo + libtorch):
# vet, unit tests (LeakyReLU, state-dict names, init, same seed → same losses,
# save/restore, NaN handling, memory, engine parity), the run tests (resume,
# run folder, metrics.json schema), the real MNIST learning test
# (eval-mode AUROC ≥ 0.8), the losses of two steps against the original
# optimize_params() in PyTorch (trainer/bench/original_step.py; the Python
# environment of scripts/python-env.sh, GANOMALY_SKIP_CROSSCHECK=1 skips it),
# and a kill -9 / --resume check of the binary.
# The first run compiles gotch's C++ wrapper (about 2 minutes on 2 cores);
# Go's build cache keeps it. GPU tests skip themselves without CUDA.
set -euo pipefail
cd "$(dirname "$0")/.."
echo "=== the libtorch set-up (scripts/torch-layout.sh, train.sh's CPU/CUDA choice) with a stub pip"
bash scripts/test-torch-setup.sh
source scripts/gotch-env.sh
unformatted=$(gofmt -l trainer render)
[ -z "$unformatted" ] || { echo "gofmt needed: $unformatted" >&2; exit 1; }
go vet ./render
go test -count=1 ./render
cd trainer
go vet ./...
# -v for the test names and the learning test's numbers, without the slog lines
go test -count=1 -p 1 -timeout 25m -v ./... 2>&1 | grep -v -E '^(=== (RUN|PAUSE|CONT)|time=.*level=INFO)'

echo "=== the losses of two training steps against the original optimize_params() in PyTorch 2.1.0"
if [ -n "${GANOMALY_SKIP_CROSSCHECK:-}" ]; then
  echo "skipped (GANOMALY_SKIP_CROSSCHECK is set)"
else
  (eval "$(bash ../scripts/python-env.sh)" && GANOMALY_CROSSCHECK=1 go test -count=1 -run TestLossesMatchTheOriginalStep -v ./gan 2>&1 | grep -v '^=== RUN')
fi

echo "=== kill -9 during training, then --resume"
go build -o ../build/bin/trainer .
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
args=(--dataset mnist --abnormal_class 2 --niter 3 --max_images 640 --max_test 300 --ngf 8 --ndf 8 --outf "$out" --name killed --quiet --no_report --device cpu)
../build/bin/trainer "${args[@]}" 2>"$out/log1" &
pid=$!
for _ in $(seq 1 600); do
  [ -f "$out/killed/train_state.safetensors" ] && break
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.2
done
kill -9 "$pid" 2>/dev/null || { echo "the trainer finished before it could be killed" >&2; cat "$out/log1" >&2; exit 1; }
wait "$pid" 2>/dev/null || true
../build/bin/trainer "${args[@]}" --resume 2>"$out/log2" >/dev/null || { cat "$out/log2" >&2; exit 1; }
grep -q '"status": "finished"' "$out/killed/metrics.json" || { echo "resumed run did not finish" >&2; exit 1; }
grep -q 'msg=resumed' "$out/log2" || { echo "the second run did not resume" >&2; cat "$out/log2" >&2; exit 1; }
# Exactly epochs 1, 2, 3 once each: a resume that lost or repeated an epoch fails here.
epochs=$(tr -d ' \n' < "$out/killed/metrics.json" | grep -o '"epochs":\[.*\],"summary"' | grep -o '{"epoch":[0-9]*' | cut -d: -f2 | tr '\n' ' ')
[ "$epochs" = "1 2 3 " ] || { echo "metrics.json lists epochs '$epochs', want '1 2 3'" >&2; cat "$out/killed/metrics.json" >&2; exit 1; }
echo "killed with kill -9 after epoch 1's checkpoint, resumed, finished: metrics.json lists epochs $epochs"
