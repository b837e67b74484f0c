package engine

import "github.com/ganomaly-go/ganomaly/spec"

// Every layer is lowered to one or more matrix products C = A·B computed by
// the register-tiled kernel in kernels.go. The lowering depends on the layer
// (newLayer picks it):
//
//   - kindWinoConv: Conv2d k4 s2 p1 (the encoders' stride-2 convolutions).
//     Split into its four input phases (polyphase / space-to-depth) it is a
//     2×2 stride-1 convolution over 4·InC channels, computed with Winograd
//     F(2×2, 2×2): 9 products of A = U_ξ [OutC][4·InC] and
//     B = V_ξ [4·InC][tiles], 9 multiplies per 2×2 output tile instead of 16;
//     or, with outputs of at least 8×8 (kindWino4Conv at lowering), with
//     F(4×4, 2×2): 25 products, 25 multiplies per 4×4 tile instead of 64.
//   - kindWinoConvT: ConvTranspose2d k4 s2 p1 (the decoder's upsampling).
//     Each of the four output phases (oy mod 2, ox mod 2) is a 2×2 stride-1
//     convolution of the input, again with Winograd F(2×2, 2×2): 4·9 products
//     of U [OutC][InC] and V [InC][tiles], or F(4×4, 2×2) (4·25 products)
//     with inputs of at least 8×8. No col2im scatter-add.
//   - kindGEMV: a layer with a 1×1 output (the encoders' final Conv2d) or a
//     1×1 input (the decoder's first ConvTranspose2d): a matrix-vector
//     product reading the input (or writing the output) in place.
//   - kindGEMM: anything else (the 3×3 extra layers): im2col + GEMM for
//     Conv2d, GEMM + col2im for ConvTranspose2d.
//
// A (weights, transformed for Winograd) is packed once at load time into
// panels of tileM rows, k-major; B is packed per call into panels of tileN
// columns, k-major, so the micro-kernel reads both sequentially. Bias and
// activation are applied as the results are stored.

const (
	tileN = 4 // columns of B per register tile (tileM is per platform: gemm_*.go)
	gemvM = 8 // rows of A per GEMV panel

	winoMinOutC = 8 // fewest output channels for which Winograd pays

	// gemmSlack is the extra capacity every packed A and B buffer has past
	// its last panel: the wasm kernel's pointers end one element past a
	// panel (see gemm_wasm.go).
	gemmSlack = 16
)

type kind int

const (
	kindGEMM kind = iota
	kindGEMV
	kindWinoConv
	kindWinoConvT
	kindWino4Conv  // kindWinoConv with F(4×4, 2×2); the layer's kind is then kindWinoConv, wm 4
	kindWino4ConvT // kindWinoConvT with F(4×4, 2×2)
)

type layer struct {
	spec    spec.LayerSpec
	kind    kind
	m, k, n int       // GEMM dimensions (per product for Winograd)
	mp, np  int       // m and n rounded up to the tile sizes
	groups  int       // number of products: 1 (GEMM), (wm+1)² for a Winograd conv (9, 25), 4(wm+1)² for a Winograd convT (36, 100)
	wm      int       // Winograd: output tile size (F(wm×wm, 2×2), wm = 2 or 4)
	tt      int       // Winograd: wm×wm output tiles per side (of each phase)
	ap      []float32 // packed A, groups × mp × k
	bias    []float32
}

// workspace holds the scratch buffers shared by all layers of one Model.
type workspace struct {
	bp  []float32 // packed B (groups × k × np)
	c   []float32 // C (groups × mp rows of stride np)
	pad []float32 // zero-padded input planes for the Winograd layers
}

func (w *workspace) reserve(l *layer) {
	grow := func(b *[]float32, n int) {
		if n > len(*b) {
			*b = make([]float32, n)
		}
	}
	grow(&w.bp, l.groups*l.k*l.np+gemmSlack)
	grow(&w.c, l.groups*l.mp*l.np)
	if l.kind == kindWinoConv || l.kind == kindWinoConvT || l.spec.Op == spec.Conv && l.spec.P == 1 {
		grow(&w.pad, l.spec.InC*(l.spec.InH+2)*(l.spec.InH+2))
	}
}

func roundUp(x, t int) int { return (x + t - 1) / t * t }

