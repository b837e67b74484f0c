package engine

import (
	"fmt"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/ganomaly-go/ganomaly/modelfile"
	"github.com/ganomaly-go/ganomaly/spec"
)

// Benchmarks for the default architectures (isize 32, nz 100, ngf 64) at
// nc 1 and 3. Each reports ms/image and GFLOP/s (2 FLOPs per multiply-add of
// the direct convolution, whatever the algorithm: Winograd layers do fewer
// multiplies, so their GFLOP/s is "effective").
//
// Two baselines run the same network in the same run:
//   - BenchmarkForwardBaseline: the baseline engine (im2col +
//     4×4 register-tiled GEMM + col2im, kept in baseline_test.go);
//   - BenchmarkDirect: a plain direct convolution (float32, folded weights,
//     no tiling).
//
// BenchmarkSpeedup alternates the engine and the baseline engine image by
// image and reports the ratio of their median times, which stays meaningful
// on a machine whose load changes during the run. `make bench` prints all
// the ratios.

var benchArchs = []modelfile.Arch{
	{ISize: 32, NC: 1, NZ: 100, NGF: 64},
	{ISize: 32, NC: 3, NZ: 100, NGF: 64},
}

// benchEachArch runs body as one sub-benchmark per entry of benchArchs
// (named isize×isize×nc), given the model (seed 1) and a random input on
// which one warm-up forward pass has run.
func benchEachArch(b *testing.B, body func(b *testing.B, a modelfile.Arch, m *Model, x []float32)) {
	for _, a := range benchArchs {
		b.Run(fmt.Sprintf("%dx%dx%d", a.ISize, a.ISize, a.NC), func(b *testing.B) {
			m, err := Load(Init(a, 1))
			if err != nil {
				b.Fatal(err)
			}
			x := randomInput(m.InputLen(), 1)
			if _, err := m.Forward(x); err != nil {
				b.Fatal(err)
			}
			body(b, a, m, x)
		})
	}
}

func report(b *testing.B, macs int64) {
	ns := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
	b.ReportMetric(ns/1e6, "ms/image")
	b.ReportMetric(2*float64(macs)/ns, "GFLOP/s")
	b.ReportMetric(0, "ns/op")
}

func BenchmarkForward(b *testing.B) {
	benchEachArch(b, func(b *testing.B, _ modelfile.Arch, m *Model, x []float32) {
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			if _, err := m.Forward(x); err != nil {
				b.Fatal(err)
			}
		}
		report(b, m.MACs())
	})
}

func BenchmarkForwardBaseline(b *testing.B) {
	for _, a := range benchArchs {
		b.Run(fmt.Sprintf("%dx%dx%d", a.ISize, a.ISize, a.NC), func(b *testing.B) {
			m := newBaseModel(b, Init(a, 1))
			var macs int64
			for _, l := range m.layers {
				macs += l.spec.MACs()
			}
			x := randomInput(a.NC*a.ISize*a.ISize, 1)
			m.forward(x) // warm-up
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				m.forward(x)
			}
			report(b, macs)
		})
	}
}

func BenchmarkSpeedup(b *testing.B) {
	benchEachArch(b, func(b *testing.B, a modelfile.Arch, m *Model, x []float32) {
		base := newBaseModel(b, Init(a, 1))
		base.forward(x)
		fast := make([]time.Duration, 0, b.N)
		slow := make([]time.Duration, 0, b.N)
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			t0 := time.Now()
			if _, err := m.Forward(x); err != nil {
				b.Fatal(err)
			}
			t1 := time.Now()
			base.forward(x)
			fast, slow = append(fast, t1.Sub(t0)), append(slow, time.Since(t1))
		}
		median := func(d []time.Duration) float64 {
			slices.Sort(d)
			return float64(d[len(d)/2].Nanoseconds())
		}
		mf, ms := median(fast), median(slow)
		b.ReportMetric(mf/1e6, "ms/image")
		b.ReportMetric(ms/1e6, "baseline-ms/image")
		b.ReportMetric(ms/mf, "speedup")
		b.ReportMetric(0, "ns/op")
	})
}

