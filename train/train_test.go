package train

import (
	"errors"
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"

	"github.com/ganomaly-go/ganomaly/engine"
	"github.com/ganomaly-go/ganomaly/modelfile"
)

var smallArch = modelfile.Arch{ISize: 16, NC: 1, NZ: 8, NGF: 4}

// blobs makes a batch of b smooth random images in [-1, 1] (NCHW).
func blobs(rng *rand.Rand, b int, a modelfile.Arch) []float32 {
	x := make([]float32, b*a.NC*a.ISize*a.ISize)
	for i := 0; i < b; i++ {
		for c := 0; c < a.NC; c++ {
			cx, cy, r := 0.3+0.4*rng.Float64(), 0.3+0.4*rng.Float64(), 0.15+0.15*rng.Float64()
			for y := 0; y < a.ISize; y++ {
				for xx := 0; xx < a.ISize; xx++ {
					dx, dy := float64(xx)/float64(a.ISize)-cx, float64(y)/float64(a.ISize)-cy
					v := 2*expAny(-(dx*dx+dy*dy)/(2*r*r)) - 1
					x[((i*a.NC+c)*a.ISize+y)*a.ISize+xx] = float32(v)
				}
			}
		}
	}
	return x
}

// weightsHash hashes G's and D's state dicts after steps of training.
func trainHash(t *testing.T, a modelfile.Arch, steps int) (uint64, []Losses) {
	opt := DefaultOptions(a)
	opt.Seed = 7
	tr, err := New(opt)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 1))
	var ls []Losses
	for s := 0; s < steps; s++ {
		l, err := tr.Step(blobs(rng, 8, a))
		if err != nil {
			t.Fatal(err)
		}
		ls = append(ls, l)
	}
	h := fnv.New64a()
	for _, ts := range append(tr.tensorsG(""), tr.tensorsD("")...) {
		h.Write([]byte(ts.Name))
		h.Write(ts.Data)
	}
	return h.Sum64(), ls
}

// goldenTrainHash is the hash of the weights after three steps of
// TestBitIdenticalEverywhere: the same natively and in WebAssembly
// (scripts/test-wasm.sh runs this test under node). A change to the
// arithmetic of any layer, loss or Adam changes it.
const goldenTrainHash = 0x3e0ddce8218b34d3

func TestBitIdenticalEverywhere(t *testing.T) {
	h, _ := trainHash(t, smallArch, 3)
	h2, _ := trainHash(t, smallArch, 3)
	if h != h2 {
		t.Fatalf("two runs with the same seed differ: %#x and %#x", h, h2)
	}
	if h != goldenTrainHash {
		t.Errorf("weights after 3 steps hash to %#x, want %#x (the same on every platform)", h, goldenTrainHash)
	}
}

func TestLossesFallAndStepAllocatesNothing(t *testing.T) {
	a := modelfile.Arch{ISize: 16, NC: 1, NZ: 16, NGF: 8}
	opt := DefaultOptions(a)
	opt.Workers = 2
	tr, err := New(opt)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	rng := rand.New(rand.NewPCG(2, 2))
	x := blobs(rng, 16, a)
	first, err := tr.Step(x)
	if err != nil {
		t.Fatal(err)
	}
	var last Losses
	for i := 0; i < 30; i++ {
		if last, err = tr.Step(x); err != nil {
			t.Fatal(err)
		}
	}
	if !(last.ErrGCon < 0.9*first.ErrGCon) {
		t.Errorf("reconstruction loss %v after 31 steps on one batch, want below 0.9 of the first %v", last.ErrGCon, first.ErrGCon)
	}
	if allocs := testing.AllocsPerRun(3, func() { tr.Step(x) }); allocs > 0 {
		t.Errorf("Step allocates %v times per call after warm-up, want 0", allocs)
	}
	if tr.Steps() != 31+4 {
		t.Errorf("Steps() = %d, want 35", tr.Steps())
	}
}

