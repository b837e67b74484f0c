package train

import (
	"unsafe"

	"github.com/ganomaly-go/ganomaly/engine"
	"github.com/ganomaly-go/ganomaly/spec"
)

// Stride-2 4×4 convolutions with padding 1 (GANomaly's pyramid layers) as
// polyphase Winograd F(2×2, 2×2), for the forward pass and both backward
// products.
//
// Both kinds of layer relate a big side (C channels of H×H, H = 2h) and a
// small side (O channels of h×h) through one linear map with the weight
// w[o][c][ky][kx] (PyTorch's layout for Conv2d [out][in] and ConvTranspose2d
// [in][out] alike):
//
//	L(big)[o][y][x] = Σ_c,ky,kx w[o][c][ky][kx] · big[c][2y−1+ky][2x−1+kx]
//
// Conv2d computes L, its input gradient Lᵀ; ConvTranspose2d computes Lᵀ, its
// input gradient L; the weight gradient of both is
// dw[o][c][ky][kx] = Σ small[o][y][x] · big[c][2y−1+ky][2x−1+kx].
//
// Split the big side into its four phases (q, r) (rows 2u−1+q, columns
// 2v−1+r): with ky = 2a+q and kx = 2b+r, L is a 2×2 stride-1 convolution over
// 4C channels, which F(2×2, 2×2) computes per 2×2 output tile t (reading a
// 3×3 tile of every phase) and channel pair with 9 multiplies instead of 16:
//
//	L:  small tile = Aᵀ [Σ_cp U ⊙ V] A     V = Bᵀ d B (big), U = G g Gᵀ (weights)
//	Lᵀ: d += B [Σ_o U ⊙ S] Bᵀ              S = A s Aᵀ (small)
//	dw: dg = Gᵀ [Σ_t S ⊙ V] G
//
// with Bᵀ = [1 −1 0; 0 1 0; 0 −1 1], G = [1 0; 1 1; 0 1], Aᵀ = [1 1 0; 0 1 1]
// (interpolation points 0, −1, ∞, as the engine's inference path). Lᵀ and dw
// are the exact adjoints of L, so in exact arithmetic all three equal the
// direct sums; every transform only adds and subtracts, so no FMA can change
// a result between platforms. For each of the 9 positions ξ of the 3×3 tile
// the channel sums are matrix products over the GEMM kernel:
//
//	L:  M_ξ [O][T]  = U_ξ [O][4C] · V_ξ [4C][T]
//	Lᵀ: M_ξ [4C][T] = U_ξᵀ · S_ξ [O][T]
//	dw: dU_ξ [O][4C] = S_ξ · V_ξᵀ
//
// The transform V of a pass's big side and S of its small side are kept from
// the forward pass for the weight gradient.

// wgeom is the Winograd geometry of a layer for a batch of b.
type wgeom struct {
	c, o, h, b int // big-side channels, small-side channels, small side, batch
	m          int // output tile side: 2 for F(2×2, 2×2), 4 for F(4×4, 2×2)
	th, t      int // tiles per row of the small side, tiles in the batch
}

// kc is the number of phase channels, 4C.
func (g wgeom) kc() int { return 4 * g.c }

// np is the number of products, one per position of an (m+1)×(m+1) tile.
func (g wgeom) np() int { return (g.m + 1) * (g.m + 1) }

// winoGeom returns the layer's Winograd geometry, or false when the layer
// is not a stride-2 4×4 convolution with padding 1 and an even small side.
func (l *layer) winoGeom(b int) (wgeom, bool) {
	s := l.s
	if s.K != 4 || s.S != 2 || s.P != 1 {
		return wgeom{}, false
	}
	c, o, small, big := s.InC, s.OutC, s.OutH, s.InH
	if s.Op == spec.ConvT {
		c, o, small, big = s.OutC, s.InC, s.InH, s.OutH
	}
	if big != 2*small || small%2 != 0 {
		return wgeom{}, false
	}
	m := 2
	if small%4 == 0 {
		m = 4
	}
	th := small / m
	return wgeom{c: c, o: o, h: small, b: b, m: m, th: th, t: b * th * th}, true
}

