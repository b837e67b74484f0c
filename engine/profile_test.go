package engine

import (
	"fmt"
	"strings"
	"testing"

	"github.com/ganomaly-go/ganomaly/modelfile"
	"github.com/ganomaly-go/ganomaly/spec"
)

// BenchmarkLayers is the per-layer profile of one forward pass of the default
// architectures, for docs/engine-speed.md: each layer on its own (its real
// input, the workspace of a loaded Model), the Winograd layers split into
// their stages, and what Forward does besides the layers (the input copy,
// the score and the heat map). Run it natively or in wasm:
//
//	go test -run '^$' -bench '^BenchmarkLayers$' -benchtime 200x ./engine
//	PATH=$(go env GOROOT)/lib/wasm:$PATH GOOS=js GOARCH=wasm go test -run '^$' -bench '^BenchmarkLayers$' -benchtime 200x ./engine
//
// Every sub-benchmark reports µs per image; `make bench` does not run it.
func BenchmarkLayers(b *testing.B) {
	benchEachArch(b, func(b *testing.B, _ modelfile.Arch, m *Model, x []float32) {
		us := func(b *testing.B) {
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/1e3, "µs/image")
			b.ReportMetric(0, "ns/op")
		}
		b.Run("forward", func(b *testing.B) {
			for range b.N {
				m.Forward(x)
			}
			us(b)
		})
		in := m.x
		acts := m.outputs()
		for i, l := range m.layers() {
			s := l.spec
			name := fmt.Sprintf("%02d-%s-%s-%d-%d", i, s.Part, strings.ToLower(s.Op.String()), s.InC, s.OutC)
			lin, out := in, acts[i]
			b.Run(name, func(b *testing.B) {
				for range b.N {
					l.forward(lin, out, &m.ws)
				}
				us(b)
			})
			stages := map[kind][]stage{kindWinoConv: winoStages, kindWinoConvT: winoStages, kindGEMM: gemmStages}[l.kind]
			{
				for _, st := range stages {
					b.Run(name+"/"+st.name, func(b *testing.B) {
						for range b.N {
							st.run(l, lin, out, &m.ws)
						}
						us(b)
					})
				}
			}
			in = out
		}
		b.Run("score-and-diff", func(b *testing.B) {
			for range b.N {
				m.scoreAndDiff()
			}
			us(b)
		})
	})
}

// winoStages are the stages of forwardWinoConv and forwardWinoConvT, run on
// their own (each reads what the previous one left in the workspace).
type stage struct {
	name string
	run  func(l *layer, in, out []float32, ws *workspace)
}

var winoStages = []stage{
	{"pad", func(l *layer, in, out []float32, ws *workspace) { PadPlanes(in, ws.pad, l.spec.InC, l.spec.InH) }},
	{"input-transform", func(l *layer, in, out []float32, ws *workspace) { l.winoInput(ws) }},
	{"gemm", func(l *layer, in, out []float32, ws *workspace) {
		l.gemms(ws.bp[:l.groups*l.k*l.np], ws.c[:l.groups*l.mp*l.np])
	}},
	{"output-transform+act", func(l *layer, in, out []float32, ws *workspace) { l.winoOutput(out, ws) }},
}

// gemmStages are the stages of a kindGEMM layer's forward.
var gemmStages = []stage{
	{"pack", func(l *layer, in, out []float32, ws *workspace) {
		if l.spec.Op == spec.Conv {
			im2colPacked(in, ws.bp, ws.pad, l.spec, l.k, l.np)
		} else {
			packRows(in, ws.bp, l.k, l.n, l.np)
		}
	}},
	{"gemm", func(l *layer, in, out []float32, ws *workspace) { gemm(l.ap, ws.bp, ws.c, l.mp, l.k, l.np) }},
	{"col2im", func(l *layer, in, out []float32, ws *workspace) {
		if l.spec.Op == spec.ConvT {
			col2im(ws.c, out, l.spec, l.np)
		}
	}},
	{"act", func(l *layer, in, out []float32, ws *workspace) {
		hw := l.spec.OutH * l.spec.OutH
		for o := 0; o < l.spec.OutC; o++ {
			ch := out[o*hw : (o+1)*hw]
			activate(ch, ch, l.bias[o], l.spec.Act)
		}
	}},
}

// BenchmarkLowerings times every lowering that suits each layer of the
// default architectures (the measured ground for layerKind's choices):
//
//	go test -run '^$' -bench '^BenchmarkLowerings$' -benchtime 200x ./engine
func BenchmarkLowerings(b *testing.B) {
	names := map[kind]string{kindGEMM: "gemm", kindGEMV: "gemv", kindWinoConv: "f2", kindWinoConvT: "f2", kindWino4Conv: "f4", kindWino4ConvT: "f4"}
	for _, a := range benchArchs {
		folded, err := foldLayers(Init(a, 1))
		if err != nil {
			b.Fatal(err)
		}
		for i, fl := range folded {
			s := fl.spec
			kinds := []kind{kindGEMM}
			if s.K == 4 && s.S == 2 && s.P == 1 && s.Op == spec.Conv && s.InH%4 == 0 {
				kinds = append(kinds, kindWinoConv)
				if s.InH%8 == 0 {
					kinds = append(kinds, kindWino4Conv)
				}
			}
			if s.K == 4 && s.S == 2 && s.P == 1 && s.Op == spec.ConvT && s.InH%2 == 0 {
				kinds = append(kinds, kindWinoConvT)
				if s.InH%4 == 0 {
					kinds = append(kinds, kindWino4ConvT)
				}
			}
			if len(kinds) == 1 {
				continue
			}
			in := randomInput(s.InC*s.InH*s.InH, uint64(i))
			out := make([]float32, s.OutC*s.OutH*s.OutH)
			for _, k := range kinds {
				l := newLayerAs(fl, k)
				var ws workspace
				ws.reserve(l)
				mark := ""
				if k == layerKind(s) {
					mark = "*"
				}
				b.Run(fmt.Sprintf("%dx%dx%d/%02d-%s-%d-%d/%s%s", a.ISize, a.ISize, a.NC, i, strings.ToLower(s.Op.String()), s.InC, s.OutC, names[k], mark), func(b *testing.B) {
					for range b.N {
						l.forward(in, out, &ws)
					}
					b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/1e3, "µs/layer")
					b.ReportMetric(0, "ns/op")
				})
			}
		}
	}
}
