package gan

import (
	"fmt"
	"unsafe"

	"github.com/sugarme/gotch/ts"
)

// Adam is torch.optim.Adam (no weight decay, no amsgrad) with its state (step,
// exp_avg, exp_avg_sq per parameter) held here, so that it can be saved in a
// checkpoint and restored for --resume: gotch's optimiser wraps the C++ one,
// whose state it cannot read or write. Each update is one call into
// libtorch (ts.AdamStep, added to gotch's copy by scripts/gotch-env.sh) that
// runs PyTorch 2.1's single-tensor Adam operation by operation.
type Adam struct {
	LR, Beta1, Beta2, Eps float64
	Step                  int64
	params                []*Param
	tensors               []*ts.Tensor
	expAvg, expAvgSq      []*ts.Tensor
}

// NewAdam makes an optimiser for the trainable parameters of a network.
func NewAdam(params []*Param, lr, beta1, beta2 float64) *Adam {
	a := &Adam{LR: lr, Beta1: beta1, Beta2: beta2, Eps: 1e-8, params: params}
	for _, p := range params {
		a.tensors = append(a.tensors, p.T)
		a.expAvg = append(a.expAvg, p.T.MustZerosLike(false))
		a.expAvgSq = append(a.expAvgSq, p.T.MustZerosLike(false))
	}
	return a
}

// Tensors returns the parameters in the order Apply expects their gradients.
func (a *Adam) Tensors() []*ts.Tensor { return a.tensors }

// Apply makes one Adam step with grads, one per parameter in the order of
// Tensors (nil or undefined: that parameter is left alone this step).
func (a *Adam) Apply(grads []*ts.Tensor) error {
	if err := ts.AdamStep(a.tensors, grads, a.expAvg, a.expAvgSq, a.LR, a.Beta1, a.Beta2, a.Eps, a.Step+1); err != nil {
		return fmt.Errorf("adam: %w", err)
	}
	a.Step++
	return nil
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
