package gan

import (
	"fmt"
	"math"
	"os"
	"strings"
	"testing"

	"github.com/ganomaly-go/ganomaly/engine"
	"github.com/ganomaly-go/ganomaly/modelfile"
	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/ts"
)

// Tolerances of the parity test: the pure-Go engine against
// libtorch's eval-mode forward on the same weights.
const (
	parityAbs      = 1e-4 // max |Δ| of x̂ and the latents
	parityScoreRel = 1e-3 // relative difference of the anomaly score
)

func small(seed int64) Options {
	o := testOptions(seed)
	o.Arch.NGF, o.NDF = 16, 16
	return o
}

func batch(t testing.TB, m *Model, seed uint64, n int) *ts.Tensor {
	t.Helper()
	a := m.Opt.Arch
	x, err := FromFloat32(randomValues(seed, n*a.NC*a.ISize*a.ISize), []int64{int64(n), int64(a.NC), int64(a.ISize), int64(a.ISize)}, m.Device)
	if err != nil {
		t.Fatal(err)
	}
	return x
}

func TestLeakyReLUMatchesReference(t *testing.T) {
	in := []float32{-3, -1, -0.5, -1e-3, 0, 1e-3, 0.5, 2, 100}
	x, err := FromFloat32(in, []int64{int64(len(in))}, gotch.CPU)
	if err != nil {
		t.Fatal(err)
	}
	x = x.MustSetRequiresGrad(true, true)
	y := LeakyReLU(x)
	got, err := Float32s(y)
	if err != nil {
		t.Fatal(err)
	}
	// nn.LeakyReLU(0.2): x for x ≥ 0, 0.2·x below; gradient 1 and 0.2.
	for i, v := range in {
		want := v
		if v < 0 {
			want = 0.2 * v
		}
		if got[i] != want {
			t.Errorf("LeakyReLU(%v) = %v, want %v", v, got[i], want)
		}
	}
	s := y.MustSum(gotch.Float, false)
	if err := s.Backward(); err != nil {
		t.Fatal(err)
	}
	g, err := Float32s(x.MustGrad(false))
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range in {
		if v == 0 {
			continue // PyTorch's own subgradient choice at 0 does not matter
		}
		want := float32(1)
		if v < 0 {
			want = 0.2
		}
		if math.Abs(float64(g[i]-want)) > 1e-7 {
			t.Errorf("dLeakyReLU/dx at %v = %v, want %v", v, g[i], want)
		}
	}
}

func TestStateDictNamesMatchTheOriginal(t *testing.T) {
	// Keys and shapes of real netG.pth / netD.pth files of the original code
	// (spec/testdata/original_keys.txt, written with torch 2.1.0).
	b, err := os.ReadFile("../../spec/testdata/original_keys.txt")
	if err != nil {
		t.Fatal(err)
	}
	type block struct {
		netD bool
		arch modelfile.Arch
		keys []string
	}
	var blocks []*block
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		var kind string
		var a modelfile.Arch
		n, _ := fmt.Sscanf(line, "%s %d %d %d %d %d", &kind, &a.ISize, &a.NC, &a.NZ, &a.NGF, &a.ExtraLayers)
		switch {
		case strings.HasPrefix(line, "#"):
		case n == 6 && (kind == "arch" || kind == "netD"):
			blocks = append(blocks, &block{netD: kind == "netD", arch: a})
		case len(blocks) > 0:
			blocks[len(blocks)-1].keys = append(blocks[len(blocks)-1].keys, line)
		}
	}
	if len(blocks) < 4 {
		t.Fatalf("spec/testdata/original_keys.txt has %d blocks, want 4", len(blocks))
	}
	for _, bl := range blocks {
		var got []string
		if bl.netD {
			d, err := NewDiscriminator(bl.arch, bl.arch.NGF, gotch.CPU)
			if err != nil {
				t.Fatal(err)
			}
			got = names(d.Params())
		} else {
			g, err := NewGenerator(bl.arch, gotch.CPU)
			if err != nil {
				t.Fatal(err)
			}
			got = names(g.Params())
		}
		if strings.Join(got, "\n") != strings.Join(bl.keys, "\n") {
			t.Errorf("%+v (netD %v): keys\n%s\nwant\n%s", bl.arch, bl.netD, strings.Join(got, "\n"), strings.Join(bl.keys, "\n"))
		}
	}
	// the reference numbers: 3.2 M generator parameters at isize 32
	g, _ := NewGenerator(modelfile.Arch{ISize: 32, NC: 1, NZ: 100, NGF: 64}, gotch.CPU)
	n := 0
	for _, p := range g.Trainable() {
		k := 1
		for _, s := range p.Shape {
			k *= int(s)
		}
		n += k
	}
	if n < 3_100_000 || n > 3_300_000 {
		t.Errorf("generator has %d trainable parameters, want about 3.2 M", n)
	}
}

