package train

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/ganomaly-go/ganomaly/spec"
)

// Tolerances of the layer tests. The fast layers compute in float32 with
// float64 BatchNorm statistics; the naive ones in float64 throughout.
const (
	// forwardTol bounds |fast − naive| / max|naive| of a layer's output:
	// float32 rounding of sums of at most a few hundred products.
	forwardTol = 2e-6
	// gradTol bounds the same for gradients, which pass through BatchNorm's
	// backward (a difference of sums, with more cancellation).
	gradTol = 2e-5
	// fdTol bounds |naive − finite difference| / max|naive|: central
	// differences with h = 1e-5 of the float64 naive forward pass, whose
	// truncation error is O(h²) and round-off O(1e-16/h).
	fdTol = 1e-6
)

// layerCases are every kind of layer GANomaly uses, small.
var layerCases = []spec.LayerSpec{
	{Name: "initial-conv", Op: spec.Conv, InC: 3, OutC: 4, K: 4, S: 2, P: 1, InH: 8, OutH: 4, Act: spec.LeakyReLU},
	{Name: "pyramid-conv", BatchNorm: "bn", Op: spec.Conv, InC: 4, OutC: 6, K: 4, S: 2, P: 1, InH: 8, OutH: 4, Act: spec.LeakyReLU},
	{Name: "extra-conv", BatchNorm: "bn", Op: spec.Conv, InC: 3, OutC: 3, K: 3, S: 1, P: 1, InH: 5, OutH: 5, Act: spec.ReLU},
	{Name: "final-conv", Op: spec.Conv, InC: 5, OutC: 7, K: 4, S: 1, P: 0, InH: 4, OutH: 1, Act: spec.None},
	{Name: "classifier", Op: spec.Conv, InC: 5, OutC: 1, K: 4, S: 1, P: 0, InH: 4, OutH: 1, Act: spec.Sigmoid},
	{Name: "initial-convt", BatchNorm: "bn", Op: spec.ConvT, InC: 7, OutC: 5, K: 4, S: 1, P: 0, InH: 1, OutH: 4, Act: spec.ReLU},
	{Name: "pyramid-convt", BatchNorm: "bn", Op: spec.ConvT, InC: 6, OutC: 3, K: 4, S: 2, P: 1, InH: 4, OutH: 8, Act: spec.ReLU},
	{Name: "final-convt", Op: spec.ConvT, InC: 4, OutC: 2, K: 4, S: 2, P: 1, InH: 4, OutH: 8, Act: spec.Tanh},
	// Winograd F(4×4, 2×2) with interior tiles (2×2 tiles per image),
	// F(2×2, 2×2) (a small side of 6: 3×3 tiles), and the im2col path of a
	// stride-2 layer whose small side is odd.
	{Name: "wide-conv", BatchNorm: "bn", Op: spec.Conv, InC: 3, OutC: 5, K: 4, S: 2, P: 1, InH: 16, OutH: 8, Act: spec.LeakyReLU},
	{Name: "wide-convt", Op: spec.ConvT, InC: 5, OutC: 2, K: 4, S: 2, P: 1, InH: 8, OutH: 16, Act: spec.None},
	{Name: "six-conv", BatchNorm: "bn", Op: spec.Conv, InC: 3, OutC: 4, K: 4, S: 2, P: 1, InH: 12, OutH: 6, Act: spec.LeakyReLU},
	{Name: "six-convt", BatchNorm: "bn", Op: spec.ConvT, InC: 4, OutC: 3, K: 4, S: 2, P: 1, InH: 6, OutH: 12, Act: spec.ReLU},
	{Name: "six-conv-bare", Op: spec.Conv, InC: 2, OutC: 3, K: 4, S: 2, P: 1, InH: 12, OutH: 6, Act: spec.None},
	{Name: "odd-conv", Op: spec.Conv, InC: 2, OutC: 3, K: 4, S: 2, P: 1, InH: 6, OutH: 3, Act: spec.None},
}

const testBatch = 3

func randSlice(rng *rand.Rand, n int, mean, std float64) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(mean + std*rng.NormFloat64())
	}
	return v
}