// winoWeights writes U_ξ[o][cp] = (G g Gᵀ)_ξ for every weight sub-kernel g
// (computed in float64, rounded once) into u ([9][O][4C]).
func (g wgeom) winoWeights(w, u []float32) {
	kc := g.kc()
	for o := 0; o < g.o; o++ {
		for c := 0; c < g.c; c++ {
			k := w[(o*g.c+c)*16 : (o*g.c+c+1)*16]
			for q := 0; q < 2; q++ {
				for r := 0; r < 2; r++ {
					g00, g01 := float64(k[q*4+r]), float64(k[q*4+2+r])
					g10, g11 := float64(k[(2+q)*4+r]), float64(k[(2+q)*4+2+r])
					// G g: rows g0·, g0· + g1·, g1·; then · Gᵀ on each row.
					t0, t1, t2 := [2]float64{g00, g01}, [2]float64{g00 + g10, g01 + g11}, [2]float64{g10, g11}
					cp := c*4 + q*2 + r
					for i, t := range [3][2]float64{t0, t1, t2} {
						u[((3*i)*g.o+o)*kc+cp] = float32(t[0])
						u[((3*i+1)*g.o+o)*kc+cp] = float32(t[0] + t[1])
						u[((3*i+2)*g.o+o)*kc+cp] = float32(t[1])
					}
				}
			}
		}
	}
}

// winoWeightGrad adds dg = Gᵀ dU G to dw for every sub-kernel, from du
// ([9][O][4C]): dg[a][b] is the sum of dU over rows a, a+1 and columns b,
// b+1 of the 3×3 tile (in float64, rounded once).
func (g wgeom) winoWeightGrad(du, dw []float32) {
	kc := g.kc()
	at := func(xi, o, cp int) float64 { return float64(du[(xi*g.o+o)*kc+cp]) }
	for o := 0; o < g.o; o++ {
		for c := 0; c < g.c; c++ {
			k := dw[(o*g.c+c)*16 : (o*g.c+c+1)*16]
			for q := 0; q < 2; q++ {
				for r := 0; r < 2; r++ {
					cp := c*4 + q*2 + r
					for a := 0; a < 2; a++ {
						for b := 0; b < 2; b++ {
							s := at(3*a+b, o, cp) + at(3*a+b+1, o, cp) + at(3*(a+1)+b, o, cp) + at(3*(a+1)+b+1, o, cp)
							k[(2*a+q)*4+2*b+r] += float32(s)
						}
					}
				}
			}
		}
	}
}

// The transforms below walk their tiles with pointers (package unsafe) once
// the first and last element of each row of tiles have been bounds-checked:
// with slices, each of the 9–18 accesses of a tile is checked, which about
// doubled the transforms' time in WebAssembly.

func ld(p unsafe.Pointer, off int) float32    { return *(*float32)(unsafe.Add(p, off)) }
func st(p unsafe.Pointer, off int, v float32) { *(*float32)(unsafe.Add(p, off)) = v }
func add(p unsafe.Pointer, off int, v float32) {
	q := (*float32)(unsafe.Add(p, off))
	*q += v
}

