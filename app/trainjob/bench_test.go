package trainjob

import (
	"fmt"
	"testing"
)

// BenchmarkTrainStep is one training step of the class demo's model (batch
// 64, isize 32, nc 1, nz 100, ngf = ndf = 16) on MNIST digits; make
// bench-train reports it as images/s beside the same step in Chromium.
func BenchmarkTrainStep(b *testing.B) {
	st := DefaultSettings()
	st.Epochs = 1000
	j := mnistJob(b, loadSubset(b), st)
	if _, err := j.Step(); err != nil { // warm-up: buffers are sized by the first batch
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := j.Step(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*st.Batch)/b.Elapsed().Seconds(), "images/s")
}

// BenchmarkEvaluate is one evaluation of the class demo (the eval-mode
// scores of the 360 held-out normals and the 1400 test digits, the
// histograms, the strip) after recomputing BatchNorm's statistics over k
// training batches, after a few steps; docs/app.md compares k.
func BenchmarkEvaluate(b *testing.B) {
	for _, k := range []int{0, 2, 8} {
		b.Run(fmt.Sprintf("recompute_bn=%d", k), func(b *testing.B) {
			st := DefaultSettings()
			st.RecomputeBN = k
			j := mnistJob(b, loadSubset(b), st)
			for i := 0; i < 3; i++ {
				if _, err := j.Step(); err != nil {
					b.Fatal(err)
				}
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := j.Evaluate(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
