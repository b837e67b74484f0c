package engine

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"regexp"
	"runtime"
	"strings"
	"testing"

	"github.com/ganomaly-go/ganomaly/modelfile"
	"github.com/ganomaly-go/ganomaly/spec"
)

// TestFastPathAccuracy checks each lowering (Winograd F(4×4, 2×2) and
// F(2×2, 2×2) conv and convT, GEMV, GEMM) of the default architectures layer
// by layer against the naive float64 reference, and logs the largest
// differences (docs/engine-speed.md quotes them:
// `go test -run FastPathAccuracy -v ./engine`).
//
// Winograd F(2×2, 2×2) with the points 0, −1, ∞ only adds and subtracts in
// its transforms: the input transform sums up to 4 inputs, the kernel
// transform up to 4 weights (in float64, rounded once), and the output
// transform adds 4 products' sums, so its float32 rounding error is a small
// multiple of the direct sum's. F(4×4, 2×2) (points 0, ±1, 1/2, ∞) sums up
// to 16 scaled inputs (weights up to 3 per dimension) and its kernel
// transform has weights up to 8/3, so its error is a few times larger. The
// same tolerance naiveTol (2e-5 relative to the largest output) holds for
// every path; measured, F(2×2, 2×2) stays below 2e-6 and F(4×4, 2×2) below
// 8e-6 (max abs 2e-4 on outputs of magnitude ~20), the GEMV's 4096-term
// sums 2.4e-6.
func TestFastPathAccuracy(t *testing.T) {
	for _, a := range []modelfile.Arch{
		{ISize: 32, NC: 1, NZ: 100, NGF: 64},
		{ISize: 32, NC: 3, NZ: 100, NGF: 64},
	} {
		t.Run(fmt.Sprintf("%dx%dx%d", a.ISize, a.ISize, a.NC), func(t *testing.T) {
			f := testCheckpoint(t, a, 21)
			m, err := Load(f)
			if err != nil {
				t.Fatal(err)
			}
			names := map[kind]string{kindGEMM: "gemm", kindGEMV: "gemv", kindWinoConv: "winograd-conv", kindWinoConvT: "winograd-convT"}
			name := func(l *layer) string {
				if l.wm == 4 {
					return names[l.kind] + "-F4"
				}
				if l.wm == 2 {
					return names[l.kind] + "-F2"
				}
				return names[l.kind]
			}
			rel := map[string]float64{}
			abs := map[string]float64{}
			seen := map[string]bool{}
			for i, l := range m.layers() {
				s := l.spec
				in := randomInput(s.InC*s.InH*s.InH, uint64(30+i))
				out := make([]float32, s.OutC*s.OutH*s.OutH)
				l.forward(in, out, &m.ws)
				want := naiveLayer(f, s, in)
				d := maxRelDiff(t, s.Key(), out, want)
				if d > naiveTol {
					t.Errorf("layer %s (%s): max rel diff %.3g > naiveTol %g", s.Key(), name(l), d, naiveTol)
				}
				var worst float64
				for j := range out {
					worst = math.Max(worst, math.Abs(float64(out[j])-float64(want[j])))
				}
				seen[name(l)] = true
				rel[name(l)] = math.Max(rel[name(l)], d)
				abs[name(l)] = math.Max(abs[name(l)], worst)
			}
			all := []string{"winograd-conv-F4", "winograd-conv-F2", "winograd-convT-F4", "winograd-convT-F2", "gemv", "gemm"}
			for _, k := range all {
				if seen[k] {
					t.Logf("%-18s max rel diff %.2e, max abs diff %.2e", k, rel[k], abs[k])
				}
			}
			for _, k := range all[:5] {
				if !seen[k] {
					t.Errorf("the default architecture no longer uses the %s path: %v", k, seen)
				}
			}
		})
	}
}

// TestNoFusedMultiplyAdd compiles the kernels for targets whose Go compiler
// fuses x*y + z into one FMA instruction (arm64, amd64 with GOAMD64=v3) and
// fails if any appears: a fused multiply-add rounds once instead of twice,
// so it would make those platforms' results differ from wasm's. The kernels
// avoid it by rounding every product explicitly (float32(a*b)).
func TestNoFusedMultiplyAdd(t *testing.T) {
	if runtime.GOOS == "js" || testing.Short() {
		t.Skip("needs the go command")
	}
	goCmd, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go command not found")
	}
	kernelFiles := []string{"kernels.go", "gemm_other.go", "winograd.go", "layer.go", "load.go", "model.go"}
	fma := regexp.MustCompile(`\b(V?F(N)?M(ADD|SUB)[0-9A-Z]*)\b`)
	for _, env := range [][]string{{"GOARCH=arm64"}, {"GOARCH=amd64", "GOAMD64=v3"}} {
		cmd := exec.Command(goCmd, "build", "-gcflags=-S", "-o", os.DevNull, ".")
		cmd.Env = append(append(os.Environ(), "GOOS=linux", "CGO_ENABLED=0"), env...)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%v go build: %v\n%s", env, err, out)
		}
		for _, line := range strings.Split(string(out), "\n") {
			if !fma.MatchString(line) {
				continue
			}
			for _, f := range kernelFiles {
				if strings.Contains(line, "/engine/"+f+":") {
					t.Errorf("%v: fused multiply-add in a kernel: %s", env, strings.TrimSpace(line))
				}
			}
		}
	}
}