// bigTransform writes V = Bᵀ d B of every phase tile of big ([C][B][H][H])
// into v ([9][4C][T]); pad is scratch of B·(H+2)² values.
func (g wgeom) bigTransform(big, v, pad []float32) {
	H, W := 2*g.h, 2*g.h+2
	kc, T := g.kc(), g.t
	plane := W * W
	gs := 4 * kc * T // bytes between the 9 products
	w1, w2 := 4*2*W, 4*4*W
	for c := 0; c < g.c; c++ {
		engine.PadPlanes(big[c*g.b*H*H:(c+1)*g.b*H*H], pad, g.b, H)
		for q := 0; q < 2; q++ {
			for r := 0; r < 2; r++ {
				cp := c*4 + q*2 + r
				for b := 0; b < g.b; b++ {
					img := pad[b*plane : (b+1)*plane]
					for ty := 0; ty < g.th; ty++ {
						// padded row of phase row 2ty+i: 4ty + 2i + q (big row 4ty−1+2i+q)
						i0 := (4*ty+q)*W + r
						t0 := cp*T + (b*g.th+ty)*g.th
						_, _ = img[i0+4*W+4*(g.th-1)+4], v[t0+8*kc*T+g.th-1]
						d, o := unsafe.Pointer(&img[i0]), unsafe.Pointer(&v[t0])
						for tx := 0; tx < g.th; tx++ {
							a0, a1, a2 := ld(d, 0), ld(d, 8), ld(d, 16)
							b0, b1, b2 := ld(d, w1), ld(d, w1+8), ld(d, w1+16)
							c0, c1, c2 := ld(d, w2), ld(d, w2+8), ld(d, w2+16)
							e0, e1, e2 := a0-b0, a1-b1, a2-b2 // Bᵀ d
							f0, f1, f2 := c0-b0, c1-b1, c2-b2
							st(o, 0, e0-e1) // · B
							st(o, gs, e1)
							st(o, 2*gs, e2-e1)
							st(o, 3*gs, b0-b1)
							st(o, 4*gs, b1)
							st(o, 5*gs, b2-b1)
							st(o, 6*gs, f0-f1)
							st(o, 7*gs, f1)
							st(o, 8*gs, f2-f1)
							d, o = unsafe.Add(d, 16), unsafe.Add(o, 4)
						}
					}
				}
			}
		}
	}
}

// bigInverse writes big ([C][B][H][H]) = Σ over tiles of B M Bᵀ, the adjoint
// of bigTransform, from m ([9][4C][T]); pad is scratch of B·(H+2)² values.
func (g wgeom) bigInverse(m, big, pad []float32) {
	H, W := 2*g.h, 2*g.h+2
	kc, T := g.kc(), g.t
	plane := W * W
	gs := 4 * kc * T
	w1, w2 := 4*2*W, 4*4*W
	for c := 0; c < g.c; c++ {
		clear(pad[:g.b*plane])
		for q := 0; q < 2; q++ {
			for r := 0; r < 2; r++ {
				cp := c*4 + q*2 + r
				for b := 0; b < g.b; b++ {
					img := pad[b*plane : (b+1)*plane]
					for ty := 0; ty < g.th; ty++ {
						i0 := (4*ty+q)*W + r
						t0 := cp*T + (b*g.th+ty)*g.th
						_, _ = img[i0+4*W+4*(g.th-1)+4], m[t0+8*kc*T+g.th-1]
						d, o := unsafe.Pointer(&img[i0]), unsafe.Pointer(&m[t0])
						for tx := 0; tx < g.th; tx++ {
							// B D Bᵀ: 1-D e0 = D0, e1 = (D1 − D0) − D2, e2 = D2; rows, then columns.
							m0, m1, m2 := ld(o, 0), ld(o, gs), ld(o, 2*gs)
							n0, n1, n2 := ld(o, 3*gs), ld(o, 4*gs), ld(o, 5*gs)
							p0, p1, p2 := ld(o, 6*gs), ld(o, 7*gs), ld(o, 8*gs)
							s0, s1, s2 := (n0-m0)-p0, (n1-m1)-p1, (n2-m2)-p2
							add(d, 0, m0)
							add(d, 8, (m1-m0)-m2)
							add(d, 16, m2)
							add(d, w1, s0)
							add(d, w1+8, (s1-s0)-s2)
							add(d, w1+16, s2)
							add(d, w2, p0)
							add(d, w2+8, (p1-p0)-p2)
							add(d, w2+16, p2)
							d, o = unsafe.Add(d, 16), unsafe.Add(o, 4)
						}
					}
				}
			}
		}
		unpadPlanes(big[c*g.b*H*H:(c+1)*g.b*H*H], pad, g.b, H)
	}
}

