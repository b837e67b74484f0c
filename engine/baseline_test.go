package engine

import (
	"testing"

	"github.com/ganomaly-go/ganomaly/modelfile"
	"github.com/ganomaly-go/ganomaly/spec"
)

// The baseline engine's kernels (the first, simplest engine: im2col + GEMM), kept unchanged as the baseline
// that BenchmarkForwardBaseline measures in the same run as the fast path:
// im2col + 4×4 register-tiled GEMM (A packed at load, B packed per call),
// ConvTranspose2d as GEMM + col2im scatter, 1×1 layers padded to N = 4.
// TestBaselineMatchesEngine keeps it computing the same network.

const (
	baseTileM = 4
	baseTileN = 4
)

type baseWorkspace struct {
	bp []float32
	c  []float32
}

func (w *baseWorkspace) reserve(l *baseLayer) {
	if n := l.np * l.k; n > len(w.bp) {
		w.bp = make([]float32, n)
	}
	if n := l.m * l.np; n > len(w.c) {
		w.c = make([]float32, n)
	}
}

type baseLayer struct {
	spec    spec.LayerSpec
	m, k, n int       // GEMM dimensions
	mp, np  int       // m and n rounded up to the tile sizes
	ap      []float32 // packed A
	bias    []float32
}

func newBaseLayer(f foldedLayer) *baseLayer {
	s := f.spec
	l := &baseLayer{spec: s, bias: f.b}
	kk := s.K * s.K
	if s.Op == spec.Conv {
		l.m, l.k, l.n = s.OutC, s.InC*kk, s.OutH*s.OutH
	} else {
		l.m, l.k, l.n = s.OutC*kk, s.InC, s.InH*s.InH
	}
	l.mp, l.np = roundUp(l.m, baseTileM), roundUp(l.n, baseTileN)
	l.ap = make([]float32, l.mp*l.k)
	for r := 0; r < l.m; r++ {
		for c := 0; c < l.k; c++ {
			var v float32
			if s.Op == spec.Conv {
				v = f.w[r*l.k+c] // [out][in·k·k]
			} else {
				oc, q := r/kk, r%kk
				v = f.w[(c*s.OutC+oc)*kk+q] // [in][out][k][k]
			}
			l.ap[(r/baseTileM)*l.k*baseTileM+c*baseTileM+r%baseTileM] = v
		}
	}
	return l
}

func (l *baseLayer) forward(in, out []float32, ws *baseWorkspace) {
	s := l.spec
	bp := ws.bp[:l.np*l.k]
	c := ws.c[:l.m*l.np]
	if s.Op == spec.Conv {
		baseIm2col(in, bp, s, l.k, l.np)
	} else {
		basePackRows(in, bp, l.k, l.n, l.np)
	}
	gemm4x4Baseline(l.ap, bp, c, l.m, l.k, l.np)
	if s.Op == spec.Conv {
		hw := l.n
		for o := 0; o < s.OutC; o++ {
			activate(out[o*hw:(o+1)*hw], c[o*l.np:o*l.np+hw], l.bias[o], s.Act)
		}
		return
	}
	baseCol2im(c, out, s, l.np)
	hw := s.OutH * s.OutH
	for o := 0; o < s.OutC; o++ {
		ch := out[o*hw : (o+1)*hw]
		activate(ch, ch, l.bias[o], s.Act)
	}
}

// gemm4x4Baseline computes c[i][j] = Σ_k A[i][k]·B[k][j] for i < m, j < np, with A packed
// in panels of baseTileM rows (ap) and B packed in panels of baseTileN columns (bp).
// c has m rows of stride np; rows of the last panel beyond m are not stored.
func gemm4x4Baseline(ap, bp, c []float32, m, k, np int) {
	for i0 := 0; i0 < m; i0 += baseTileM {
		panel := ap[i0*k : i0*k+baseTileM*k]
		for j0 := 0; j0 < np; j0 += baseTileN {
			a, b := panel, bp[j0*k:j0*k+baseTileN*k]
			var c00, c01, c02, c03, c10, c11, c12, c13 float32
			var c20, c21, c22, c23, c30, c31, c32, c33 float32
			for len(a) >= 4 && len(b) >= 4 {
				a0, a1, a2, a3 := a[0], a[1], a[2], a[3]
				b0, b1, b2, b3 := b[0], b[1], b[2], b[3]
				c00 += float32(a0 * b0)
				c01 += float32(a0 * b1)
				c02 += float32(a0 * b2)
				c03 += float32(a0 * b3)
				c10 += float32(a1 * b0)
				c11 += float32(a1 * b1)
				c12 += float32(a1 * b2)
				c13 += float32(a1 * b3)
				c20 += float32(a2 * b0)
				c21 += float32(a2 * b1)
				c22 += float32(a2 * b2)
				c23 += float32(a2 * b3)
				c30 += float32(a3 * b0)
				c31 += float32(a3 * b1)
				c32 += float32(a3 * b2)
				c33 += float32(a3 * b3)
				a, b = a[4:], b[4:]
			}
			rows := [baseTileM][baseTileN]float32{
				{c00, c01, c02, c03}, {c10, c11, c12, c13},
				{c20, c21, c22, c23}, {c30, c31, c32, c33},
			}
			for r := 0; r < baseTileM && i0+r < m; r++ {
				dst := c[(i0+r)*np+j0 : (i0+r)*np+j0+baseTileN]
				dst[0], dst[1], dst[2], dst[3] = rows[r][0], rows[r][1], rows[r][2], rows[r][3]
			}
		}
	}
}

