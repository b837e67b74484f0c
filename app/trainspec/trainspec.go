// Package trainspec holds what the page's Train view and its Web Worker
// share: the settings of a run with their checks, the cost and memory
// estimates shown before Start, and the messages the worker sends. It is
// small on purpose: the page imports it without the trainer itself, so the
// site's first load does not grow.
package trainspec

import (
	"fmt"

	"github.com/ganomaly-go/ganomaly/modelfile"
	"github.com/ganomaly-go/ganomaly/spec"
)

// Settings of a run, as the Train view offers them.
type Settings struct {
	// Source is "mnist" (the bundled subset) or "folder" (the person's images).
	Source string `json:"source"`
	// Normal lists the MNIST digits treated as normal; the others are the
	// held-out anomalies.
	Normal []int `json:"normal"`
	NGF    int   `json:"ngf"` // G's width; D's is the same
	ISize  int   `json:"isize"`
	NC     int   `json:"nc"`
	NZ     int   `json:"nz"`
	Batch  int   `json:"batch"`
	Epochs int   `json:"epochs"`
	// Images caps the training images (0: all).
	Images int   `json:"images"`
	Seed   int64 `json:"seed"`
	// EvalsPerEpoch is how often the eval-mode AUROC is measured.
	EvalsPerEpoch int `json:"evals_per_epoch"`
	// RecomputeBN > 0 recomputes G's BatchNorm running statistics over that
	// many training batches before every evaluation and before export.
	RecomputeBN int `json:"recompute_bn"`
}

// DefaultSettings is the class demo: MNIST with digit 2 abnormal, the small
// model (ngf = ndf = 16) at isize 32, nz 100, batch 64, 3000 images, 5 epochs.
func DefaultSettings() Settings {
	return Settings{Source: "mnist", Normal: []int{0, 1, 3, 4, 5, 6, 7, 8, 9}, NGF: 16, ISize: 32, NC: 1, NZ: 100,
		Batch: 64, Epochs: 5, Images: 3000, Seed: 1, EvalsPerEpoch: 2, RecomputeBN: DefaultRecomputeBN}
}

// DefaultRecomputeBN is the default number of training batches over which
// the running statistics are recomputed before an evaluation (see
// docs/app.md, "BatchNorm statistics before each evaluation": 2 batches
// give the AUROCs of 8 within 0.007 at a quarter of the cost).
const DefaultRecomputeBN = 2

// MaxMemory is the largest estimated working set a run may need: a tab's
// WebAssembly memory is at most 4 GiB, and Go's heap doubles before it
// collects.
const MaxMemory = 1 << 30

// MinHeldOut is the least number of held-out normals that set a threshold.
const MinHeldOut = 10

// HeldOut is how many of n normal images (outside 0.normal/ and
// 1.abnormal/) a folder run holds out for the threshold: a tenth, at least
// MinHeldOut.
func HeldOut(n int) int { return max(MinHeldOut, n/10) }

// CheckNormals says whether n normal images are enough for a folder run
// with st: one batch to train on plus the held-out ones. The page checks it
// when images are picked or dropped, the worker again before it trains.
func CheckNormals(n int, st Settings) error {
	if need := HeldOut(n) + st.Batch; n < need {
		return fmt.Errorf("%d usable normal images (outside 0.normal/ and 1.abnormal/): training needs at least %d, one batch of %d plus %d held out to set the threshold; add more normal images (or lower the batch size)",
			n, need, st.Batch, HeldOut(n))
	}
	return nil
}

// Arch is the generator's architecture for st.
func (st Settings) Arch() modelfile.Arch {
	return modelfile.Arch{ISize: st.ISize, NC: st.NC, NZ: st.NZ, NGF: st.NGF, ExtraLayers: 0}
}

