package engine

import (
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/ganomaly-go/ganomaly/modelfile"
	"github.com/ganomaly-go/ganomaly/spec"
)

// naiveTol bounds |engine − naive| relative to the magnitude of the values
// compared. The engine sums in float32 in a different order than the naive
// float64 reference; with K ≤ 4096 terms the float32 rounding error is a few
// 1e-6 relative, so 2e-5 leaves room without hiding real bugs (a wrong tap or
// a missing bias changes outputs by ~1e-2).
const naiveTol = 2e-5

// testCheckpoint is Init with BatchNorm statistics and affine parameters made
// non-trivial, so folding is really exercised.
func testCheckpoint(t testing.TB, a modelfile.Arch, seed int64) *modelfile.File {
	t.Helper()
	f := Init(a, seed)
	rng := rand.New(rand.NewPCG(uint64(seed), 7))
	for _, s := range spec.GeneratorLayers(a) {
		if s.BatchNorm == "" {
			continue
		}
		rnd := func(lo, hi float64) []float32 {
			v := make([]float32, s.OutC)
			for i := range v {
				v[i] = float32(lo + (hi-lo)*rng.Float64())
			}
			return v
		}
		f.Add(modelfile.NewF32(s.BNKey()+".running_mean", []int{s.OutC}, rnd(-0.1, 0.1)))
		f.Add(modelfile.NewF32(s.BNKey()+".running_var", []int{s.OutC}, rnd(0.001, 0.05)))
		f.Add(modelfile.NewF32(s.BNKey()+".bias", []int{s.OutC}, rnd(-0.2, 0.2)))
	}
	return f
}

func randomInput(n int, seed uint64) []float32 {
	rng := rand.New(rand.NewPCG(seed, 1))
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(2*rng.Float64() - 1)
	}
	return x
}

func maxRelDiff(t *testing.T, what string, got, want []float32) float64 {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	var scale, worst float64
	for _, w := range want {
		scale = math.Max(scale, math.Abs(float64(w)))
	}
	scale = math.Max(scale, 1e-3)
	for i := range got {
		worst = math.Max(worst, math.Abs(float64(got[i])-float64(want[i]))/scale)
	}
	return worst
}

var testArchs = []modelfile.Arch{
	{ISize: 16, NC: 1, NZ: 10, NGF: 8},
	{ISize: 32, NC: 1, NZ: 100, NGF: 16},
	{ISize: 32, NC: 3, NZ: 7, NGF: 12, ExtraLayers: 1},
	{ISize: 64, NC: 3, NZ: 20, NGF: 4, ExtraLayers: 2},
	{ISize: 128, NC: 1, NZ: 5, NGF: 2},
}

// TestLayersMatchNaive checks every layer of several architectures, one at a
// time, against the direct implementation with unfolded BatchNorm.
func TestLayersMatchNaive(t *testing.T) {
	for ai, a := range testArchs {
		f := testCheckpoint(t, a, int64(ai))
		m, err := Load(f)
		if err != nil {
			t.Fatal(err)
		}
		for i, l := range m.layers() {
			s := l.spec
			in := randomInput(s.InC*s.InH*s.InH, uint64(i))
			out := make([]float32, s.OutC*s.OutH*s.OutH)
			l.forward(in, out, &m.ws)
			want := naiveLayer(f, s, in)
			if d := maxRelDiff(t, s.Key(), out, want); d > naiveTol {
				t.Errorf("arch %+v layer %s (%s k%d s%d p%d): max rel diff %.3g > %g", a, s.Key(), s.Op, s.K, s.S, s.P, d, naiveTol)
			}
		}
	}
}

// TestForwardMatchesNaive checks the whole generator, the score and the heat
// map against the naive reference.
func TestForwardMatchesNaive(t *testing.T) {
	for ai, a := range testArchs {
		t.Run(fmt.Sprintf("isize%d_nc%d_nz%d_extra%d", a.ISize, a.NC, a.NZ, a.ExtraLayers), func(t *testing.T) {
			f := testCheckpoint(t, a, int64(100+ai))
			m, err := Load(f)
			if err != nil {
				t.Fatal(err)
			}
			x := randomInput(m.InputLen(), 42)
			r, err := m.Forward(x)
			if err != nil {
				t.Fatal(err)
			}
			want := naiveForward(f, x)
			for _, c := range []struct {
				name      string
				got, want []float32
			}{{"xhat", r.XHat, want.xhat}, {"latentI", r.LatentI, want.latentI}, {"latentO", r.LatentO, want.latentO}} {
				if d := maxRelDiff(t, c.name, c.got, c.want); d > 10*naiveTol {
					t.Errorf("%s: max rel diff %.3g", c.name, d)
				}
			}
			if rel := math.Abs(r.Score-want.score) / want.score; rel > 1e-3 {
				t.Errorf("score %g, naive %g (rel %.3g)", r.Score, want.score, rel)
			}
			hw := a.ISize * a.ISize
			for p := 0; p < hw; p += 37 {
				var s float64
				for c := 0; c < a.NC; c++ {
					s += math.Abs(float64(x[c*hw+p] - r.XHat[c*hw+p]))
				}
				if d := math.Abs(s/float64(a.NC) - float64(r.Diff[p])); d > 1e-6 {
					t.Fatalf("diff[%d] = %g, want %g", p, r.Diff[p], s/float64(a.NC))
				}
			}
		})
	}
}