// unpadPlanes copies the inside of n planes padded by one on every side
// (pad, as engine.PadPlanes lays them out) into dst, n planes of side h.
func unpadPlanes(dst, pad []float32, n, h int) {
	w := h + 2
	for b := 0; b < n; b++ {
		img := pad[b*w*w : (b+1)*w*w]
		for y := 0; y < h; y++ {
			copy(dst[(b*h+y)*h:(b*h+y+1)*h], img[(y+1)*w+1:(y+1)*w+1+h])
		}
	}
}

// smallTransform writes S = A s Aᵀ of every 2×2 tile of small
// ([O][B][h][h]) into s ([9][O][T]).
func (g wgeom) smallTransform(small, s []float32) {
	h, T := g.h, g.t
	gs := 4 * g.o * T
	h1 := 4 * h
	for o := 0; o < g.o; o++ {
		for b := 0; b < g.b; b++ {
			img := small[(o*g.b+b)*h*h : (o*g.b+b+1)*h*h]
			for ty := 0; ty < g.th; ty++ {
				t0 := o*T + (b*g.th+ty)*g.th
				_, _ = img[(2*ty+1)*h+h-1], s[t0+8*g.o*T+g.th-1]
				d, w := unsafe.Pointer(&img[2*ty*h]), unsafe.Pointer(&s[t0])
				for tx := 0; tx < g.th; tx++ {
					a0, a1 := ld(d, 0), ld(d, 4)
					b0, b1 := ld(d, h1), ld(d, h1+4)
					m0, m1 := a0+b0, a1+b1 // A s: rows s0, s0 + s1, s1
					st(w, 0, a0)           // · Aᵀ
					st(w, gs, a0+a1)
					st(w, 2*gs, a1)
					st(w, 3*gs, m0)
					st(w, 4*gs, m0+m1)
					st(w, 5*gs, m1)
					st(w, 6*gs, b0)
					st(w, 7*gs, b0+b1)
					st(w, 8*gs, b1)
					d, w = unsafe.Add(d, 8), unsafe.Add(w, 4)
				}
			}
		}
	}
}

// smallInverse writes small ([O][B][h][h]) = Aᵀ M A of every tile from m
// ([9][O][T]).
func (g wgeom) smallInverse(m, small []float32) {
	h, T := g.h, g.t
	gs := 4 * g.o * T
	h1 := 4 * h
	for o := 0; o < g.o; o++ {
		for b := 0; b < g.b; b++ {
			img := small[(o*g.b+b)*h*h : (o*g.b+b+1)*h*h]
			for ty := 0; ty < g.th; ty++ {
				t0 := o*T + (b*g.th+ty)*g.th
				_, _ = img[(2*ty+1)*h+h-1], m[t0+8*g.o*T+g.th-1]
				d, w := unsafe.Pointer(&img[2*ty*h]), unsafe.Pointer(&m[t0])
				for tx := 0; tx < g.th; tx++ {
					// Aᵀ M: rows m0· + m1·, m1· + m2·; then · A on each row.
					x3, x4, x5 := ld(w, 3*gs), ld(w, 4*gs), ld(w, 5*gs)
					u0, u1, u2 := ld(w, 0)+x3, ld(w, gs)+x4, ld(w, 2*gs)+x5
					v0, v1, v2 := x3+ld(w, 6*gs), x4+ld(w, 7*gs), x5+ld(w, 8*gs)
					st(d, 0, u0+u1)
					st(d, 4, u1+u2)
					st(d, h1, v0+v1)
					st(d, h1+4, v1+v2)
					d, w = unsafe.Add(d, 8), unsafe.Add(w, 4)
				}
			}
		}
	}
}

// winoBuffers are a pass's Winograd buffers.
type winoBuffers struct {
	u, du []float32 // [9][O][4C]: transformed weights, their gradient
	v     []float32 // [9][4C][T]: transform of the big side
	s     []float32 // [9][O][T]: transform of the small side
	m     []float32 // [9][max(O, 4C)][T]: products
	pad   []float32 // B padded planes of the big side
	// F(4×4, 2×2): the tiles' byte offsets in the small side's planes and
	// in pad, for the host's SIMD transforms.
	smallTiles, bigTiles []int32
}