// TestLoweringsMatchNaive runs every layer of several architectures with each
// lowering that suits it (not only the one Load picks) against the naive
// reference, so that the GEMM fallback stays correct for the layers that
// normally go through Winograd and the other way round.
func TestLoweringsMatchNaive(t *testing.T) {
	for ai, a := range testArchs {
		f := testCheckpoint(t, a, int64(50+ai))
		folded, err := foldLayers(f)
		if err != nil {
			t.Fatal(err)
		}
		for i, fl := range folded {
			s := fl.spec
			kinds := []kind{kindGEMM}
			if s.K == 4 && s.S == 2 && s.P == 1 && s.Op == spec.Conv && s.InH%4 == 0 {
				kinds = append(kinds, kindWinoConv)
			}
			if s.K == 4 && s.S == 2 && s.P == 1 && s.Op == spec.Conv && s.InH%8 == 0 {
				kinds = append(kinds, kindWino4Conv)
			}
			if s.K == 4 && s.S == 2 && s.P == 1 && s.Op == spec.ConvT && s.InH%2 == 0 {
				kinds = append(kinds, kindWinoConvT)
			}
			if s.K == 4 && s.S == 2 && s.P == 1 && s.Op == spec.ConvT && s.InH%4 == 0 {
				kinds = append(kinds, kindWino4ConvT)
			}
			if k := layerKind(s); k == kindGEMV {
				kinds = append(kinds, k)
			}
			in := randomInput(s.InC*s.InH*s.InH, uint64(i))
			want := naiveLayer(f, s, in)
			for _, k := range kinds {
				l := newLayerAs(fl, k)
				var ws workspace
				ws.reserve(l)
				out := make([]float32, s.OutC*s.OutH*s.OutH)
				l.forward(in, out, &ws)
				if d := maxRelDiff(t, s.Key(), out, want); d > naiveTol {
					t.Errorf("arch %+v layer %s lowered as %d: max rel diff %.3g > %g", a, s.Key(), k, d, naiveTol)
				}
			}
		}
	}
}

// TestWinogradShapes runs the Winograd lowerings on shapes the GANomaly
// architectures do not produce (tile counts that are not a multiple of the
// kernel's 4 columns, a single tile, odd channel counts), against the naive
// convolutions, so that the padding paths are exercised too.
func TestWinogradShapes(t *testing.T) {
	cases := []struct {
		op             spec.Op
		inC, outC, inH int
	}{
		{spec.Conv, 3, 10, 4},   // 2×2 output: one tile
		{spec.Conv, 5, 7, 12},   // 6×6 output: 9 tiles
		{spec.Conv, 2, 9, 20},   // 10×10 output: 25 tiles
		{spec.ConvT, 5, 9, 2},   // one tile per phase
		{spec.ConvT, 4, 11, 6},  // 9 tiles per phase
		{spec.ConvT, 3, 8, 10},  // 25 tiles per phase
		{spec.ConvT, 7, 13, 4},  // odd channels
		{spec.Conv, 16, 33, 8},  // odd output channels
		{spec.ConvT, 16, 1, 8},  // a single output channel
		{spec.Conv, 1, 8, 16},   // a single input channel
		{spec.ConvT, 1, 16, 16}, // a single input channel
		// F(4×4, 2×2) too where the output side (per phase) is a multiple of 4:
		{spec.Conv, 3, 10, 8},   // 4×4 output: one 4×4 tile
		{spec.Conv, 5, 7, 24},   // 12×12 output: 9 tiles
		{spec.ConvT, 5, 9, 4},   // one 4×4 tile per phase
		{spec.ConvT, 4, 11, 12}, // 9 tiles per phase
		{spec.ConvT, 7, 13, 20}, // 25 tiles per phase, odd channels
	}
	for ci, c := range cases {
		s := spec.LayerSpec{Part: "test", Name: fmt.Sprintf("case%d", ci), Op: c.op, InC: c.inC, OutC: c.outC, K: 4, S: 2, P: 1, InH: c.inH, Act: spec.LeakyReLU}
		kinds := []kind{kindWinoConv, kindGEMM}
		if c.op == spec.Conv {
			s.OutH = c.inH / 2
			if s.OutH%4 == 0 {
				kinds = append(kinds, kindWino4Conv)
			}
		} else {
			s.OutH = 2 * c.inH
			kinds[0] = kindWinoConvT
			if c.inH%4 == 0 {
				kinds = append(kinds, kindWino4ConvT)
			}
		}
		w := randomInput(c.inC*c.outC*16, uint64(ci))
		b := randomInput(c.outC, uint64(100+ci))
		in := randomInput(c.inC*c.inH*c.inH, uint64(200+ci))
		var want []float32
		if c.op == spec.Conv {
			want, _ = naiveConv2d(in, c.inC, c.inH, w, c.outC, 4, 2, 1)
		} else {
			want, _ = naiveConvT2d(in, c.inC, c.inH, w, c.outC, 4, 2, 1)
		}
		hw := s.OutH * s.OutH
		for i := range want {
			want[i] += b[i/hw]
		}
		naiveAct(want, s.Act)
		for _, kd := range kinds {
			l := newLayerAs(foldedLayer{spec: s, w: w, b: b}, kd)
			var ws workspace
			ws.reserve(l)
			// Garbage in the shared buffers must not leak into the result.
			for i := range ws.bp {
				ws.bp[i] = float32(math.NaN())
			}
			out := make([]float32, c.outC*hw)
			l.forward(in, out, &ws)
			if d := maxRelDiff(t, s.Name, out, want); !(d <= naiveTol) {
				t.Errorf("%s %d→%d at %d×%d lowered as %d: max rel diff %.3g > %g", c.op, c.inC, c.outC, c.inH, c.inH, kd, d, naiveTol)
			}
		}
	}
}