// testLayer makes a layer with random weights (larger than the reference
// init so that every activation is exercised) and a random input.
func testLayer(s spec.LayerSpec, seed uint64) (*layer, []float32) {
	s.Module = "test"
	rng := rand.New(rand.NewPCG(seed, 7))
	l := newLayer(s)
	copy(l.w, randSlice(rng, len(l.w), 0, 0.3))
	if l.gamma != nil {
		copy(l.gamma, randSlice(rng, len(l.gamma), 1, 0.2))
		copy(l.beta, randSlice(rng, len(l.beta), 0, 0.2))
		copy(l.runMean, randSlice(rng, len(l.runMean), 0, 0.1))
		copy(l.runVar, randSlice(rng, len(l.runVar), 1, 0.1))
	}
	return l, randSlice(rng, s.InC*testBatch*s.InH*s.InH, 0, 1)
}

// naiveForward is the layer written directly from the definitions of
// PyTorch's modules, in float64 (CNHW layout, batch testBatch).
func naiveForward(s spec.LayerSpec, w, gamma, beta, runMean, runVar, x []float64, mode Mode) []float64 {
	B := testBatch
	H, OH := s.InH, s.OutH
	z := make([]float64, s.OutC*B*OH*OH)
	at := func(c, b, y, x int, h int) int { return ((c*B+b)*h+y)*h + x }
	for b := 0; b < B; b++ {
		for ic := 0; ic < s.InC; ic++ {
			for oc := 0; oc < s.OutC; oc++ {
				for ky := 0; ky < s.K; ky++ {
					for kx := 0; kx < s.K; kx++ {
						if s.Op == spec.Conv {
							wv := w[((oc*s.InC+ic)*s.K+ky)*s.K+kx]
							for oy := 0; oy < OH; oy++ {
								for ox := 0; ox < OH; ox++ {
									iy, ix := oy*s.S-s.P+ky, ox*s.S-s.P+kx
									if iy >= 0 && iy < H && ix >= 0 && ix < H {
										z[at(oc, b, oy, ox, OH)] += wv * x[at(ic, b, iy, ix, H)]
									}
								}
							}
						} else {
							wv := w[((ic*s.OutC+oc)*s.K+ky)*s.K+kx]
							for iy := 0; iy < H; iy++ {
								for ix := 0; ix < H; ix++ {
									oy, ox := iy*s.S-s.P+ky, ix*s.S-s.P+kx
									if oy >= 0 && oy < OH && ox >= 0 && ox < OH {
										z[at(oc, b, oy, ox, OH)] += wv * x[at(ic, b, iy, ix, H)]
									}
								}
							}
						}
					}
				}
			}
		}
	}
	if gamma != nil {
		n := B * OH * OH
		for c := 0; c < s.OutC; c++ {
			ch := z[c*n : (c+1)*n]
			var mean, variance float64
			if mode == Eval {
				mean, variance = runMean[c], runVar[c]
			} else {
				mean, variance = 0, 0
				for _, v := range ch {
					mean += v
				}
				mean /= float64(n)
				for _, v := range ch {
					variance += (v - mean) * (v - mean)
				}
				variance /= float64(n)
			}
			for i, v := range ch {
				ch[i] = (v-mean)/math.Sqrt(variance+spec.BNEps)*gamma[c] + beta[c]
			}
		}
	}
	for i, v := range z {
		switch s.Act {
		case spec.LeakyReLU:
			if v < 0 {
				z[i] = spec.LeakySlope * v
			}
		case spec.ReLU:
			z[i] = math.Max(v, 0)
		case spec.Tanh:
			z[i] = math.Tanh(v)
		case spec.Sigmoid:
			z[i] = 1 / (1 + math.Exp(-v))
		}
	}
	return z
}

func f64(v []float32) []float64 {
	if v == nil {
		return nil
	}
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = float64(x)
	}
	return out
}

func maxRel(t *testing.T, what string, got []float32, want []float64) float64 {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	var scale, d float64
	for i, w := range want {
		scale = math.Max(scale, math.Abs(w))
		d = math.Max(d, math.Abs(float64(got[i])-w))
	}
	return d / math.Max(scale, 1e-30)
}

func TestLayerForwardMatchesNaive(t *testing.T) {
	for ci, s := range layerCases {
		for _, mode := range []Mode{Train, BatchStats, Eval} {
			l, x := testLayer(s, uint64(ci))
			var p pass
			var g gemmer
			out := l.forward(&p, x, testBatch, mode, &g)
			want := naiveForward(s, f64(l.w), f64(l.gamma), f64(l.beta), f64(l.runMean), f64(l.runVar), f64(x), mode)
			if d := maxRel(t, s.Name, out, want); d > forwardTol {
				t.Errorf("%s mode %d: forward differs from the naive layer by %.3g (relative) > %g", s.Name, mode, d, forwardTol)
			}
		}
	}
}