// Validate checks the numbers a person can type.
func (st Settings) Validate() error {
	switch {
	case st.ISize != 32 && st.ISize != 64:
		return fmt.Errorf("image size %d: the Train view trains at 32 or 64 pixels", st.ISize)
	case st.NC != 1 && st.NC != 3:
		return fmt.Errorf("channels %d: 1 (grey) or 3 (colour)", st.NC)
	case st.NGF < 4 || st.NGF > 128:
		return fmt.Errorf("model width %d: between 4 and 128", st.NGF)
	case st.NZ < 1 || st.NZ > 1024:
		return fmt.Errorf("latent size %d: between 1 and 1024", st.NZ)
	case st.Batch < 2 || st.Batch > 512:
		return fmt.Errorf("batch size %d: between 2 and 512", st.Batch)
	case st.Epochs < 1 || st.Epochs > 1000:
		return fmt.Errorf("epochs %d: between 1 and 1000", st.Epochs)
	case st.Images < 0:
		return fmt.Errorf("images %d: 0 (all) or more", st.Images)
	case st.EvalsPerEpoch < 0 || st.EvalsPerEpoch > 20:
		return fmt.Errorf("evaluations per epoch %d: between 0 and 20", st.EvalsPerEpoch)
	case st.RecomputeBN < 0 || st.RecomputeBN > 100:
		return fmt.Errorf("BatchNorm recompute batches %d: between 0 and 100", st.RecomputeBN)
	}
	if err := st.Arch().Validate(); err != nil {
		return err
	}
	if mem := Memory(st); mem > MaxMemory {
		return fmt.Errorf("this model needs about %d MiB while training, more than a browser tab can give (%d MiB): choose a smaller model, a smaller batch or image size", mem>>20, MaxMemory>>20)
	}
	return nil
}

// Cost is the multiply-adds of one training image: G forward and backward
// (about three times the forward), D on the real and the fake image,
// forward and backward.
func Cost(st Settings) int64 {
	a := st.Arch()
	var g, d int64
	for _, l := range spec.GeneratorLayers(a) {
		g += l.MACs()
	}
	if ds, err := spec.NewDiscriminator(a, st.NGF); err == nil {
		for _, l := range ds.Layers() {
			d += l.MACs()
		}
	}
	return 3*g + 2*3*d
}

// Memory estimates the bytes a run holds: per layer and image, the trainer
// keeps the convolution's output, the activation, their gradients, the input
// gradient and the im2col matrix and its gradient; G runs once, D twice.
func Memory(st Settings) int64 {
	a := st.Arch()
	per := func(ls []spec.LayerSpec) int64 {
		var n int64
		for _, l := range ls {
			out := int64(l.OutC * l.OutH * l.OutH)
			in := int64(l.InC * l.InH * l.InH)
			// im2col: (channels of the large side × k²) × pixels of the small side.
			col := int64(l.InC*l.K*l.K) * int64(l.OutH*l.OutH)
			if l.Op == spec.ConvT {
				col = int64(l.OutC*l.K*l.K) * int64(l.InH*l.InH)
			}
			n += 3*out + in + 2*col
		}
		return n
	}
	var params int64
	for _, l := range spec.GeneratorLayers(a) {
		params += int64(l.InC * l.OutC * l.K * l.K)
	}
	g := per(spec.GeneratorLayers(a))
	var d int64
	if ds, err := spec.NewDiscriminator(a, st.NGF); err == nil {
		d = per(ds.Layers())
		for _, l := range ds.Layers() {
			params += int64(l.InC * l.OutC * l.K * l.K)
		}
	}
	// Weights, gradients and Adam's two moments; the data set as float32.
	return 4*(int64(st.Batch)*(g+2*d)+4*params) + 4*int64(st.NC*st.ISize*st.ISize)*int64(max(st.Images, 1000))*2
}

// Status values of a run (the train-status hook).
const (
	Idle    = "idle"
	Running = "running"
	Paused  = "paused"
	Done    = "done"
	Failed  = "failed"
)

// Ready is the worker's answer to start: the split it made.
type Ready struct {
	Train, Val, Normals, Anomalies int
	StepsPerEpoch                  int
	Skipped                        []string
	Dataset                        modelfile.Dataset
}

// Progress is sent after every step.
type Progress struct {
	Status        string
	Epoch, Steps  int
	Images, Total int // training images seen, and in the whole run
	// ImagesPerS is the trainer's speed over the last steps (time in Step
	// only); Elapsed the run's wall time in seconds, evaluations included.
	ImagesPerS                            float64
	Elapsed                               float64
	ErrG, ErrGAdv, ErrGCon, ErrGEnc, ErrD float64
	Note                                  string `json:",omitempty"` // why it stopped or failed
	// SIMD: the matrix products ran in the WebAssembly SIMD kernels
	// (engine.HostKernels), not in Go.
	SIMD bool `json:",omitempty"`
}

// Eval is an evaluation of the eval-mode model; AUROC and Threshold are nil
// when they cannot be measured (no anomalies; the strip-only evaluations).
type Eval struct {
	Steps, Epoch       int
	AUROC, Threshold   *float64 `json:",omitempty"`
	Edges              []float64
	Normals, Anomalies []int
	StripX, StripXHat  [][]float32
	StripAnomalous     []bool
	StripScores        []float64
	StripOnly          bool
}
