package train

import (
	"math"
	"testing"

	"github.com/ganomaly-go/ganomaly/spec"
)

// TestActivationGradientsAtTheEdges checks the branch-free gradients against
// PyTorch's definitions (the output y > 0 passes dout, anything else, ±0
// included, gets the slope or 0) at signed zeros, subnormals and infinities.
func TestActivationGradientsAtTheEdges(t *testing.T) {
	tiny := math.Float32frombits(1) // the smallest subnormal
	ys := []float32{0, float32(math.Copysign(0, -1)), tiny, -tiny, 1e-30, -1e-30, 1, -1, float32(math.Inf(1)), float32(math.Inf(-1)), math.MaxFloat32, -math.MaxFloat32}
	for _, y := range ys {
		for _, dout := range []float32{0.75, -3, 0} {
			wantL, wantR := float32(dout*spec.LeakySlope), float32(0)
			if y > 0 {
				wantL, wantR = dout, dout
			}
			if got := leakyReLUGrad(dout, y); math.Float32bits(got) != math.Float32bits(wantL) {
				t.Errorf("LeakyReLU gradient at y=%g, dout=%g: %g, want %g", y, dout, got, wantL)
			}
			if got := reluGrad(dout, y); math.Float32bits(got) != math.Float32bits(wantR) {
				t.Errorf("ReLU gradient at y=%g, dout=%g: %g, want %g", y, dout, got, wantR)
			}
		}
	}
}
