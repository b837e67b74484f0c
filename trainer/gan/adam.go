package gan

import (
	"fmt"
	"math"
	"unsafe"

	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/ts"
)

// Adam is torch.optim.Adam (no weight decay, no amsgrad) written with tensor
// operations so that its state (step, exp_avg, exp_avg_sq per parameter) can
// be saved in a checkpoint and restored for --resume. gotch's optimiser wraps
// the C++ one whose state it cannot read or write. The update follows
// PyTorch 2.1's single-tensor implementation operation by operation.
type Adam struct {
	LR, Beta1, Beta2, Eps float64
	Step                  int64
	params                []*Param
	expAvg, expAvgSq      []*ts.Tensor
}

// NewAdam makes an optimiser for the trainable parameters of a network.
func NewAdam(params []*Param, lr, beta1, beta2 float64) *Adam {
	a := &Adam{LR: lr, Beta1: beta1, Beta2: beta2, Eps: 1e-8, params: params}
	for _, p := range params {
		a.expAvg = append(a.expAvg, p.T.MustZerosLike(false))
		a.expAvgSq = append(a.expAvgSq, p.T.MustZerosLike(false))
	}
	return a
}

// ZeroGrad clears the gradients of the optimiser's parameters.
func (a *Adam) ZeroGrad() {
	for _, p := range a.params {
		p.T.ZeroGrad()
	}
}

// Update applies one Adam step with the current gradients.
func (a *Adam) Update() {
	a.Step++
	bc1 := 1 - math.Pow(a.Beta1, float64(a.Step))
	bc2 := 1 - math.Pow(a.Beta2, float64(a.Step))
	stepSize := a.LR / bc1
	bc2Sqrt := math.Sqrt(bc2)
	noGrad(func() {
		for i, p := range a.params {
			g := p.T.MustGrad(false)
			if !g.MustDefined() {
				continue
			}
			m, v := a.expAvg[i], a.expAvgSq[i]
			// exp_avg.lerp_(grad, 1 - beta1)
			m.MustLerp_(g, ts.FloatScalar(1-a.Beta1))
			// exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
			v.MustMulScalar_(ts.FloatScalar(a.Beta2))
			g2 := g.MustMulScalar(ts.FloatScalar(1-a.Beta2), false)
			g2.MustMul_(g)
			v.MustAdd_(g2)
			g2.MustDrop()
			// denom = exp_avg_sq.sqrt() / bias_correction2_sqrt + eps
			denom := v.MustSqrt(false)
			denom.MustDivScalar_(ts.FloatScalar(bc2Sqrt))
			denom.MustAddScalar_(ts.FloatScalar(a.Eps))
			// param.addcdiv_(exp_avg, denom, value=-step_size)
			upd := m.MustMulScalar(ts.FloatScalar(-stepSize), false)
			upd.MustDiv_(denom)
			p.T.MustAdd_(upd)
			upd.MustDrop()
			denom.MustDrop()
			g.MustDrop()
		}
	})
}

// State returns the optimiser's moments as named float32 slices
// (prefix + param name + ".exp_avg" / ".exp_avg_sq") with their shapes.
func (a *Adam) State(prefix string) (names []string, shapes [][]int64, values [][]float32, err error) {
	for i, p := range a.params {
		for k, t := range []*ts.Tensor{a.expAvg[i], a.expAvgSq[i]} {
			v, err := Float32s(t)
			if err != nil {
				return nil, nil, nil, fmt.Errorf("adam state of %s: %w", p.Name, err)
			}
			names = append(names, prefix+p.Name+[]string{".exp_avg", ".exp_avg_sq"}[k])
			shapes = append(shapes, p.Shape)
			values = append(values, v)
		}
	}
	return names, shapes, values, nil
}

// SetState restores the moments; get returns the values for a name.
func (a *Adam) SetState(prefix string, step int64, get func(name string) ([]float32, error)) error {
	for i, p := range a.params {
		for k, t := range []*ts.Tensor{a.expAvg[i], a.expAvgSq[i]} {
			name := prefix + p.Name + []string{".exp_avg", ".exp_avg_sq"}[k]
			v, err := get(name)
			if err != nil {
				return err
			}
			src, err := FromFloat32(v, p.Shape, p.T.MustDevice())
			if err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
			noGrad(func() { t.Copy_(src) })
			src.MustDrop()
		}
	}
	a.Step = step
	return nil
}

func float32Bytes(v []float32) []byte {
	if len(v) == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(&v[0])), len(v)*4)
}

var _ = gotch.Float
