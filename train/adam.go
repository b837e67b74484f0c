package train

import "math"

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
		for j, x := range p.val {
			gj := g[j]
			// torch.lerp: weight ≥ 0.5 takes end − (end − start)·(1 − weight)
			if w < 0.5 {
				m[j] += float32(w * (gj - m[j]))
			} else {
				m[j] = gj - float32((gj-m[j])*(1-w))
			}
			v[j] = float32(v[j]*b2) + float32(float32(c2*gj)*gj)
			den := float32(float32(math.Sqrt(float64(v[j])))/bc2Sqrt) + eps
			p.val[j] = x + float32(stepSize*m[j])/den
		}
	}
}