func (g wgeom) floats() (u, v, s, m, pad int) {
	H, n := 2*g.h+2, g.np()
	// m and du have a row panel of slack for gemmer.mulSpill.
	return n*g.o*g.kc() + tileM*g.kc(), n * g.kc() * g.t, n * g.o * g.t, (n*max(g.o, g.kc()) + tileM) * g.t, g.b * H * H
}

func (wb *winoBuffers) reserve(g wgeom) {
	u, v, s, m, pad := g.floats()
	wb.u, wb.du = make([]float32, u), make([]float32, u)
	wb.v, wb.s, wb.m = make([]float32, v), make([]float32, s), make([]float32, m)
	wb.pad = make([]float32, pad)
	if g.m == 4 {
		wb.smallTiles, wb.bigTiles = g.smallTiles4(), g.bigTiles4()
	}
}

// weights writes U (wb.u) from the layer's weights w.
func (g wgeom) weights(w []float32, wb *winoBuffers) {
	if g.m == 4 {
		g.winoWeights4(w, wb.u)
		return
	}
	g.winoWeights(w, wb.u)
}

// transformBig writes V (wb.v) of the big side.
func (g wgeom) transformBig(big []float32, wb *winoBuffers) {
	if g.m == 4 {
		g.bigTransform4(big, wb.v, wb.pad, wb.bigTiles)
		return
	}
	g.bigTransform(big, wb.v, wb.pad)
}

// transformSmall writes S (wb.s) of the small side.
func (g wgeom) transformSmall(small []float32, wb *winoBuffers) {
	if g.m == 4 {
		g.smallTransform4(small, wb.s, wb.smallTiles)
		return
	}
	g.smallTransform(small, wb.s)
}

// lmap computes small = L(big) from V (wb.v) and U (wb.u) through wb.m.
func (g wgeom) lmap(wb *winoBuffers, small []float32, gm *gemmer) {
	kc, T := g.kc(), g.t
	for xi := 0; xi < g.np(); xi++ {
		gm.mulSpill(rowMajor(wb.u[xi*g.o*kc:], kc), rowMajor(wb.v[xi*kc*T:], T), g.o, kc, T, wb.m[xi*g.o*T:])
	}
	if g.m == 4 {
		g.smallInverse4(wb.m, small, wb.smallTiles)
		return
	}
	g.smallInverse(wb.m, small)
}

// lmapT computes big = Lᵀ(small) from S (wb.s) and U (wb.u) through wb.m.
func (g wgeom) lmapT(wb *winoBuffers, big []float32, gm *gemmer) {
	kc, T := g.kc(), g.t
	for xi := 0; xi < g.np(); xi++ {
		gm.mulSpill(rowMajor(wb.u[xi*g.o*kc:], kc).t(), rowMajor(wb.s[xi*g.o*T:], T), kc, g.o, T, wb.m[xi*kc*T:])
	}
	if g.m == 4 {
		g.bigInverse4(wb.m, big, wb.pad, wb.bigTiles)
		return
	}
	g.bigInverse(wb.m, big, wb.pad)
}

// weightGrad adds the weight gradient of S (wb.s) and V (wb.v) to dw.
func (g wgeom) weightGrad(wb *winoBuffers, dw []float32, gm *gemmer) {
	kc, T := g.kc(), g.t
	for xi := 0; xi < g.np(); xi++ {
		gm.mulSpill(rowMajor(wb.s[xi*g.o*T:], T), rowMajor(wb.v[xi*kc*T:], T).t(), g.o, T, kc, wb.du[xi*g.o*kc:])
	}
	if g.m == 4 {
		g.winoWeightGrad4(wb.du, dw)
		return
	}
	g.winoWeightGrad(wb.du, dw)
}
