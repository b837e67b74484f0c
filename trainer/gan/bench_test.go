package gan

import (
	"math/rand/v2"
	"testing"

	"github.com/ganomaly-go/ganomaly/modelfile"
	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/ts"
)

func testOptions(seed int64) Options {
	return Options{Arch: modelfile.Arch{ISize: 32, NC: 1, NZ: 100, NGF: 64}, NDF: 64, LR: 2e-4, Beta1: 0.5, WAdv: 1, WCon: 50, WEnc: 1, Seed: seed}
}

func randomBatch(t testing.TB, seed uint64, n int) []float32 { return randomValues(seed, n*32*32) }

// randomValues are uniform in [-1, 1], the range of normalised images.
func randomValues(seed uint64, n int) []float32 {
	rng := rand.New(rand.NewPCG(seed, 7))
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(rng.Float64()*2 - 1)
	}
	return x
}

// likeTheTrainer runs a benchmark body as the trainer runs its epochs: one Go
// processor, every libtorch call on the torch thread.
func likeTheTrainer(body func()) {
	defer OneGoProcessor()()
	OnTorchThread(body)
}

// BenchmarkStep measures one training step at batch 64, isize 32, nc 1 on the
// CPU; images/s = 64 / (ns/op · 1e-9).
func BenchmarkStep(b *testing.B) {
	likeTheTrainer(func() {
		m, x := newModel(b, testOptions(1)), benchBatch(b)
		for i := 0; i < 3; i++ {
			if _, err := m.Step(x, int64(i)); err != nil {
				b.Fatal(err)
			}
		}
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			if _, err := m.Step(x, int64(i)); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(64*b.N)/b.Elapsed().Seconds(), "img/s")
	})
}

func newModel(tb testing.TB, o Options) *Model {
	m, err := NewModel(o, gotch.CPU)
	if err != nil {
		tb.Fatal(err)
	}
	return m
}

// benchBatch is a random batch of 64 images, 1×32×32, on the CPU.
func benchBatch(tb testing.TB) *ts.Tensor {
	x, err := FromFloat32(randomBatch(tb, 1, 64), []int64{64, 1, 32, 32}, gotch.CPU)
	if err != nil {
		tb.Fatal(err)
	}
	return x
}