// repeatTol bounds the run-to-run drift of losses after the first step:
// libtorch's multi-threaded CPU reductions (BatchNorm and convolution weight
// gradients) do not fix the order of their partial sums, so repeated runs
// can differ in the last bits of float32 (about 1e-7 relative).
const repeatTol = 1e-5

func lossesClose(a, b Losses) bool {
	c := func(x, y float64) bool { return math.Abs(x-y) <= repeatTol*math.Max(math.Abs(x), 1e-3) }
	return a.ReinitD == b.ReinitD && c(a.ErrG, b.ErrG) && c(a.ErrGAdv, b.ErrGAdv) && c(a.ErrGCon, b.ErrGCon) &&
		c(a.ErrGEnc, b.ErrGEnc) && c(a.ErrD, b.ErrD) && c(a.ErrDReal, b.ErrDReal) && c(a.ErrDFake, b.ErrDFake)
}

func names(ps []*Param) []string {
	var out []string
	for _, p := range ps {
		out = append(out, fmt.Sprintf("%s %v", p.Name, p.Shape))
	}
	return out
}

func TestInitialisationStatistics(t *testing.T) {
	m, err := NewModel(testOptions(3), gotch.CPU)
	if err != nil {
		t.Fatal(err)
	}
	check := func(name string, wantMean, wantStd float64) {
		p := m.G.Param(name)
		if p == nil {
			p = m.D.Param(name)
		}
		v, err := Float32s(p.T)
		if err != nil {
			t.Fatal(err)
		}
		var s, s2 float64
		for _, x := range v {
			s += float64(x)
			s2 += float64(x) * float64(x)
		}
		mean := s / float64(len(v))
		std := math.Sqrt(s2/float64(len(v)) - mean*mean)
		if math.Abs(mean-wantMean) > 0.005 || math.Abs(std-wantStd) > 0.005 {
			t.Errorf("%s: mean %.4f std %.4f, want %.2f and %.2f", name, mean, std, wantMean, wantStd)
		}
	}
	check("encoder1.main.pyramid-64-128-conv.weight", 0, 0.02)
	check("decoder.main.initial-100-256-convt.weight", 0, 0.02)
	check("decoder.main.initial-256-batchnorm.weight", 1, 0.02)
	check("decoder.main.initial-256-batchnorm.bias", 0, 0)
	check("decoder.main.initial-256-batchnorm.running_var", 1, 0)
	check("features.6.weight", 1, 0.02)
	check("classifier.0.weight", 0, 0.02)
}

func TestSameSeedSameLosses(t *testing.T) {
	run := func(seed int64) []Losses {
		m, err := NewModel(small(seed), gotch.CPU)
		if err != nil {
			t.Fatal(err)
		}
		var ls []Losses
		for i := 0; i < 3; i++ {
			x := batch(t, m, uint64(i), 16)
			l, err := m.Step(x, int64(i))
			if err != nil {
				t.Fatal(err)
			}
			ls = append(ls, l)
		}
		return ls
	}
	a, b, c := run(5), run(5), run(6)
	if a[0] != b[0] {
		t.Errorf("first step: seed 5 gave %+v then %+v", a[0], b[0])
	}
	for i := range a {
		if !lossesClose(a[i], b[i]) {
			t.Errorf("step %d: seed 5 gave %+v then %+v", i, a[i], b[i])
		}
	}
	if a[0] == c[0] {
		t.Errorf("seeds 5 and 6 gave the same first losses %+v", a[0])
	}
	// the first losses are those of an untrained GANomaly on [-1, 1] data
	if a[0].ErrGCon < 0.3 || a[0].ErrGCon > 1.5 || a[0].ErrD < 0.3 || a[0].ErrD > 1.5 {
		t.Errorf("implausible first losses %+v", a[0])
	}
	if math.Abs(a[0].ErrG-(a[0].ErrGAdv+50*a[0].ErrGCon+a[0].ErrGEnc)) > 1e-4*a[0].ErrG {
		t.Errorf("errG %v is not adv + 50·con + enc of %+v", a[0].ErrG, a[0])
	}
}