func TestRunningStatisticsAsPyTorch(t *testing.T) {
	s := layerCases[1]
	l, x := testLayer(s, 1)
	rm0, rv0 := f64(l.runMean), f64(l.runVar)
	var p pass
	var g gemmer
	l.forward(&p, x, testBatch, Train, &g)
	// the conv output's batch statistics, from the naive layer without BatchNorm
	z := naiveForward(spec.LayerSpec{Op: s.Op, InC: s.InC, OutC: s.OutC, K: s.K, S: s.S, P: s.P, InH: s.InH, OutH: s.OutH}, f64(l.w), nil, nil, nil, nil, f64(x), Train)
	n := len(z) / s.OutC
	for c := 0; c < s.OutC; c++ {
		var mean, ss float64
		for _, v := range z[c*n : (c+1)*n] {
			mean += v
		}
		mean /= float64(n)
		for _, v := range z[c*n : (c+1)*n] {
			ss += (v - mean) * (v - mean)
		}
		wantM := 0.9*rm0[c] + 0.1*mean
		wantV := 0.9*rv0[c] + 0.1*ss/float64(n-1) // unbiased, as PyTorch
		if math.Abs(float64(l.runMean[c])-wantM) > 1e-6 || math.Abs(float64(l.runVar[c])-wantV) > 1e-6*wantV {
			t.Errorf("channel %d: running mean/var %v/%v, want %v/%v", c, l.runMean[c], l.runVar[c], wantM, wantV)
		}
	}
	if l.batches != 1 {
		t.Errorf("num_batches_tracked = %d after one training pass, want 1", l.batches)
	}
	l.forward(&p, x, testBatch, BatchStats, &g)
	l.forward(&p, x, testBatch, Eval, &g)
	if l.batches != 1 {
		t.Errorf("num_batches_tracked = %d after BatchStats and Eval passes, want 1", l.batches)
	}
}

// naiveLoss is Σ r·layer(x) in float64 with the parameters given.
func naiveLoss(s spec.LayerSpec, w, gamma, beta, x, r []float64) float64 {
	out := naiveForward(s, w, gamma, beta, nil, nil, x, Train)
	var sum float64
	for i, v := range out {
		sum += r[i] * v
	}
	return sum
}

// fdGrad is the central finite-difference gradient of f with respect to v.
func fdGrad(v []float64, f func() float64) []float64 {
	const h = 1e-5
	g := make([]float64, len(v))
	for i := range v {
		old := v[i]
		v[i] = old + h
		up := f()
		v[i] = old - h
		down := f()
		v[i] = old
		g[i] = (up - down) / (2 * h)
	}
	return g
}

// naiveConvGrads are the gradients of Σ dz·z with respect to the input and
// the weights of the bare convolution z = conv(x), written directly as the
// adjoint loops of naiveForward.
func naiveConvGrads(s spec.LayerSpec, w, x, dz []float64) (dx, dw []float64) {
	B := testBatch
	H, OH := s.InH, s.OutH
	dx, dw = make([]float64, len(x)), make([]float64, len(w))
	at := func(c, b, y, x int, h int) int { return ((c*B+b)*h+y)*h + x }
	for b := 0; b < B; b++ {
		for ic := 0; ic < s.InC; ic++ {
			for oc := 0; oc < s.OutC; oc++ {
				for ky := 0; ky < s.K; ky++ {
					for kx := 0; kx < s.K; kx++ {
						wi := ((oc*s.InC+ic)*s.K+ky)*s.K + kx
						if s.Op == spec.ConvT {
							wi = ((ic*s.OutC+oc)*s.K+ky)*s.K + kx
						}
						for iy := 0; iy < H; iy++ {
							for ix := 0; ix < H; ix++ {
								for oy := 0; oy < OH; oy++ {
									for ox := 0; ox < OH; ox++ {
										var hit bool
										if s.Op == spec.Conv {
											hit = oy*s.S-s.P+ky == iy && ox*s.S-s.P+kx == ix
										} else {
											hit = iy*s.S-s.P+ky == oy && ix*s.S-s.P+kx == ox
										}
										if hit {
											g := dz[at(oc, b, oy, ox, OH)]
											dx[at(ic, b, iy, ix, H)] += w[wi] * g
											dw[wi] += x[at(ic, b, iy, ix, H)] * g
										}
									}
								}
							}
						}
					}
				}
			}
		}
	}
	return dx, dw
}

