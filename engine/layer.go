package engine

// A layer is lowered to C = A·B:
//
//	Conv2d:          A = W as [OutC][InC·k·k],  B = im2col(x) [InC·k·k][OutH·OutW]
//	ConvTranspose2d: A = Wᵀ as [OutC·k·k][InC], B = x [InC][InH·InW], then col2im
//
// A is packed once at load time into panels of tileM rows, k-major, and B is
// packed per call into panels of tileN columns, so the micro-kernel reads
// both sequentially.

const (
	tileM = 4
	tileN = 4
)

type layer struct {
	spec    LayerSpec
	m, k, n int       // GEMM dimensions
	mp, np  int       // m and n rounded up to the tile sizes
	ap      []float32 // packed A
	bias    []float32
}

// workspace holds the scratch buffers shared by all layers of one Model.
type workspace struct {
	bp []float32 // packed B
	c  []float32 // C, m rows of stride np
}

func (w *workspace) reserve(l *layer) {
	if n := l.np * l.k; n > len(w.bp) {
		w.bp = make([]float32, n)
	}
	if n := l.m * l.np; n > len(w.c) {
		w.c = make([]float32, n)
	}
}

func roundUp(x, t int) int { return (x + t - 1) / t * t }

func newLayer(f foldedLayer) *layer {
	s := f.spec
	l := &layer{spec: s, bias: f.b}
	kk := s.K * s.K
	if s.Op == Conv {
		l.m, l.k, l.n = s.OutC, s.InC*kk, s.OutH*s.OutH
	} else {
		l.m, l.k, l.n = s.OutC*kk, s.InC, s.InH*s.InH
	}
	l.mp, l.np = roundUp(l.m, tileM), roundUp(l.n, tileN)
	l.ap = make([]float32, l.mp*l.k)
	for r := 0; r < l.m; r++ {
		for c := 0; c < l.k; c++ {
			var v float32
			if s.Op == Conv {
				v = f.w[r*l.k+c] // [out][in·k·k]
			} else {
				oc, q := r/kk, r%kk
				v = f.w[(c*s.OutC+oc)*kk+q] // [in][out][k][k]
			}
			l.ap[(r/tileM)*l.k*tileM+c*tileM+r%tileM] = v
		}
	}
	return l
}

// forward computes the layer's output (CHW) from in (CHW) into out.
func (l *layer) forward(in, out []float32, ws *workspace) {
	s := l.spec
	bp := ws.bp[:l.np*l.k]
	c := ws.c[:l.m*l.np]
	if s.Op == Conv {
		im2colPacked(in, bp, s, l.k, l.np)
	} else {
		packRows(in, bp, l.k, l.n, l.np)
	}
	gemm(l.ap, bp, c, l.m, l.k, l.np)
	if s.Op == Conv {
		hw := l.n
		for o := 0; o < s.OutC; o++ {
			activate(out[o*hw:(o+1)*hw], c[o*l.np:o*l.np+hw], l.bias[o], s.Act)
		}
		return
	}
	col2im(c, out, s, l.np)
	hw := s.OutH * s.OutH
	for o := 0; o < s.OutC; o++ {
		ch := out[o*hw : (o+1)*hw]
		activate(ch, ch, l.bias[o], s.Act)
	}
}