func TestStateRoundTripContinuesIdentically(t *testing.T) {
	a, err := NewModel(small(7), gotch.CPU)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		if _, err := a.Step(batch(t, a, uint64(i), 16), int64(i)); err != nil {
			t.Fatal(err)
		}
	}
	st, err := a.StateTensors()
	if err != nil {
		t.Fatal(err)
	}
	// through the safetensors encoder and back, as --resume does
	var buf strings.Builder
	if err := modelfile.Encode(&buf, st, map[string]string{"k": "v"}); err != nil {
		t.Fatal(err)
	}
	back, _, err := modelfile.Decode([]byte(buf.String()))
	if err != nil {
		t.Fatal(err)
	}
	b, err := NewModel(small(99), gotch.CPU) // other initial weights, overwritten
	if err != nil {
		t.Fatal(err)
	}
	if err := b.LoadState(back, a.OptG.Step, a.OptD.Step); err != nil {
		t.Fatal(err)
	}
	for i := 3; i < 5; i++ {
		la, err := a.Step(batch(t, a, uint64(i), 16), int64(i))
		if err != nil {
			t.Fatal(err)
		}
		lb, err := b.Step(batch(t, b, uint64(i), 16), int64(i))
		if err != nil {
			t.Fatal(err)
		}
		if !lossesClose(la, lb) {
			t.Errorf("step %d after restore: %+v, uninterrupted %+v", i, lb, la)
		}
	}
	if got := b.G.Param("decoder.main.initial-256-batchnorm.num_batches_tracked"); got != nil && got.Count != 5 {
		t.Errorf("num_batches_tracked %d after 5 steps, want 5", got.Count)
	}
	if err := b.LoadState(back[:10], 1, 1); err == nil {
		t.Error("a state with missing tensors was accepted")
	}
}

func TestNaNInputStopsWithAClearError(t *testing.T) {
	m, err := NewModel(small(1), gotch.CPU)
	if err != nil {
		t.Fatal(err)
	}
	v := randomValues(1, 16*1024)
	v[5] = float32(math.NaN())
	x, err := FromFloat32(v, []int64{16, 1, 32, 32}, gotch.CPU)
	if err != nil {
		t.Fatal(err)
	}
	_, err = m.Step(x, 0)
	if err == nil || !strings.Contains(err.Error(), "NaN") {
		t.Fatalf("NaN batch: err = %v, want a loss-is-NaN error", err)
	}
}