// TestWinograd4Identity checks the F(4, 2) transforms exactly: Bᵀ and Aᵀ are
// read back from WinoInput4 and WinoOutput4 (applied to unit vectors, which float32 does
// exactly), G is wino4G, and Aᵀ[(G g) ⊙ (Bᵀ d)] must equal the correlation
// of d (5 values) with g (2 taps) for random d and g, in float64.
func TestWinograd4Identity(t *testing.T) {
	var bt [5][5]float64 // bt[a][i]
	var at [4][5]float64 // at[y][a]
	for i := 0; i < 5; i++ {
		var e [5]float32
		e[i] = 1
		t0, t1, t2, t3, t4 := WinoInput4(e[0], e[1], e[2], e[3], e[4])
		for a, v := range []float32{t0, t1, t2, t3, t4} {
			bt[a][i] = float64(v)
		}
		y0, y1, y2, y3 := WinoOutput4(e[0], e[1], e[2], e[3], e[4])
		for y, v := range []float32{y0, y1, y2, y3} {
			at[y][i] = float64(v)
		}
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for trial := 0; trial < 100; trial++ {
		var d [5]float64
		var g [2]float64
		for i := range d {
			d[i] = 2*rng.Float64() - 1
		}
		g[0], g[1] = 2*rng.Float64()-1, 2*rng.Float64()-1
		var m [5]float64
		for a := 0; a < 5; a++ {
			var u, v float64
			for k := 0; k < 2; k++ {
				u += wino4G[a][k] * g[k]
			}
			for i := 0; i < 5; i++ {
				v += bt[a][i] * d[i]
			}
			m[a] = u * v
		}
		for y := 0; y < 4; y++ {
			var got float64
			for a := 0; a < 5; a++ {
				got += at[y][a] * m[a]
			}
			want := d[y]*g[0] + d[y+1]*g[1]
			if math.Abs(got-want) > 1e-12 {
				t.Fatalf("F(4, 2) output %d: %v, direct correlation %v", y, got, want)
			}
		}
	}
}

// TestForwardAllocatesNothing: Forward reuses the Model's buffers (the
// Result's slices belong to it), so scoring a batch creates no garbage.
func TestForwardAllocatesNothing(t *testing.T) {
	for _, a := range []modelfile.Arch{{ISize: 32, NC: 1, NZ: 100, NGF: 16}, {ISize: 32, NC: 3, NZ: 10, NGF: 8, ExtraLayers: 1}} {
		m, err := Load(Init(a, 1))
		if err != nil {
			t.Fatal(err)
		}
		x := randomInput(m.InputLen(), 2)
		if n := testing.AllocsPerRun(3, func() { m.Forward(x) }); n != 0 {
			t.Errorf("arch %+v: Forward allocates %v times per call, want 0", a, n)
		}
	}
}
