package engine

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/ganomaly-go/ganomaly/modelfile"
)

// bnEps is PyTorch's BatchNorm2d default epsilon, used by the original code.
const bnEps = 1e-5

// foldedLayer is one layer's weights after BatchNorm folding, in PyTorch
// layout, plus its bias.
type foldedLayer struct {
	spec LayerSpec
	w    []float32 // PyTorch layout (see LayerSpec.WeightShape)
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
	specs := GeneratorSpecs(arch)
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
func foldBatchNorm(f *modelfile.File, s LayerSpec, w, b []float32) error {
	get := func(p string) ([]float32, error) {
		v, shape, err := f.Float32s(s.BNKey() + "." + p)
		if err != nil {
			return nil, fmt.Errorf("engine: layer %s: %w", s.Key(), err)
		}
		if !slices.Equal(shape, []int{s.OutC}) {
			return nil, fmt.Errorf("engine: %s.%s has shape %v, want [%d]", s.BNKey(), p, shape, s.OutC)
		}
		return v, nil
	}
	gamma, err := get("weight")
	if err != nil {
		return err
	}
	beta, err := get("bias")
	if err != nil {
		return err
	}
	mean, err := get("running_mean")
	if err != nil {
		return err
	}
	variance, err := get("running_var")
	if err != nil {
		return err
	}
	for o := 0; o < s.OutC; o++ {
		if variance[o] < 0 || math.IsNaN(float64(variance[o])) {
			return fmt.Errorf("engine: %s.running_var[%d] = %v is not a variance", s.BNKey(), o, variance[o])
		}
		k := float64(gamma[o]) / math.Sqrt(float64(variance[o])+bnEps)
		b[o] = float32(float64((float64(b[o])-float64(mean[o]))*k) + float64(beta[o]))
		scaleOutputChannel(s, w, o, float32(k))
	}
	return nil
}

// scaleOutputChannel multiplies the weights of output channel o by k.
func scaleOutputChannel(s LayerSpec, w []float32, o int, k float32) {
	kk := s.K * s.K
	if s.Op == ConvT { // [in, out, k, k]
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

// OutputAxis is the axis of a layer's weight that indexes output channels:
// 0 for Conv2d [out, in, k, k], 1 for ConvTranspose2d [in, out, k, k].
func (l LayerSpec) OutputAxis() int {
	if l.Op == ConvT {
		return 1
	}
	return 0
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
// reference does: convolution weights ~ N(0, 0.02), BatchNorm weights
// ~ N(1, 0.02) with zero bias, running mean 0 and variance 1. The same seed
// gives the same weights on every platform.
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
	normal := func(n int, mean, std float64) []float32 {
		v := make([]float32, n)
		for i := range v {
			v[i] = float32(mean + float64(std*rng.NormFloat64()))
		}
		return v
	}
	for _, s := range GeneratorSpecs(arch) {
		shape := s.WeightShape()
		f.Add(modelfile.NewF32(s.Key()+".weight", shape, normal(shape[0]*shape[1]*shape[2]*shape[3], 0, 0.02)))
		if s.BatchNorm == "" {
			continue
		}
		ones := make([]float32, s.OutC)
		for i := range ones {
			ones[i] = 1
		}
		f.Add(modelfile.NewF32(s.BNKey()+".weight", []int{s.OutC}, normal(s.OutC, 1, 0.02)))
		f.Add(modelfile.NewF32(s.BNKey()+".bias", []int{s.OutC}, make([]float32, s.OutC)))
		f.Add(modelfile.NewF32(s.BNKey()+".running_mean", []int{s.OutC}, make([]float32, s.OutC)))
		f.Add(modelfile.NewF32(s.BNKey()+".running_var", []int{s.OutC}, ones))
		f.Add(modelfile.NewI64(s.BNKey()+".num_batches_tracked", []int{}, []int64{0}))
	}
	return f
}
