package train

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/ganomaly-go/ganomaly/modelfile"
)

// BenchmarkStep is training speed at the reference size: batch 64, isize
// 32, nc 1, nz 100, ngf = ndf, with one and two workers (docs/gotrain.md).
func BenchmarkStep(b *testing.B) {
	for _, ngf := range []int{8, 16} {
		for _, workers := range []int{1, 2} {
			b.Run(fmt.Sprintf("b64-32x32x1-nz100-ngf%d-workers%d", ngf, workers), func(b *testing.B) {
				a := modelfile.Arch{ISize: 32, NC: 1, NZ: 100, NGF: ngf}
				opt := DefaultOptions(a)
				opt.Workers = workers
				tr, err := New(opt)
				if err != nil {
					b.Fatal(err)
				}
				defer tr.Close()
				x := blobs(rand.New(rand.NewPCG(1, 1)), 64, a)
				if _, err := tr.Step(x); err != nil { // warm-up: buffers
					b.Fatal(err)
				}
				b.ResetTimer()
				for range b.N {
					if _, err := tr.Step(x); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(64*b.N)/b.Elapsed().Seconds(), "images/s")
				b.ReportMetric(0, "ns/op")
			})
		}
	}
}
