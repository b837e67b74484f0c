# The verbs a user types. Each target calls a script in scripts/ so that the
# logic lives in one place and CI runs exactly what a person runs.
SHELL := /bin/bash
ARGS ?=

.PHONY: bench-train bench-trainer bench-gotrain demo site test test-go test-wasm test-python test-trainer test-browser train paper bench bench-browser bench-batch bench-load export default-model fuzz

## demo: build the static site with the bundled model and serve it on localhost
demo:
	bash scripts/site.sh serve

## site: write build/site/, ready for any static host
site:
	bash scripts/site.sh build

## test: every test (what .ci/run calls)
test:
	bash scripts/test.sh

test-go:
	bash scripts/test.sh go
test-wasm:
	bash scripts/test.sh wasm
test-python:
	bash scripts/test.sh python
test-trainer:
	bash scripts/test.sh trainer
test-browser:
	bash scripts/test.sh browser

## train: the native trainer (libtorch fetched on first use); ARGS="--dataset mnist ..."
train:
	bash scripts/train.sh $(ARGS)

## paper: the paper protocol (abnormal digits x seeds, 15 epochs) as a markdown table
paper:
	bash scripts/paper.sh $(ARGS)

## default-model: retrain and export the bundled demo model
default-model:
	bash scripts/default-model.sh

## export: checkpoint -> model file; ARGS="-checkpoint CKPT -out FILE -dtype i8 ..."
export:
	go run ./exporter $(ARGS)

## bench: native and wasm (node) engine benchmarks
bench:
	bash scripts/bench.sh

## bench-trainer: training img/s, ours against the original PyTorch step, side by side (E2E=1 for end to end)
bench-trainer:
	bash scripts/bench-trainer.sh

## bench-train: training images/s at the class demo's size: pure Go natively and in the Train view's worker (headless Chromium), TF.js in the same page (each backend), libtorch natively (LIBTORCH=0 skips it); the class demo's time to AUROC 0.85
bench-train:
	bash scripts/bench-train.sh

## bench-gotrain: the pure-Go trainer's img/s (step alone; end to end beside the libtorch trainer, LIBTORCH=0 skips it)
bench-gotrain:
	bash scripts/bench-gotrain.sh

## bench-browser: the engine in headless Chromium beside TensorFlow.js 4.22 and onnxruntime-web 1.22 (wasm, SIMD), one JSON object per line (BENCH_TFJS=0, BENCH_ORT=0 skip them)
bench-browser:
	bash scripts/bench-browser.sh

## bench-batch: the batch view at scale in headless Chromium: images/s and the longest main-thread stall for 300, 3,000 and 10,000 images beside the workers' raw rate, one JSON object per line
bench-batch:
	bash scripts/bench-batch.sh

## bench-load: cold loads of make site in headless Chromium (fresh profile each): first paint, answered click, data-ready, first verdict (early and the page's own), phase marks, gzip bytes fetched, offline reload; one JSON line per load and a median line (BENCH_LOADS=5; BENCH_LOAD_BASE=COMMIT: side by side with the site of COMMIT, BENCH_LOAD_ROUNDS rounds)
bench-load:
	bash scripts/bench-load.sh

## fuzz: run the model-file reader's and the image decoder's fuzzers for FUZZTIME each (default 60s)
fuzz:
	go test ./modelfile -run '^$$' -fuzz FuzzRead -fuzztime $${FUZZTIME:-60s}
	go test ./preprocess -run '^$$' -fuzz FuzzDecode -fuzztime $${FUZZTIME:-60s}