// layerKind chooses the lowering of a layer (see the comment at the top).
func layerKind(s spec.LayerSpec) kind {
	switch {
	// Winograd trades 7 of every 16 multiplies for an input transform
	// (about 30 operations per tile and input channel) shared by all output
	// channels: with few output channels (the decoder's last layer has nc)
	// the plain GEMM is cheaper, and so it is for a Conv2d with a single
	// input channel, whose 9 products have only 4 terms each (measured with
	// callgrind on the 32×32 default models: 1.0 M instructions for the GEMM
	// against 1.8 M for Winograd at nc 1, but 3.9 M against 3.1 M at nc 3).
	//
	// F(4×4, 2×2) needs 1.44× fewer multiplies than F(2×2, 2×2) but has 4×
	// fewer tiles, so it is used where each product still has at least 4
	// tile columns (n ≥ 4, outputs of at least 8×8 per phase): with fewer,
	// the GEMM degenerates to a GEMV over 2.8× larger weights.
	case s.K == 4 && s.S == 2 && s.P == 1 && s.OutC >= winoMinOutC && s.InC >= 2 && s.Op == spec.Conv && s.InH%16 == 0 && s.OutH == s.InH/2:
		return kindWino4Conv
	case s.K == 4 && s.S == 2 && s.P == 1 && s.OutC >= winoMinOutC && s.Op == spec.ConvT && s.InH%8 == 0 && s.OutH == 2*s.InH:
		return kindWino4ConvT
	case s.K == 4 && s.S == 2 && s.P == 1 && s.OutC >= winoMinOutC && s.InC >= 2 && s.Op == spec.Conv && s.InH%4 == 0 && s.OutH == s.InH/2:
		return kindWinoConv
	case s.K == 4 && s.S == 2 && s.P == 1 && s.OutC >= winoMinOutC && s.Op == spec.ConvT && s.InH%2 == 0 && s.OutH == 2*s.InH:
		return kindWinoConvT
	case s.Op == spec.Conv && s.P == 0 && s.K == s.InH && s.OutH == 1:
		return kindGEMV // the im2col column is the input itself, in CHW order
	case s.Op == spec.ConvT && s.P == 0 && s.InH == 1 && s.OutH == s.K:
		return kindGEMV // the GEMM's output rows (oc, ky, kx) are the output in CHW order
	}
	return kindGEMM
}

func newLayer(f foldedLayer) *layer { return newLayerAs(f, layerKind(f.spec)) }

// newLayerAs lowers a layer with the given kind, which must suit it (see
// layerKind); kindGEMM suits every layer.
func newLayerAs(f foldedLayer, k kind) *layer {
	s := f.spec
	l := &layer{spec: s, bias: f.b, kind: k, groups: 1}
	kk := s.K * s.K
	switch l.kind {
	case kindWinoConv:
		l.newWinoConv(f.w, 2)
		return l
	case kindWinoConvT:
		l.newWinoConvT(f.w, 2)
		return l
	case kindWino4Conv:
		l.kind = kindWinoConv
		l.newWinoConv(f.w, 4)
		return l
	case kindWino4ConvT:
		l.kind = kindWinoConvT
		l.newWinoConvT(f.w, 4)
		return l
	}
	if s.Op == spec.Conv {
		l.m, l.k, l.n = s.OutC, s.InC*kk, s.OutH*s.OutH
	} else {
		l.m, l.k, l.n = s.OutC*kk, s.InC, s.InH*s.InH
	}
	rows := tileM
	if l.kind == kindGEMV {
		rows = gemvM
		l.np = 1
	} else {
		l.np = roundUp(l.n, tileN)
	}
	l.mp = roundUp(l.m, rows)
	l.ap = make([]float32, l.mp*l.k, l.mp*l.k+gemmSlack)
	for r := 0; r < l.m; r++ {
		l.packRow(f.w, r, rows)
	}
	return l
}

// packRow packs row r of A into panels of rows rows (a function of its own
// for the reason given at packWinoConv).
//
//go:noinline
func (l *layer) packRow(w []float32, r, rows int) {
	s := l.spec
	kk := s.K * s.K
	dst := (r/rows)*l.k*rows + r%rows
	if s.Op == spec.Conv {
		for c, v := range w[r*l.k : (r+1)*l.k] { // [out][in·k·k]
			l.ap[dst+c*rows] = v
		}
		return
	}
	oc, q := r/kk, r%kk
	for c := 0; c < l.k; c++ {
		l.ap[dst+c*rows] = w[(c*s.OutC+oc)*kk+q] // [in][out][k][k]
	}
}

// forward computes the layer's output (CHW) from in (CHW) into out.
func (l *layer) forward(in, out []float32, ws *workspace) {
	switch l.kind {
	case kindWinoConv:
		l.forwardWinoConv(in, out, ws)
		return
	case kindWinoConvT:
		l.forwardWinoConvT(in, out, ws)
		return
	}
	s := l.spec
	if l.kind == kindGEMV {
		if s.Op == spec.Conv {
			c := ws.c[:l.mp]
			gemv(l.ap, in[:l.k], c, l.mp, l.k)
			for o := 0; o < s.OutC; o++ { // one value per channel
				c[o] += l.bias[o]
			}
			activate(out[:s.OutC], c, 0, s.Act)
			return
		}
		c := ws.c[:l.mp]
		gemv(l.ap, in[:l.k], c, l.mp, l.k)
		hw := s.OutH * s.OutH
		for o := 0; o < s.OutC; o++ {
			activate(out[o*hw:(o+1)*hw], c[o*hw:(o+1)*hw], l.bias[o], s.Act)
		}
		return
	}
	bp := ws.bp[:l.np*l.k]
	c := ws.c[:l.mp*l.np]
	if s.Op == spec.Conv {
		im2colPacked(in, bp, ws.pad, s, l.k, l.np)
	} else {
		packRows(in, bp, l.k, l.n, l.np)
	}
	gemm(l.ap, bp, c, l.mp, l.k, l.np)
	if s.Op == spec.Conv {
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