// TestShapes checks the layer shapes for every supported isize.
func TestShapes(t *testing.T) {
	for _, isize := range []int{16, 32, 64, 128} {
		for _, nc := range []int{1, 3} {
			a := modelfile.Arch{ISize: isize, NC: nc, NZ: 9, NGF: 2, ExtraLayers: 1}
			m, err := Load(Init(a, 1))
			if err != nil {
				t.Fatal(err)
			}
			ls := m.Layers()
			// Encoder: log2(isize)-2 stride-2 convs, extra, final.
			depth := int(math.Log2(float64(isize))) - 2
			if got, want := len(ls), 2*(depth+2)+depth+1+1; got != want {
				t.Errorf("isize %d: %d layers, want %d", isize, got, want)
			}
			r, err := m.Forward(randomInput(m.InputLen(), 3))
			if err != nil {
				t.Fatal(err)
			}
			if len(r.XHat) != nc*isize*isize || len(r.LatentI) != 9 || len(r.LatentO) != 9 || len(r.Diff) != isize*isize {
				t.Errorf("isize %d nc %d: shapes xhat %d latentI %d latentO %d diff %d", isize, nc, len(r.XHat), len(r.LatentI), len(r.LatentO), len(r.Diff))
			}
			last := ls[len(ls)-1]
			if last.OutC != 9 || last.OutH != 1 {
				t.Errorf("E2 output %d×%d×%d, want 9×1×1", last.OutC, last.OutH, last.OutW)
			}
		}
	}
}

// goldenHash is the FNV-64a hash of the output bits of a fixed model on a
// fixed input. The same value is asserted natively and under
// GOOS=js GOARCH=wasm, which is what makes the two bit-identical.
const goldenHash = "f8f4ea077cb4eb97"

func outputHash(r *Result) string {
	h := fnv.New64a()
	for _, v := range [][]float32{r.XHat, r.LatentI, r.LatentO, r.Diff} {
		for _, x := range v {
			b := math.Float32bits(x)
			h.Write([]byte{byte(b), byte(b >> 8), byte(b >> 16), byte(b >> 24)})
		}
	}
	fmt.Fprintf(h, "%x", math.Float64bits(r.Score))
	return fmt.Sprintf("%016x", h.Sum64())
}

func TestDeterminism(t *testing.T) {
	a := modelfile.Arch{ISize: 32, NC: 3, NZ: 100, NGF: 16}
	m, err := Load(testCheckpoint(t, a, 9))
	if err != nil {
		t.Fatal(err)
	}
	x := randomInput(m.InputLen(), 5)
	r1, _ := m.Forward(x)
	h1 := outputHash(r1)
	m.Forward(randomInput(m.InputLen(), 6)) // disturb the buffers
	r2, _ := m.Forward(x)
	if h2 := outputHash(r2); h2 != h1 {
		t.Fatalf("same input, different output: %s then %s", h1, h2)
	}
	c := m.Clone()
	r3, _ := c.Forward(x)
	if h3 := outputHash(r3); h3 != h1 {
		t.Fatalf("clone differs: %s vs %s", h3, h1)
	}
	if h1 != goldenHash {
		t.Fatalf("output hash %s, golden %s: the numbers changed (or differ between platforms)", h1, goldenHash)
	}
}

func TestTanhAndExp(t *testing.T) {
	for x := -12.0; x <= 12; x += 0.001 {
		got := float64(tanh32(float32(x)))
		want := float64(float32(math.Tanh(float64(float32(x)))))
		if math.Abs(got-want) > 1.5e-7 {
			t.Fatalf("tanh32(%g) = %.9g, want %.9g", x, got, want)
		}
	}
	for x := 0.0; x <= 20; x += 0.01 {
		if rel := math.Abs(exp(x)-math.Exp(x)) / math.Exp(x); rel > 1e-14 {
			t.Fatalf("exp(%g) rel error %g", x, rel)
		}
	}
}