// baseIm2col writes the im2col matrix of in for a Conv2d baseLayer directly in
// the packed B layout: element (row q = ic·k·k + ky·k + kx, column j = oy·W + ox)
// at bp[(j/baseTileN)·K·baseTileN + q·baseTileN + j%baseTileN]. Columns past the real ones are
// zero.
func baseIm2col(in, bp []float32, s spec.LayerSpec, K, np int) {
	H, OH, k := s.InH, s.OutH, s.K
	n := OH * OH
	for j := 0; j < np; j++ {
		panel := bp[(j/baseTileN)*K*baseTileN : (j/baseTileN+1)*K*baseTileN]
		t := j % baseTileN
		if j >= n {
			for q := 0; q < K; q++ {
				panel[q*baseTileN+t] = 0
			}
			continue
		}
		oy, ox := j/OH, j%OH
		q := 0
		for ic := 0; ic < s.InC; ic++ {
			plane := in[ic*H*H : (ic+1)*H*H]
			for ky := 0; ky < k; ky++ {
				iy := oy*s.S - s.P + ky
				for kx := 0; kx < k; kx++ {
					ix := ox*s.S - s.P + kx
					var v float32
					if iy >= 0 && iy < H && ix >= 0 && ix < H {
						v = plane[iy*H+ix]
					}
					panel[q*baseTileN+t] = v
					q++
				}
			}
		}
	}
}

// basePackRows packs a row-major [K][n] matrix into the packed B layout with np
// columns (zero beyond n).
func basePackRows(in, bp []float32, K, n, np int) {
	for j0 := 0; j0 < np; j0 += baseTileN {
		panel := bp[j0*K : (j0+baseTileN)*K]
		for q := 0; q < K; q++ {
			row := in[q*n : (q+1)*n]
			for t := 0; t < baseTileN; t++ {
				var v float32
				if j0+t < n {
					v = row[j0+t]
				}
				panel[q*baseTileN+t] = v
			}
		}
	}
}

// baseCol2im scatters the ConvTranspose2d columns c (rows oc·k·k + ky·k + kx,
// columns iy·W + ix, stride np) into the output feature map out.
func baseCol2im(c, out []float32, s spec.LayerSpec, np int) {
	for i := range out {
		out[i] = 0
	}
	H, OH, k := s.InH, s.OutH, s.K
	for oc := 0; oc < s.OutC; oc++ {
		plane := out[oc*OH*OH : (oc+1)*OH*OH]
		for ky := 0; ky < k; ky++ {
			for kx := 0; kx < k; kx++ {
				row := c[((oc*k+ky)*k+kx)*np:]
				for iy := 0; iy < H; iy++ {
					oy := iy*s.S - s.P + ky
					if oy < 0 || oy >= OH {
						continue
					}
					for ix := 0; ix < H; ix++ {
						ox := ix*s.S - s.P + kx
						if ox < 0 || ox >= OH {
							continue
						}
						plane[oy*OH+ox] += row[iy*H+ix]
					}
				}
			}
		}
	}
}

// baseModel runs the generator's layers with the baseline engine's kernels.
type baseModel struct {
	layers []*baseLayer
	acts   [][]float32
	ws     baseWorkspace
}

func newBaseModel(t testing.TB, f *modelfile.File) *baseModel {
	folded, err := foldLayers(f)
	if err != nil {
		t.Fatal(err)
	}
	m := &baseModel{}
	for _, fl := range folded {
		l := newBaseLayer(fl)
		m.layers = append(m.layers, l)
		m.acts = append(m.acts, make([]float32, l.spec.OutC*l.spec.OutH*l.spec.OutH))
		m.ws.reserve(l)
	}
	return m
}

// forward returns the output of the last layer (latentO).
func (m *baseModel) forward(x []float32) []float32 {
	in := x
	for i, l := range m.layers {
		l.forward(in, m.acts[i], &m.ws)
		in = m.acts[i]
	}
	return in
}

// TestBaselineMatchesEngine keeps the benchmark's baseline honest: it
// computes the same network as the engine.
func TestBaselineMatchesEngine(t *testing.T) {
	a := modelfile.Arch{ISize: 32, NC: 3, NZ: 20, NGF: 8, ExtraLayers: 1}
	ck := testCheckpoint(t, a, 12)
	m, err := Load(ck)
	if err != nil {
		t.Fatal(err)
	}
	x := randomInput(m.InputLen(), 5)
	got := newBaseModel(t, ck).forward(x)
	r, err := m.Forward(x)
	if err != nil {
		t.Fatal(err)
	}
	if d := maxRelDiff(t, "latentO", got, r.LatentO); d > 10*naiveTol {
		t.Errorf("baseline differs from the engine: max rel diff %g", d)
	}
}