// TestParityWithEngine trains a few steps (so that BatchNorm's running
// statistics are not the initial 0/1), writes the generator checkpoint and
// compares the pure-Go engine, on the checkpoint and on its folded F32 model
// file, with libtorch's eval-mode forward image by image.
func TestParityWithEngine(t *testing.T) {
	tests := []struct {
		name string
		opt  Options
	}{
		{"isize 32 nc 1", testOptions(11)},
		{"isize 16 nc 3 extralayers 1", Options{Arch: modelfile.Arch{ISize: 16, NC: 3, NZ: 20, NGF: 16, ExtraLayers: 1}, NDF: 16, LR: 2e-4, Beta1: 0.5, WAdv: 1, WCon: 50, WEnc: 1, Seed: 12}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, err := NewModel(tc.opt, gotch.CPU)
			if err != nil {
				t.Fatal(err)
			}
			for i := 0; i < 4; i++ {
				if _, err := m.Step(batch(t, m, uint64(i), 16), int64(i)); err != nil {
					t.Fatal(err)
				}
			}
			a := tc.opt.Arch
			f, err := m.GeneratorFile(modelfile.Metadata{Norm: modelfile.DefaultNorm(a.NC)})
			if err != nil {
				t.Fatal(err)
			}
			// through bytes, as a saved checkpoint
			var buf strings.Builder
			if err := f.Encode(&buf); err != nil {
				t.Fatal(err)
			}
			ck, err := modelfile.Parse([]byte(buf.String()))
			if err != nil {
				t.Fatal(err)
			}
			folded, err := engine.Fold(ck)
			if err != nil {
				t.Fatal(err)
			}
			x := batch(t, m, 100, 8)
			scores, xhat, li, lo, err := m.Scores(x, Eval, true)
			if err != nil {
				t.Fatal(err)
			}
			xs, err := Float32s(x)
			if err != nil {
				t.Fatal(err)
			}
			per := a.NC * a.ISize * a.ISize
			for _, src := range []struct {
				name string
				f    *modelfile.File
			}{{"checkpoint", ck}, {"folded F32 model", folded}} {
				em, err := engine.Load(src.f)
				if err != nil {
					t.Fatalf("%s: engine.Load: %v", src.name, err)
				}
				var dx, dl float64
				for i := 0; i < 8; i++ {
					r, err := em.Forward(xs[i*per : (i+1)*per])
					if err != nil {
						t.Fatal(err)
					}
					dx = math.Max(dx, maxAbs(r.XHat, xhat[i*per:(i+1)*per]))
					dl = math.Max(dl, maxAbs(r.LatentI, li[i*a.NZ:(i+1)*a.NZ]))
					dl = math.Max(dl, maxAbs(r.LatentO, lo[i*a.NZ:(i+1)*a.NZ]))
					if rel := math.Abs(r.Score-scores[i]) / math.Max(scores[i], 1e-12); rel > parityScoreRel {
						t.Errorf("%s image %d: score %v, libtorch %v (relative %.2g)", src.name, i, r.Score, scores[i], rel)
					}
				}
				if dx > parityAbs || dl > parityAbs {
					t.Errorf("%s: max |Δx̂| %.3g, max |Δlatent| %.3g, want ≤ %g", src.name, dx, dl, parityAbs)
				}
				t.Logf("%s: max |Δx̂| %.3g, max |Δlatent| %.3g", src.name, dx, dl)
			}
		})
	}
}

func maxAbs(a, b []float32) float64 {
	m := 0.0
	for i := range a {
		m = math.Max(m, math.Abs(float64(a[i]-b[i])))
	}
	return m
}

func TestNoMemoryGrowth(t *testing.T) {
	o := small(1)
	o.Arch.NGF, o.NDF = 8, 8
	m, err := NewModel(o, gotch.CPU)
	if err != nil {
		t.Fatal(err)
	}
	x := batch(t, m, 1, 32)
	step := func(n int) {
		for i := 0; i < n; i++ {
			if _, err := m.Step(x, int64(i)); err != nil {
				t.Fatal(err)
			}
			if _, _, _, _, err := m.Scores(x, BatchStats, false); err != nil {
				t.Fatal(err)
			}
		}
	}
	step(10)
	before := rssKB(t)
	step(100)
	// gotch v0.9.1 unpatched leaks ≈ 1 MB per step at this size (see
	// scripts/gotch-env.sh); allow 40 MB of allocator noise.
	if grown := rssKB(t) - before; grown > 40_000 {
		t.Errorf("resident memory grew by %d kB over 100 steps: a tensor leak", grown)
	}
}

func rssKB(t *testing.T) int {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Skip("no /proc/self/status")
	}
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "VmRSS:") {
			var kb int
			fmt.Sscanf(strings.TrimSpace(strings.TrimPrefix(l, "VmRSS:")), "%d", &kb)
			return kb
		}
	}
	t.Skip("no VmRSS")
	return 0
}

func TestCUDAStepMatchesCPU(t *testing.T) {
	if !gotch.CUDA.IsAvailable() {
		t.Skip("no CUDA device visible to libtorch (CPU-only build or no GPU): GPU path not tested")
	}
	cpu, err := NewModel(small(4), gotch.CPU)
	if err != nil {
		t.Fatal(err)
	}
	gpu, err := NewModel(small(4), gotch.CudaBuilder(0))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		lc, err := cpu.Step(batch(t, cpu, uint64(i), 16), int64(i))
		if err != nil {
			t.Fatal(err)
		}
		lg, err := gpu.Step(batch(t, gpu, uint64(i), 16), int64(i))
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(lc.ErrG-lg.ErrG) > 1e-3*lc.ErrG || math.Abs(lc.ErrD-lg.ErrD) > 1e-3 {
			t.Errorf("step %d: CUDA %+v, CPU %+v", i, lg, lc)
		}
	}
}
