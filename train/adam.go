package train

import (
	"encoding/binary"
	"fmt"
	"math"
	"slices"

	"github.com/ganomaly-go/ganomaly/engine"
	"github.com/ganomaly-go/ganomaly/modelfile"
)

// adam is torch.optim.Adam as PyTorch 2.1 runs it on the CPU
// (_single_tensor_adam: no weight decay, no amsgrad), operation by operation
// in float32 with the scalars rounded to float32:
//
//	m = lerp(m, g, 1 − β1); v = v·β2 + (1 − β2)·g·g
//	p −= lr/(1 − β1ᵗ) · m / (sqrt(v)/sqrt(1 − β2ᵗ) + eps)
type adam struct {
	lr, beta1, beta2, eps float64
	step                  int64
	params                []param
	m, v                  [][]float32
}

func newAdam(ps []param, lr, beta1, beta2 float64) *adam {
	a := &adam{lr: lr, beta1: beta1, beta2: beta2, eps: 1e-8, params: ps}
	for _, p := range ps {
		a.m = append(a.m, make([]float32, len(p.val)))
		a.v = append(a.v, make([]float32, len(p.val)))
	}
	return a
}

func (a *adam) update() {
	a.step++
	t := float64(a.step)
	bc1 := 1 - math.Pow(a.beta1, t)
	bc2 := 1 - math.Pow(a.beta2, t)
	stepSize := float32(-a.lr / bc1)
	bc2Sqrt := float32(math.Sqrt(bc2))
	w := float32(1 - a.beta1)
	b2, c2, eps := float32(a.beta2), float32(1-a.beta2), float32(a.eps)
	for i, p := range a.params {
		m, v, g := a.m[i], a.v[i][:len(p.val)], p.grad[:len(p.val)]
		m = m[:len(p.val)]
		if !engine.HostAdam(w >= 0.5, p.val, g, m, v, w, 1-w, b2, c2, eps, stepSize, bc2Sqrt) {
			adamTensor(p.val, g, m, v, w, b2, c2, eps, stepSize, bc2Sqrt)
		}
	}
}

// adamTensor is one tensor's Adam update with the step's constants.
// engine.HostAdam gives the same bits in WebAssembly SIMD.
func adamTensor(val, g, m, v []float32, w, b2, c2, eps, stepSize, bc2Sqrt float32) {
	g, m, v = g[:len(val)], m[:len(val)], v[:len(val)]
	for j, x := range val {
		gj := g[j]
		// torch.lerp: weight ≥ 0.5 takes end − (end − start)·(1 − weight)
		if w < 0.5 {
			m[j] += float32(w * (gj - m[j]))
		} else {
			m[j] = gj - float32((gj-m[j])*(1-w))
		}
		v[j] = float32(v[j]*b2) + float32(float32(c2*gj)*gj)
		den := float32(float32(math.Sqrt(float64(v[j])))/bc2Sqrt) + eps
		val[j] = x + float32(stepSize*m[j])/den
	}
}

// Names of the tensors of an optimiser's state (OptimizerState), as
// torch.optim.Adam keeps it per parameter: the number of updates taken, and
// each trainable tensor's moment estimates under its state-dict key.
const (
	AdamStep     = "step"        // I64, one value
	AdamExpAvg   = "exp_avg."    // + key: the first moment m, F32 in the parameter's shape
	AdamExpAvgSq = "exp_avg_sq." // + key: the second moment v
)

// tensors returns the optimiser's state (copies).
func (a *adam) tensors() []*modelfile.Tensor {
	out := []*modelfile.Tensor{modelfile.NewI64(AdamStep, nil, []int64{a.step})}
	for i, p := range a.params {
		out = append(out,
			modelfile.NewF32(AdamExpAvg+p.name, p.shape, slices.Clone(a.m[i])),
			modelfile.NewF32(AdamExpAvgSq+p.name, p.shape, slices.Clone(a.v[i])))
	}
	return out
}

// adamState is a checked optimiser state, ready to be copied in.
type adamState struct {
	step int64
	m, v [][]float32
}

// check reads a state named as tensors writes it, checking every tensor
// before anything is changed.
func (a *adam) check(get func(name string) *modelfile.Tensor) (adamState, error) {
	s := adamState{}
	st := get(AdamStep)
	if st == nil {
		return s, fmt.Errorf("tensor %q is missing", AdamStep)
	}
	if st.DType != modelfile.I64 || st.NumElements() != 1 || len(st.Data) != 8 {
		return s, fmt.Errorf("tensor %q: want one I64 value, got %s of shape %v", AdamStep, st.DType, st.Shape)
	}
	s.step = int64(binary.LittleEndian.Uint64(st.Data))
	if s.step < 0 {
		return s, fmt.Errorf("tensor %q: %d updates, want 0 or more", AdamStep, s.step)
	}
	for _, p := range a.params {
		for _, name := range []string{AdamExpAvg + p.name, AdamExpAvgSq + p.name} {
			t := get(name)
			if t == nil {
				return s, fmt.Errorf("tensor %q is missing", name)
			}
			if !slices.Equal(t.Shape, p.shape) {
				return s, fmt.Errorf("tensor %q has shape %v, want %v (the shape of %q)", name, t.Shape, p.shape, p.name)
			}
			if t.DType != modelfile.F32 || len(t.Data) != 4*len(p.val) {
				return s, fmt.Errorf("tensor %q: want %d F32 values, got %d bytes of %s", name, len(p.val), len(t.Data), t.DType)
			}
			vs, err := t.Float32s()
			if err != nil {
				return s, fmt.Errorf("tensor %q: %w", name, err)
			}
			sq := name == AdamExpAvgSq+p.name
			for j, x := range vs {
				if !finite(float64(x)) || sq && x < 0 {
					return s, fmt.Errorf("tensor %q: element %d is %v, want a finite value (and ≥ 0 for a second moment)", name, j, x)
				}
			}
			if sq {
				s.v = append(s.v, vs)
			} else {
				s.m = append(s.m, vs)
			}
		}
	}
	return s, nil
}

func (a *adam) set(s adamState) {
	a.step = s.step
	for i := range a.params {
		copy(a.m[i], s.m[i])
		copy(a.v[i], s.v[i])
	}
}