// BenchmarkThroughput runs W goroutines, each with its own Clone of one
// model (the weights are shared), splitting b.N images between them, for
// W = 1 and W = GOMAXPROCS, and reports images/s: the batch view's scaling
// with one worker per core. (In the browser, where Go's wasm has no threads,
// the same shape is one Web Worker per core, each with its own engine.)
func BenchmarkThroughput(b *testing.B) {
	a := benchArchs[0]
	m, err := Load(Init(a, 1))
	if err != nil {
		b.Fatal(err)
	}
	for _, w := range slices.Compact([]int{1, runtime.GOMAXPROCS(0)}) {
		b.Run(fmt.Sprintf("%dx%dx%d/workers=%d", a.ISize, a.ISize, a.NC, w), func(b *testing.B) {
			clones := make([]*Model, w)
			for i := range clones {
				clones[i] = m.Clone()
				clones[i].Forward(randomInput(m.InputLen(), 1)) // warm-up
			}
			b.ResetTimer()
			var wg sync.WaitGroup
			for i, c := range clones {
				n := b.N / w
				if i < b.N%w {
					n++
				}
				wg.Add(1)
				go func() {
					defer wg.Done()
					x := randomInput(c.InputLen(), uint64(i))
					for range n {
						if _, err := c.Forward(x); err != nil {
							b.Error(err)
							return
						}
					}
				}()
			}
			wg.Wait()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "images/s")
			b.ReportMetric(0, "ns/op")
		})
	}
}

// directLayer is a direct (naive) float32 convolution with folded weights.
func directLayer(l foldedLayer, in, out []float32) {
	s := l.spec
	H, OH, k := s.InH, s.OutH, s.K
	if s.Op == spec.Conv {
		for o := 0; o < s.OutC; o++ {
			for y := 0; y < OH; y++ {
				for x := 0; x < OH; x++ {
					sum := l.b[o]
					for i := 0; i < s.InC; i++ {
						for ky := 0; ky < k; ky++ {
							iy := y*s.S - s.P + ky
							if iy < 0 || iy >= H {
								continue
							}
							for kx := 0; kx < k; kx++ {
								ix := x*s.S - s.P + kx
								if ix < 0 || ix >= H {
									continue
								}
								sum += l.w[((o*s.InC+i)*k+ky)*k+kx] * in[(i*H+iy)*H+ix]
							}
						}
					}
					out[(o*OH+y)*OH+x] = sum
				}
			}
		}
	} else {
		for o := 0; o < s.OutC; o++ {
			for p := o * OH * OH; p < (o+1)*OH*OH; p++ {
				out[p] = l.b[o]
			}
		}
		for i := 0; i < s.InC; i++ {
			for y := 0; y < H; y++ {
				for x := 0; x < H; x++ {
					v := in[(i*H+y)*H+x]
					for o := 0; o < s.OutC; o++ {
						for ky := 0; ky < k; ky++ {
							oy := y*s.S - s.P + ky
							if oy < 0 || oy >= OH {
								continue
							}
							for kx := 0; kx < k; kx++ {
								ox := x*s.S - s.P + kx
								if ox < 0 || ox >= OH {
									continue
								}
								out[(o*OH+oy)*OH+ox] += v * l.w[((i*s.OutC+o)*k+ky)*k+kx]
							}
						}
					}
				}
			}
		}
	}
	activate(out, out, 0, s.Act)
}

func BenchmarkDirect(b *testing.B) {
	for _, a := range benchArchs {
		b.Run(fmt.Sprintf("%dx%dx%d", a.ISize, a.ISize, a.NC), func(b *testing.B) {
			layers, err := foldLayers(Init(a, 1))
			if err != nil {
				b.Fatal(err)
			}
			bufs := make([][]float32, len(layers))
			var macs int64
			for i, l := range layers {
				bufs[i] = make([]float32, l.spec.OutC*l.spec.OutH*l.spec.OutH)
				macs += l.spec.MACs()
			}
			x := randomInput(a.NC*a.ISize*a.ISize, 1)
			b.ResetTimer()
			for n := 0; n < b.N; n++ {
				in := x
				for i, l := range layers {
					directLayer(l, in, bufs[i])
					in = bufs[i]
				}
			}
			report(b, macs)
		})
	}
}

// TestDirectMatchesEngine keeps the benchmark's baseline honest: it computes
// the same network.
func TestDirectMatchesEngine(t *testing.T) {
	a := modelfile.Arch{ISize: 16, NC: 3, NZ: 8, NGF: 4, ExtraLayers: 1}
	ck := testCheckpoint(t, a, 11)
	layers, _ := foldLayers(ck)
	m, _ := Load(ck)
	x := randomInput(m.InputLen(), 4)
	in := x
	for _, l := range layers {
		out := make([]float32, l.spec.OutC*l.spec.OutH*l.spec.OutH)
		directLayer(l, in, out)
		in = out
	}
	r, _ := m.Forward(x)
	if d := maxRelDiff(t, "latentO", in, r.LatentO); d > 10*naiveTol {
		t.Errorf("direct baseline differs from the engine: %g", d)
	}
}
