package engine

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/ganomaly-go/ganomaly/modelfile"
	"github.com/ganomaly-go/ganomaly/spec"
)

// foldedLayer is one layer's weights after BatchNorm folding, in PyTorch
// layout, plus its bias.
type foldedLayer struct {
	spec spec.LayerSpec
	w    []float32 // PyTorch layout (see spec.LayerSpec.WeightShape)
	b    []float32 // len OutC
}

// foldLayers reads every generator layer from f and folds BatchNorm into the
// weights. It accepts checkpoints (BN tensors present) and model files (a
// bias present, no BN tensors).
func foldLayers(f *modelfile.File) ([]foldedLayer, error) {
	arch := f.Meta.Arch
	if err := arch.Validate(); err != nil {
		return nil, err
	}
	specs := spec.GeneratorLayers(arch)
	out := make([]foldedLayer, len(specs))
	for i, s := range specs {
		w, shape, err := f.Float32s(s.Key() + ".weight")
		if err != nil {
			return nil, fmt.Errorf("engine: layer %s: %w", s.Key(), err)
		}
		if !slices.Equal(shape, s.WeightShape()) {
			return nil, fmt.Errorf("engine: layer %s: weight shape %v, want %v for arch %+v (does the file's architecture metadata match its weights?)", s.Key(), shape, s.WeightShape(), arch)
		}
		b := make([]float32, s.OutC)
		if f.Tensor(s.Key()+".bias") != nil {
			bv, bshape, err := f.Float32s(s.Key() + ".bias")
			if err != nil {
				return nil, fmt.Errorf("engine: layer %s: %w", s.Key(), err)
			}
			if !slices.Equal(bshape, []int{s.OutC}) {
				return nil, fmt.Errorf("engine: layer %s: bias shape %v, want [%d]", s.Key(), bshape, s.OutC)
			}
			copy(b, bv)
		}
		if s.BatchNorm != "" && f.Tensor(s.BNKey()+".weight") != nil {
			if err := foldBatchNorm(f, s, w, b); err != nil {
				return nil, err
			}
		} else if s.BatchNorm != "" && f.Tensor(s.Key()+".bias") == nil {
			return nil, fmt.Errorf("engine: layer %s has neither BatchNorm tensors (%s.*) nor a folded bias", s.Key(), s.BNKey())
		}
		out[i] = foldedLayer{spec: s, w: w, b: b}
	}
	return out, nil
}

// foldBatchNorm folds eval-mode BatchNorm into w and b in place:
// y = γ (conv(x) + b − μ) / sqrt(σ² + ε) + β.
func foldBatchNorm(f *modelfile.File, s spec.LayerSpec, w, b []float32) error {
	get := func(k spec.Kind) ([]float32, error) {
		p := k.Suffix()
		v, shape, err := f.Float32s(s.BNKey() + "." + p)
		if err != nil {
			return nil, fmt.Errorf("engine: layer %s: %w", s.Key(), err)
		}
		if !slices.Equal(shape, []int{s.OutC}) {
			return nil, fmt.Errorf("engine: %s.%s has shape %v, want [%d]", s.BNKey(), p, shape, s.OutC)
		}
		return v, nil
	}
	gamma, err := get(spec.BNWeight)
	if err != nil {
		return err
	}
	beta, err := get(spec.BNBias)
	if err != nil {
		return err
	}
	mean, err := get(spec.RunningMean)
	if err != nil {
		return err
	}
	variance, err := get(spec.RunningVar)
	if err != nil {
		return err
	}
	for o := 0; o < s.OutC; o++ {
		if variance[o] < 0 || math.IsNaN(float64(variance[o])) {
			return fmt.Errorf("engine: %s.running_var[%d] = %v is not a variance", s.BNKey(), o, variance[o])
		}
		k := float64(gamma[o]) / math.Sqrt(float64(variance[o])+spec.BNEps)
		b[o] = float32(float64((float64(b[o])-float64(mean[o]))*k) + float64(beta[o]))
		scaleOutputChannel(s, w, o, float32(k))
	}
	return nil
}

// scaleOutputChannel multiplies the weights of output channel o by k (not
// inlined: a call per channel, see packWinoConv).
//
//go:noinline
func scaleOutputChannel(s spec.LayerSpec, w []float32, o int, k float32) {
	kk := s.K * s.K
	if s.Op == spec.ConvT { // [in, out, k, k]
		for i := 0; i < s.InC; i++ {
			base := (i*s.OutC + o) * kk
			for j := base; j < base+kk; j++ {
				w[j] *= k
			}
		}
		return
	}
	base := o * s.InC * kk // [out, in, k, k]
	for j := base; j < base+s.InC*kk; j++ {
		w[j] *= k
	}
}

// Fold turns a checkpoint (or a model file) into an F32 model file: every
// BatchNorm folded into its convolution's weight and bias, the metadata kept
// with Kind set to KindModel.
func Fold(f *modelfile.File) (*modelfile.File, error) {
	layers, err := foldLayers(f)
	if err != nil {
		return nil, err
	}
	meta := f.Meta
	meta.Kind = modelfile.KindModel
	out := modelfile.New(meta)
	for _, l := range layers {
		out.Add(modelfile.NewF32(l.spec.Key()+".weight", l.spec.WeightShape(), l.w))
		out.Add(modelfile.NewF32(l.spec.Key()+".bias", []int{l.spec.OutC}, l.b))
	}
	return out, nil
}

// Init makes a generator checkpoint with random weights initialised as the
// reference does (spec.Tensor.Init): convolution weights ~ N(0, 0.02),
// BatchNorm weights ~ N(1, 0.02) with zero bias, running mean 0 and variance
// 1. The same seed gives the same weights on every platform.
func Init(arch modelfile.Arch, seed int64) *modelfile.File {
	rng := rand.New(rand.NewPCG(uint64(seed), 0x9e3779b97f4a7c15))
	meta := modelfile.Metadata{
		FormatVersion: modelfile.FormatVersion,
		Kind:          modelfile.KindCheckpoint,
		Arch:          arch,
		Norm:          modelfile.DefaultNorm(arch.NC),
		Training:      &modelfile.Training{Seed: seed, Selected: "random-init"},
	}
	f := modelfile.New(meta)
	for _, t := range spec.Tensors(spec.GeneratorLayers(arch)) {
		if t.Kind == spec.NumBatchesTracked {
			f.Add(modelfile.NewI64(t.Name, t.Shape, []int64{0}))
			continue
		}
		f.Add(modelfile.NewF32(t.Name, t.Shape, t.Init(rng)))
	}
	return f
}