func TestDecodeAndEncodeMatchForward(t *testing.T) {
	a := modelfile.Arch{ISize: 32, NC: 1, NZ: 16, NGF: 8}
	m, _ := Load(testCheckpoint(t, a, 3))
	x := randomInput(m.InputLen(), 8)
	r, _ := m.Forward(x)
	xhat := append([]float32(nil), r.XHat...)
	li := append([]float32(nil), r.LatentI...)
	gotLI, err := m.Encode(x)
	if err != nil {
		t.Fatal(err)
	}
	if maxRelDiff(t, "latentI", gotLI, li) != 0 {
		t.Error("Encode differs from Forward's latentI")
	}
	dec, err := m.Decode(li)
	if err != nil {
		t.Fatal(err)
	}
	if maxRelDiff(t, "xhat", dec, xhat) != 0 {
		t.Error("Decode differs from Forward's xhat")
	}
	if _, err := m.Decode(make([]float32, 3)); err == nil {
		t.Error("Decode accepted a latent of the wrong size")
	}
}

func TestTraceVisitsEveryLayer(t *testing.T) {
	a := modelfile.Arch{ISize: 16, NC: 1, NZ: 4, NGF: 4}
	m, _ := Load(Init(a, 1))
	var seen []string
	_, err := m.Trace(randomInput(m.InputLen(), 1), func(i int, l LayerInfo, out []float32) {
		if len(out) != l.OutC*l.OutH*l.OutW {
			t.Errorf("layer %d: %d values for %d×%d×%d", i, len(out), l.OutC, l.OutH, l.OutW)
		}
		seen = append(seen, l.Key())
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(seen) != len(m.Layers()) || !strings.HasPrefix(seen[0], "encoder1.") || !strings.HasPrefix(seen[len(seen)-1], "encoder2.") {
		t.Errorf("visited %v", seen)
	}
}

func TestLoadErrors(t *testing.T) {
	a := modelfile.Arch{ISize: 16, NC: 1, NZ: 4, NGF: 4}
	cases := []struct {
		name   string
		mutate func(f *modelfile.File)
		want   string
	}{
		{"wrong arch", func(f *modelfile.File) { f.Meta.Arch.NZ = 5 }, "weight shape"},
		{"bad isize", func(f *modelfile.File) { f.Meta.Arch.ISize = 80 }, "power of two"},
		{"missing weight", func(f *modelfile.File) {
			g := modelfile.New(f.Meta)
			for _, t := range f.Tensors() {
				if !strings.Contains(t.Name, "encoder2.main.final-") {
					g.Add(t)
				}
			}
			*f = *g
		}, "missing"},
		{"negative variance", func(f *modelfile.File) {
			f.Add(modelfile.NewF32("encoder1.main.pyramid-8-batchnorm.running_var", []int{8}, []float32{1, 1, -1, 1, 1, 1, 1, 1}))
		}, "not a variance"},
	}
	for _, c := range cases {
		f := Init(a, 1)
		c.mutate(f)
		_, err := Load(f)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one containing %q", c.name, err, c.want)
		}
	}
	m, _ := Load(Init(a, 1))
	if _, err := m.Forward(make([]float32, 5)); err == nil {
		t.Error("Forward accepted an input of the wrong size")
	}
}

// TestFoldRoundTrip: a folded F32 model file scores exactly like the
// checkpoint it came from, and F16/I8 versions stay close.
func TestFoldRoundTrip(t *testing.T) {
	a := modelfile.Arch{ISize: 32, NC: 1, NZ: 100, NGF: 16}
	ck := testCheckpoint(t, a, 4)
	m1, _ := Load(ck)
	folded, err := Fold(ck)
	if err != nil {
		t.Fatal(err)
	}
	var buf strings.Builder
	if err := folded.Encode(&buf); err != nil {
		t.Fatal(err)
	}
	parsed, err := modelfile.Parse([]byte(buf.String()))
	if err != nil {
		t.Fatal(err)
	}
	m2, err := Load(parsed)
	if err != nil {
		t.Fatal(err)
	}
	x := randomInput(m1.InputLen(), 2)
	r1, _ := m1.Forward(x)
	h1 := outputHash(r1)
	r2, _ := m2.Forward(x)
	if h2 := outputHash(r2); h1 != h2 {
		t.Errorf("folded model file differs from the checkpoint: %s vs %s", h2, h1)
	}
}