func TestCheckpointIsReadByTheEngine(t *testing.T) {
	tr, err := New(DefaultOptions(smallArch))
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(3, 3))
	for i := 0; i < 3; i++ {
		if _, err := tr.Step(blobs(rng, 8, smallArch)); err != nil {
			t.Fatal(err)
		}
	}
	f := tr.GeneratorFile(modelfile.Metadata{})
	if f.Meta.Kind != modelfile.KindCheckpoint {
		t.Errorf("kind %q, want checkpoint", f.Meta.Kind)
	}
	if n := f.Tensor("encoder1.main.pyramid-8-batchnorm.num_batches_tracked"); n == nil {
		t.Fatal("the checkpoint has no num_batches_tracked")
	}
	m, err := tr.Model()
	if err != nil {
		t.Fatal(err)
	}
	// Eval-mode scores of the trainer against the engine on the same images.
	x := blobs(rng, 4, smallArch)
	got, err := tr.Scores(x, Eval)
	if err != nil {
		t.Fatal(err)
	}
	n := tr.InputLen()
	for i := 0; i < 4; i++ {
		r, err := m.Forward(x[i*n : (i+1)*n])
		if err != nil {
			t.Fatal(err)
		}
		if d := math.Abs(float64(got[i]) - r.Score); d > 1e-4*math.Max(r.Score, 1e-6) {
			t.Errorf("image %d: trainer's eval-mode score %v, engine's %v", i, got[i], r.Score)
		}
	}
	// a round trip through the file
	tr2, _ := New(DefaultOptions(smallArch))
	if err := tr2.LoadGenerator(f.Tensor); err != nil {
		t.Fatal(err)
	}
	s2, _ := tr2.Scores(x, Eval)
	for i := range s2 {
		if s2[i] != got[i] {
			t.Fatalf("scores after LoadGenerator differ: %v vs %v", s2, got)
		}
	}
	if _, err := engine.Load(f); err != nil {
		t.Errorf("engine.Load(checkpoint): %v", err)
	}
}

func TestBadInput(t *testing.T) {
	tr, err := New(DefaultOptions(smallArch))
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []int{0, 1, tr.InputLen(), tr.InputLen()*3 + 1} {
		if _, err := tr.Step(make([]float32, n)); err == nil {
			t.Errorf("Step with %d values: no error", n)
		}
	}
	x := blobs(rand.New(rand.NewPCG(4, 4)), 4, smallArch)
	x[5] = float32(math.NaN())
	state := func() string {
		var b strings.Builder
		for _, ts := range append(tr.tensorsG(""), tr.tensorsD("")...) {
			fmt.Fprintf(&b, "%s %x\n", ts.Name, ts.Data)
		}
		return b.String()
	}
	if _, err := tr.Step(blobs(rand.New(rand.NewPCG(4, 5)), 4, smallArch)); err != nil {
		t.Fatal(err)
	}
	before := state()
	if _, err := tr.Step(x); !errors.Is(err, ErrDiverged) {
		t.Errorf("Step on a NaN image: %v, want ErrDiverged", err)
	}
	if state() != before {
		t.Error("a diverged step changed the weights or the running statistics")
	}
	if _, err := New(Options{Arch: modelfile.Arch{ISize: 20, NC: 1, NZ: 8, NGF: 4}, NDF: 4}); err == nil {
		t.Error("New with isize 20: no error")
	}
}

func TestWorkersGiveTheSameWeights(t *testing.T) {
	a := modelfile.Arch{ISize: 32, NC: 1, NZ: 16, NGF: 8}
	hash := func(workers int) uint64 {
		opt := DefaultOptions(a)
		opt.Workers = workers
		tr, err := New(opt)
		if err != nil {
			t.Fatal(err)
		}
		defer tr.Close()
		rng := rand.New(rand.NewPCG(5, 5))
		for s := 0; s < 2; s++ {
			if _, err := tr.Step(blobs(rng, 16, a)); err != nil {
				t.Fatal(err)
			}
		}
		h := fnv.New64a()
		for _, ts := range tr.tensorsG("") {
			h.Write(ts.Data)
		}
		return h.Sum64()
	}
	if h1, h3 := hash(1), hash(3); h1 != h3 {
		t.Errorf("weights with 1 and 3 workers differ: %#x and %#x", h1, h3)
	}
}

func TestMemoryBytesIsAnEstimate(t *testing.T) {
	a := modelfile.Arch{ISize: 32, NC: 1, NZ: 100, NGF: 8}
	opt := DefaultOptions(a)
	want, err := MemoryBytes(opt, 32)
	if err != nil {
		t.Fatal(err)
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	tr, err := New(opt)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tr.Step(blobs(rand.New(rand.NewPCG(6, 6)), 32, a)); err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&after)
	got := int64(after.TotalAlloc - before.TotalAlloc)
	t.Logf("MemoryBytes %d, allocated %d", want, got)
	if float64(want) < 0.8*float64(got) || float64(want) > 1.5*float64(got) {
		t.Errorf("MemoryBytes = %d, but New and a first step allocate %d", want, got)
	}
	runtime.KeepAlive(tr)
}
