package train

import "fmt"

// RecomputeStats replaces the generator's BatchNorm running statistics by
// their average over the batches x (each NCHW, normalised): the mean of the
// batch means and of the unbiased batch variances, as PyTorch's BatchNorm
// with momentum=None after a reset. The weights, D and the optimiser are not
// touched, so training goes on exactly as before except that the running
// statistics restart from these values.
//
// Early in training the weights move faster than a momentum-0.1 running
// average follows, so the eval-mode model lags; statistics recomputed with
// the current weights describe the model as it is now.
func (t *Trainer) RecomputeStats(batches [][]float32) error {
	if len(batches) == 0 {
		return fmt.Errorf("train: RecomputeStats needs at least one batch")
	}
	type acc struct{ mean, vari []float64 }
	sums := map[*layer]*acc{}
	for _, x := range batches {
		b := len(x) / max(1, t.InputLen())
		if err := t.toCNHW(x, b); err != nil {
			return err
		}
		g := &t.g
		li := t.enc1.forward(t.pE1, t.x, b, BatchStats, g)
		xh := t.dec.forward(t.pDec, li, b, BatchStats, g)
		t.enc2.forward(t.pE2, xh, b, BatchStats, g)
		for _, part := range []struct {
			n  *net
			ps passes
		}{{&t.enc1, t.pE1}, {&t.dec, t.pDec}, {&t.enc2, t.pE2}} {
			for i, l := range part.n.layers {
				if l.gamma == nil {
					continue
				}
				a := sums[l]
				if a == nil {
					a = &acc{make([]float64, l.outC), make([]float64, l.outC)}
					sums[l] = a
				}
				p := &part.ps[i]
				n := b * l.outH * l.outH
				for c := 0; c < l.outC; c++ {
					z := p.z[c*n : (c+1)*n]
					var s float64
					for _, v := range z {
						s += float64(v)
					}
					m := s / float64(n)
					var ss float64
					for _, v := range z {
						d := float64(v) - m
						ss += d * d
					}
					a.mean[c] += m
					a.vari[c] += ss / float64(max(1, n-1))
				}
			}
		}
	}
	k := float64(len(batches))
	for l, a := range sums {
		for c := range a.mean {
			l.runMean[c] = float32(a.mean[c] / k)
			l.runVar[c] = float32(a.vari[c] / k)
		}
	}
	return nil
}