func TestLayerGradients(t *testing.T) {
	for ci, s := range layerCases {
		t.Run(s.Name, func(t *testing.T) {
			l, x := testLayer(s, uint64(10+ci))
			rng := rand.New(rand.NewPCG(uint64(ci), 3))
			var p pass
			var g gemmer
			out := l.forward(&p, x, testBatch, Train, &g)
			r := randSlice(rng, len(out), 0, 1)
			l.zeroGrad()
			dx := l.backward(&p, r, true, true, &g)

			w, gamma, beta, xv, rv := f64(l.w), f64(l.gamma), f64(l.beta), f64(x), f64(r)
			loss := func() float64 { return naiveLoss(s, w, gamma, beta, xv, rv) }
			checks := []struct {
				name string
				got  []float32
				v    []float64
			}{{"input", dx, xv}, {"weight", l.dw, w}}
			if gamma != nil {
				checks = append(checks, struct {
					name string
					got  []float32
					v    []float64
				}{"BatchNorm weight", l.dgamma, gamma}, struct {
					name string
					got  []float32
					v    []float64
				}{"BatchNorm bias", l.dbeta, beta})
			}
			for _, c := range checks {
				fd := fdGrad(c.v, loss)
				if d := maxRel(t, c.name, c.got, fd); d > gradTol {
					t.Errorf("gradient of the %s differs from finite differences by %.3g (relative) > %g", c.name, d, gradTol)
				}
			}
			// Without BatchNorm and activation, the convolution's gradients
			// against its adjoint written out directly.
			if gamma == nil && s.Act == spec.None {
				ndx, ndw := naiveConvGrads(s, w, xv, rv)
				if d := maxRel(t, "input", dx, ndx); d > gradTol {
					t.Errorf("input gradient differs from the naive adjoint by %.3g", d)
				}
				if d := maxRel(t, "weight", l.dw, ndw); d > gradTol {
					t.Errorf("weight gradient differs from the naive adjoint by %.3g", d)
				}
			}
		})
	}
}

// TestConvGradientsMatchTheNaiveAdjoint checks the bare convolutions (no
// BatchNorm, no activation) of every geometry against the adjoint loops, and
// the adjoint itself against finite differences.
func TestConvGradientsMatchTheNaiveAdjoint(t *testing.T) {
	for ci, s := range layerCases {
		s.BatchNorm, s.Act = "", spec.None
		t.Run(fmt.Sprint(s.Name), func(t *testing.T) {
			l, x := testLayer(s, uint64(20+ci))
			rng := rand.New(rand.NewPCG(uint64(ci), 5))
			var p pass
			var g gemmer
			out := l.forward(&p, x, testBatch, Train, &g)
			r := randSlice(rng, len(out), 0, 1)
			dx := l.backward(&p, r, true, true, &g)
			w, xv, rv := f64(l.w), f64(x), f64(r)
			ndx, ndw := naiveConvGrads(s, w, xv, rv)
			if d := maxRel(t, "input", dx, ndx); d > forwardTol {
				t.Errorf("input gradient differs from the naive adjoint by %.3g > %g", d, forwardTol)
			}
			if d := maxRel(t, "weight", l.dw, ndw); d > forwardTol {
				t.Errorf("weight gradient differs from the naive adjoint by %.3g > %g", d, forwardTol)
			}
			fd := fdGrad(w, func() float64 { return naiveLoss(s, w, nil, nil, xv, rv) })
			var worst float64
			for i := range fd {
				worst = math.Max(worst, math.Abs(fd[i]-ndw[i]))
			}
			if worst > fdTol*10 {
				t.Errorf("the naive adjoint differs from finite differences by %.3g", worst)
			}
		})
	}
}

// TestWinogradCoversThePyramidLayers checks which test layers take which
// path (Winograd output tile 4: F(4×4, 2×2), 2: F(2×2, 2×2), 0: im2col), so
// that the tests above exercise all three.
func TestWinogradCoversThePyramidLayers(t *testing.T) {
	want := map[string]int{"initial-conv": 4, "pyramid-conv": 4, "pyramid-convt": 4, "final-convt": 4, "wide-conv": 4, "wide-convt": 4,
		"six-conv": 2, "six-convt": 2, "six-conv-bare": 2}
	for _, s := range layerCases {
		g, ok := newLayer(s).winoGeom(testBatch)
		if !ok {
			g.m = 0
		}
		if g.m != want[s.Name] {
			t.Errorf("%s: Winograd tile %d, want %d", s.Name, g.m, want[s.Name])
		}
	}
}
