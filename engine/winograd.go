package engine

import (
	"unsafe"

	"github.com/ganomaly-go/ganomaly/spec"
)

// Stride-2 4×4 convolutions (padding 1) as polyphase Winograd F(2×2, 2×2).
//
// Conv2d. Split the input into its four phases (q, r) = (row mod 2, column
// mod 2), shifted so that phase q holds rows 2u−1+q. Output (y, x) then reads
// rows y+a and columns x+b (a, b ∈ {0, 1}) of every phase with the weight
// w[o][c][2a+q][2b+r]: a 2×2 stride-1 convolution over 4·InC channels.
//
// ConvTranspose2d. Output phase (p, s) = (oy mod 2, ox mod 2) at (2y+p, 2x+s)
// reads input (y−1+p+a, x−1+s+b) with the weight w[c][o][3−p−2a][3−s−2b]: four
// 2×2 stride-1 convolutions of the input, one per phase, and no scatter-add.
//
// Each 2×2 convolution is computed with Winograd's minimal filtering
// F(2×2, 2×2) on 2×2 output tiles: per tile and channel pair 9 multiplies
// instead of 16. With the interpolation points 0, −1 and ∞ (1-D: y0 = m1 + m2,
// y1 = m2 + m3 with m1 = (d0−d1)g0, m2 = d1(g0+g1), m3 = (d2−d1)g1) all three
// transforms only add and subtract (no constants), so they cost little and
// lose little accuracy:
//
//	V = Bᵀ d B   Bᵀ = [1 −1 0; 0 1 0; 0 −1 1]   (3×3 input tile)
//	U = G g Gᵀ   G  = [1 0; 1 1; 0 1]          (2×2 kernel, at load time)
//	Y = Aᵀ M A   Aᵀ = [1 1 0; 0 1 1]           M = Σ_channels U ⊙ V
//
// The sum over channels is, for each of the 9 positions ξ of the 3×3 tile, a
// matrix product U_ξ [OutC][channels] · V_ξ [channels][tiles], computed by
// gemm. The transforms use only additions, so no FMA can change a result
// between platforms.

// winoKernel returns U = G g Gᵀ (3×3, row-major) for the 2×2 kernel g
// (row-major), computed in float64 and rounded once to float32.
func winoKernel(g [4]float64) [9]float32 {
	var t [3][2]float64 // G g
	for b := 0; b < 2; b++ {
		t[0][b] = g[b]
		t[1][b] = g[b] + g[2+b]
		t[2][b] = g[2+b]
	}
	var u [9]float32
	for i := 0; i < 3; i++ {
		u[3*i] = float32(t[i][0])
		u[3*i+1] = float32(t[i][0] + t[i][1])
		u[3*i+2] = float32(t[i][1])
	}
	return u
}

// winoKernel4 returns U = G g Gᵀ (5×5, row-major) of F(4×4, 2×2) for the
// 2×2 kernel g (row-major), computed in float64 and rounded once to float32.
func winoKernel4(g [4]float64) [25]float32 {
	var t [5][2]float64 // G g
	for b := 0; b < 2; b++ {
		for a := 0; a < 5; a++ {
			t[a][b] = float64(wino4G[a][0]*g[b]) + float64(wino4G[a][1]*g[2+b]) // float64(): never fused into an FMA
		}
	}
	var u [25]float32
	for a := 0; a < 5; a++ {
		for b := 0; b < 5; b++ {
			u[5*a+b] = float32(float64(t[a][0]*wino4G[b][0]) + float64(t[a][1]*wino4G[b][1]))
		}
	}
	return u
}

// putU stores the transformed weights U = G g Gᵀ of the 2×2 kernel g (for
// output channel o and GEMM column kk) into the packed A of product groups
// base … base+(wm+1)²−1.
func (l *layer) putU(g [4]float64, o, kk, base int) {
	stride := l.mp * l.k // between product groups
	p := base*stride + (o/tileM)*l.k*tileM + kk*tileM + o%tileM
	if l.wm == 4 {
		for _, v := range winoKernel4(g) {
			l.ap[p] = v
			p += stride
		}
		return
	}
	for _, v := range winoKernel(g) {
		l.ap[p] = v
		p += stride
	}
}

// newWinoConv lowers a Conv2d k4 s2 p1 to F(wm×wm, 2×2) on its phases.
func (l *layer) newWinoConv(w []float32, wm int) {
	s := l.spec
	a := wm + 1
	l.wm, l.groups, l.tt = wm, a*a, s.OutH/wm
	l.m, l.k, l.n = s.OutC, 4*s.InC, l.tt*l.tt
	l.mp, l.np = roundUp(l.m, tileM), roundUp(l.n, tileN)
	l.ap = make([]float32, l.groups*l.mp*l.k, l.groups*l.mp*l.k+gemmSlack)
	for o := 0; o < s.OutC; o++ {
		l.packWinoConv(w, o)
	}
}

// packWinoConv packs output channel o of newWinoConv's weights. It is a
// function of its own, called once per channel, because WebAssembly engines
// optimise a function only between calls (V8 has no on-stack replacement
// for wasm): a model load that ran as one long loop would run entirely in
// the baseline compiler's slow code.
//
//go:noinline
func (l *layer) packWinoConv(w []float32, o int) {
	s := l.spec
	for c := 0; c < s.InC; c++ {
		for q := 0; q < 2; q++ {
			for r := 0; r < 2; r++ {
				var g [4]float64
				for a := 0; a < 2; a++ {
					for b := 0; b < 2; b++ {
						g[2*a+b] = float64(w[((o*s.InC+c)*4+2*a+q)*4+2*b+r]) // [out][in][k][k]
					}
				}
				l.putU(g, o, 4*c+2*q+r, 0)
			}
		}
	}
}

// newWinoConvT lowers a ConvTranspose2d k4 s2 p1 to F(wm×wm, 2×2) on each
// output phase.
func (l *layer) newWinoConvT(w []float32, wm int) {
	s := l.spec
	a := wm + 1
	l.wm, l.groups, l.tt = wm, 4*a*a, s.InH/wm
	l.m, l.k, l.n = s.OutC, s.InC, l.tt*l.tt
	l.mp, l.np = roundUp(l.m, tileM), roundUp(l.n, tileN)
	l.ap = make([]float32, l.groups*l.mp*l.k, l.groups*l.mp*l.k+gemmSlack)
	for c := 0; c < s.InC; c++ {
		l.packWinoConvT(w, c, a*a)
	}
}

// packWinoConvT packs input channel c of newWinoConvT's weights, perPhase
// product groups per output phase (a function of its own for the reason
// given at packWinoConv).
//
//go:noinline
func (l *layer) packWinoConvT(w []float32, c, perPhase int) {
	s := l.spec
	for o := 0; o < s.OutC; o++ {
		for p := 0; p < 2; p++ {
			for ps := 0; ps < 2; ps++ {
				var g [4]float64
				for a := 0; a < 2; a++ {
					for b := 0; b < 2; b++ {
						g[2*a+b] = float64(w[((c*s.OutC+o)*4+3-p-2*a)*4+3-ps-2*b]) // [in][out][k][k]
					}
				}
				l.putU(g, o, c, perPhase*(2*p+ps))
			}
		}
	}
}

// PadPlanes copies the C planes of H×H in into pad as (H+2)×(H+2) planes
// with a border of zeros, and returns that part of pad. The pure-Go
// trainer's Winograd layers pad their planes with it too.
func PadPlanes(in, pad []float32, C, H int) []float32 {
	W := H + 2
	pad = pad[:C*W*W]
	for c := 0; c < C; c++ {
		dst := pad[c*W*W : (c+1)*W*W]
		src := in[c*H*H : (c+1)*H*H]
		clear(dst[:W])
		clear(dst[(W-1)*W:])
		for y := 0; y < H; y++ {
			row := dst[(y+1)*W : (y+2)*W]
			row[0], row[W-1] = 0, 0
			copy(row[1:W-1], src[y*H:(y+1)*H])
		}
	}
	return pad
}

// winoInputPanels computes the Winograd input transform V = Bᵀ d B of every
// 3×3 input tile and stores it in the packed B of the 9 product groups
// (group stride gs, K rows, panels of tileN tiles). GEMM row kk is plane
// kk / len(offs) of pad (planes of planeSize values) at offset
// offs[kk % len(offs)]; tile t = (ty, tx) adds ty·tileRS + tx·tileCS, and the
// tile has rs between its rows and cs between its columns.
//
// The loops run panel by panel and, inside a panel, row by row, so that the
// 9 output streams are written sequentially (4 values per row and group)
// rather than scattered 9 ways per tile.
//
// Each tile checks the bounds of its first and last input and output once
// and reaches the others through package unsafe: the offsets are variables,
// so slice indexing would check every one of the 18 accesses (about half
// the transform's time in wasm).
func winoInputPanels(pad []float32, planeSize int, offs []int, tileRS, tileCS, rs, cs, tt, n int, v []float32, K, gs int) {
	const f = 4                                  // bytes per float32
	c1, c2, r1, r2 := f*cs, 2*f*cs, f*rs, 2*f*rs // byte offsets of the 3×3 tile's elements
	r1c1, r1c2, r2c1, r2c2 := r1+c1, r1+c2, r2+c1, r2+c2
	last := 2*rs + 2*cs // index of the tile's last element
	g1, g2, g3, g4, g5, g6, g7, g8 := f*gs, 2*f*gs, 3*f*gs, 4*f*gs, 5*f*gs, 6*f*gs, 7*f*gs, 8*f*gs
	planes := K / len(offs)
	var toff [tileN]int
	for t0 := 0; t0 < n; t0 += tileN {
		m := min(tileN, n-t0)
		for u := 0; u < m; u++ {
			toff[u] = (t0+u)/tt*tileRS + (t0+u)%tt*tileCS
		}
		o := t0 * K // panel t0/tileN starts at (t0/tileN)·K·tileN
		for c := 0; c < planes; c++ {
			plane := pad[c*planeSize : (c+1)*planeSize]
			for _, off := range offs {
				for u, to := range toff[:m] {
					p0 := off + to
					_, _ = plane[p0+last], v[o+u+8*gs] // the bounds of every access below
					d, w := unsafe.Pointer(&plane[p0]), unsafe.Pointer(&v[o+u])
					d00, d01, d02 := ld(d, 0), ld(d, c1), ld(d, c2)
					d10, d11, d12 := ld(d, r1), ld(d, r1c1), ld(d, r1c2)
					d20, d21, d22 := ld(d, r2), ld(d, r2c1), ld(d, r2c2)
					e00, e01, e02 := d00-d10, d01-d11, d02-d12 // Bᵀ d
					e20, e21, e22 := d20-d10, d21-d11, d22-d12
					st(w, 0, e00-e01) // (Bᵀ d) B
					st(w, g1, e01)
					st(w, g2, e02-e01)
					st(w, g3, d10-d11)
					st(w, g4, d11)
					st(w, g5, d12-d11)
					st(w, g6, e20-e21)
					st(w, g7, e21)
					st(w, g8, e22-e21)
				}
				o += tileN
			}
		}
	}
}

// ld and st read and write the float32 off bytes past p (bounds checked by
// the caller).
func ld(p unsafe.Pointer, off int) float32    { return *(*float32)(unsafe.Add(p, off)) }
func st(p unsafe.Pointer, off int, v float32) { *(*float32)(unsafe.Add(p, off)) = v }

// winoOutputPlane reads M for the tt×tt tiles of one output channel (tile t
// at m[i0 + t + ξ·gs], ξ = 0…8) and stores act(Y + bias), Y = Aᵀ M A, into
// dst: tile (ty, tx) has its top-left element at base + ty·tileRS + tx·tileCS,
// rs between its rows and cs between its columns. LeakyReLU, ReLU and None
// are applied as the values are stored; any other activation afterwards by
// the caller (the values stored are then Y, without the bias).
func winoOutputPlane(m []float32, i0, gs, tt int, dst []float32, base, tileRS, tileCS, rs, cs int, bias float32, act spec.Act) {
	const f = 4
	g1, g2, g3, g4, g5, g6, g7, g8 := f*gs, 2*f*gs, 3*f*gs, 4*f*gs, 5*f*gs, 6*f*gs, 7*f*gs, 8*f*gs
	c1, r1, r1c1 := f*cs, f*rs, f*(rs+cs)
	for ty := 0; ty < tt; ty++ {
		for tx := 0; tx < tt; tx++ {
			i := i0 + ty*tt + tx
			p := base + ty*tileRS + tx*tileCS
			_, _ = m[i+8*gs], dst[p+rs+cs] // the bounds of every access below
			x, r := unsafe.Pointer(&m[i]), unsafe.Pointer(&dst[p])
			x0, x1, x2 := ld(x, 0), ld(x, g1), ld(x, g2)
			x3, x4, x5 := ld(x, g3), ld(x, g4), ld(x, g5)
			x6, x7, x8 := ld(x, g6), ld(x, g7), ld(x, g8)
			f00, f01, f02 := x0+x3, x1+x4, x2+x5 // Aᵀ M
			f10, f11, f12 := x3+x6, x4+x7, x5+x8
			y00, y01 := f00+f01, f01+f02 // (Aᵀ M) A
			y10, y11 := f10+f11, f11+f12
			switch act {
			case spec.LeakyReLU:
				y00, y01, y10, y11 = leaky(y00+bias), leaky(y01+bias), leaky(y10+bias), leaky(y11+bias)
			case spec.ReLU:
				y00, y01, y10, y11 = relu(y00+bias), relu(y01+bias), relu(y10+bias), relu(y11+bias)
			case spec.None:
				y00, y01, y10, y11 = y00+bias, y01+bias, y10+bias, y11+bias
			}
			st(r, 0, y00)
			st(r, c1, y01)
			st(r, r1, y10)
			st(r, r1c1, y11)
		}
	}
}

// clearPad zeroes the packed-B columns n … np−1 of every product group, so
// that the padding columns of the GEMM hold finite values.
func clearPad(v []float32, groups, k, n, np int) {
	if n == np {
		return
	}
	for g := 0; g < groups; g++ {
		panel := v[g*k*np+(n/tileN)*k*tileN : g*k*np+(n/tileN+1)*k*tileN]
		for q := 0; q < k; q++ {
			for t := n % tileN; t < tileN; t++ {
				panel[q*tileN+t] = 0
			}
		}
	}
}

// gemms runs the layer's product groups: C_g = A_g · V_g.
func (l *layer) gemms(v, c []float32) {
	as, vs, cs := l.mp*l.k, l.k*l.np, l.mp*l.np
	for g := 0; g < l.groups; g++ {
		gemm(l.ap[g*as:(g+1)*as], v[g*vs:(g+1)*vs], c[g*cs:(g+1)*cs], l.mp, l.k, l.np)
	}
}

func (l *layer) forwardWinoConv(in, out []float32, ws *workspace) {
	PadPlanes(in, ws.pad, l.spec.InC, l.spec.InH)
	l.winoInput(ws)
	l.gemms(ws.bp[:l.groups*l.k*l.np], ws.c[:l.groups*l.mp*l.np])
	l.winoOutput(out, ws)
}

func (l *layer) forwardWinoConvT(in, out []float32, ws *workspace) { l.forwardWinoConv(in, out, ws) }

// winoInput computes the Winograd input transform of the padded input
// (ws.pad, written by PadPlanes) into the packed B of every product group.
func (l *layer) winoInput(ws *workspace) {
	s := l.spec
	W, K, np, tt, wm := s.InH+2, l.k, l.np, l.tt, l.wm
	pad := ws.pad[:s.InC*W*W]
	v := ws.bp[:l.groups*K*np]
	gs := K * np
	// (A direct call, not through a function value, so that the offsets
	// slices stay on the stack: Forward allocates nothing.)
	transform := func(offs []int, tileRS, tileCS, rs, cs int, v []float32) {
		if wm == 4 {
			winoInputPanels4(pad, W*W, offs, tileRS, tileCS, rs, cs, tt, l.n, v, K, gs)
		} else {
			winoInputPanels(pad, W*W, offs, tileRS, tileCS, rs, cs, tt, l.n, v, K, gs)
		}
	}
	if l.kind == kindWinoConv {
		// Row 4c+2q+r is phase (q, r) of channel c: tile rows
		// wm·ty+i of the phase are rows 2(wm·ty+i)−1+q of the input, rows
		// 2wm·ty+2i+q of the padded plane.
		transform([]int{0, 1, W, W + 1}, 2*wm*W, 2*wm, 2*W, 2, v)
	} else {
		ga := l.groups / 4 // product groups per output phase
		for ph := 0; ph < 4; ph++ {
			p, ps := ph/2, ph%2
			// Tile rows wm·ty−1+p+i of the input are rows wm·ty+p+i of the
			// padded plane.
			transform([]int{p*W + ps}, wm*W, wm, W, 1, v[ga*ph*gs:ga*(ph+1)*gs])
		}
	}
	clearPad(v, l.groups, K, l.n, np)
}

// winoOutput computes the Winograd output transform of the products in ws.c,
// adds the bias and applies the activation, into out (CHW).
func (l *layer) winoOutput(out []float32, ws *workspace) {
	s := l.spec
	np, tt, wm := l.np, l.tt, l.wm
	c := ws.c[:l.groups*l.mp*np]
	OH, cs := s.OutH, l.mp*np
	transform := winoOutputPlane
	if wm == 4 {
		transform = winoOutputPlane4
	}
	ga := l.groups / 4
	for o := 0; o < s.OutC; o++ {
		dst := out[o*OH*OH : (o+1)*OH*OH]
		if l.kind == kindWinoConv {
			transform(c, o*np, cs, tt, dst, 0, wm*OH, wm, OH, 1, l.bias[o], s.Act)
		} else {
			for ph := 0; ph < 4; ph++ {
				p, ps := ph/2, ph%2
				// Tile output (y, x) of phase (p, ps) is (2(wm·ty+y)+p, 2(wm·tx+x)+ps).
				transform(c[ga*ph*cs:ga*(ph+1)*cs], o*np, cs, tt, dst, p*OH+ps, 2*wm*OH, 2*wm, 2*OH, 2, l.bias[o], s.Act)
			}
		}
		if s.Act != spec.LeakyReLU && s.Act != spec.ReLU && s.Act != spec.None {
			activate(dst, dst, l.bias[o], s.Act)
		}
	}
}

// F(4×4, 2×2) with the interpolation points 0, 1, −1, 1/2 and ∞ (derived
// with the Toom-Cook construction and checked against direct correlation,
// see TestWinograd4Identity): 25 multiplies per 4×4 output tile and channel
// pair instead of 64, 1.44× fewer than F(2×2, 2×2)'s 36 per 16 outputs.
// Rows of Bᵀ are scaled (and G's inversely) so that Bᵀ holds only the
// integers 0, ±1, ±2 and −3, and Aᵀ only 0, ±1 and powers of 1/2: the
// input transform's doublings and the output transform's halvings are
// exact, and only 3·x rounds (explicitly, so never fused into an FMA).
//
//	Bᵀ = [1 −2 −1 2 0; 0 −1 1 2 0; 0 1 −3 2 0; 0 −1 0 1 0; 0 1 −2 −1 2]
//	G  = [1 0; 1/2 1/2; −1/6 1/6; −8/3 −4/3; 0 1/2]
//	Aᵀ = [1 1 1 1 0; 0 1 −1 1/2 0; 0 1 1 1/4 0; 0 1 −1 1/8 1]
//
// The kernel transform runs in float64 at load time and rounds once.
var wino4G = [5][2]float64{{1, 0}, {0.5, 0.5}, {-1.0 / 6, 1.0 / 6}, {-8.0 / 3, -4.0 / 3}, {0, 0.5}}

// WinoInput4 is the 1-D input transform Bᵀ x of F(4, 2) (exported for the
// trainer, which uses the same transforms).
func WinoInput4(x0, x1, x2, x3, x4 float32) (t0, t1, t2, t3, t4 float32) {
	x3x3 := x3 + x3
	t0 = ((x0 - (x1 + x1)) - x2) + x3x3
	t1 = (x2 - x1) + x3x3
	t2 = (x1 - float32(3*x2)) + x3x3
	t3 = x3 - x1
	t4 = ((x1 - (x2 + x2)) - x3) + (x4 + x4)
	return
}

// WinoOutput4 is the 1-D output transform Aᵀ m of F(4, 2).
func WinoOutput4(m0, m1, m2, m3, m4 float32) (y0, y1, y2, y3 float32) {
	d, s := m1-m2, m1+m2
	y0 = (m0 + s) + m3
	y1 = d + float32(0.5*m3)
	y2 = s + float32(0.25*m3)
	y3 = (d + float32(0.125*m3)) + m4
	return
}

// winoInputPanels4 is winoInputPanels for F(4×4, 2×2): 5×5 input tiles,
// 25 product groups.
func winoInputPanels4(pad []float32, planeSize int, offs []int, tileRS, tileCS, rs, cs, tt, n int, v []float32, K, gs int) {
	const f = 4 // bytes per float32
	r0, r1, r2, r3, r4 := 0, f*rs, 2*f*rs, 3*f*rs, 4*f*rs
	c0, c1, c2, c3, c4 := 0, f*cs, 2*f*cs, 3*f*cs, 4*f*cs
	g0 := 0 * f * gs
	g1 := 1 * f * gs
	g2 := 2 * f * gs
	g3 := 3 * f * gs
	g4 := 4 * f * gs
	g5 := 5 * f * gs
	g6 := 6 * f * gs
	g7 := 7 * f * gs
	g8 := 8 * f * gs
	g9 := 9 * f * gs
	g10 := 10 * f * gs
	g11 := 11 * f * gs
	g12 := 12 * f * gs
	g13 := 13 * f * gs
	g14 := 14 * f * gs
	g15 := 15 * f * gs
	g16 := 16 * f * gs
	g17 := 17 * f * gs
	g18 := 18 * f * gs
	g19 := 19 * f * gs
	g20 := 20 * f * gs
	g21 := 21 * f * gs
	g22 := 22 * f * gs
	g23 := 23 * f * gs
	g24 := 24 * f * gs
	last := 4*rs + 4*cs
	planes := K / len(offs)
	var toff [tileN]int
	for t0 := 0; t0 < n; t0 += tileN {
		m := min(tileN, n-t0)
		for u := 0; u < m; u++ {
			toff[u] = (t0+u)/tt*tileRS + (t0+u)%tt*tileCS
		}
		o := t0 * K
		for c := 0; c < planes; c++ {
			plane := pad[c*planeSize : (c+1)*planeSize]
			for _, off := range offs {
				for u, to := range toff[:m] {
					p0 := off + to
					_, _ = plane[p0+last], v[o+u+24*gs] // the bounds of every access below
					d, w := unsafe.Pointer(&plane[p0]), unsafe.Pointer(&v[o+u])
					// Bᵀ d column by column, then (Bᵀ d) B row by row, unrolled.
					t00, t01, t02, t03, t04 := WinoInput4(ld(d, r0+c0), ld(d, r1+c0), ld(d, r2+c0), ld(d, r3+c0), ld(d, r4+c0))
					t10, t11, t12, t13, t14 := WinoInput4(ld(d, r0+c1), ld(d, r1+c1), ld(d, r2+c1), ld(d, r3+c1), ld(d, r4+c1))
					t20, t21, t22, t23, t24 := WinoInput4(ld(d, r0+c2), ld(d, r1+c2), ld(d, r2+c2), ld(d, r3+c2), ld(d, r4+c2))
					t30, t31, t32, t33, t34 := WinoInput4(ld(d, r0+c3), ld(d, r1+c3), ld(d, r2+c3), ld(d, r3+c3), ld(d, r4+c3))
					t40, t41, t42, t43, t44 := WinoInput4(ld(d, r0+c4), ld(d, r1+c4), ld(d, r2+c4), ld(d, r3+c4), ld(d, r4+c4))
					y00, y01, y02, y03, y04 := WinoInput4(t00, t10, t20, t30, t40)
					y10, y11, y12, y13, y14 := WinoInput4(t01, t11, t21, t31, t41)
					y20, y21, y22, y23, y24 := WinoInput4(t02, t12, t22, t32, t42)
					y30, y31, y32, y33, y34 := WinoInput4(t03, t13, t23, t33, t43)
					y40, y41, y42, y43, y44 := WinoInput4(t04, t14, t24, t34, t44)
					st(w, g0, y00)
					st(w, g1, y01)
					st(w, g2, y02)
					st(w, g3, y03)
					st(w, g4, y04)
					st(w, g5, y10)
					st(w, g6, y11)
					st(w, g7, y12)
					st(w, g8, y13)
					st(w, g9, y14)
					st(w, g10, y20)
					st(w, g11, y21)
					st(w, g12, y22)
					st(w, g13, y23)
					st(w, g14, y24)
					st(w, g15, y30)
					st(w, g16, y31)
					st(w, g17, y32)
					st(w, g18, y33)
					st(w, g19, y34)
					st(w, g20, y40)
					st(w, g21, y41)
					st(w, g22, y42)
					st(w, g23, y43)
					st(w, g24, y44)
				}
				o += tileN
			}
		}
	}
}

// winoOutputPlane4 is winoOutputPlane for F(4×4, 2×2): M of 25 groups,
// 4×4 output tiles.
func winoOutputPlane4(m []float32, i0, gs, tt int, dst []float32, base, tileRS, tileCS, rs, cs int, bias float32, act spec.Act) {
	const f = 4
	g0 := 0 * f * gs
	g1 := 1 * f * gs
	g2 := 2 * f * gs
	g3 := 3 * f * gs
	g4 := 4 * f * gs
	g5 := 5 * f * gs
	g6 := 6 * f * gs
	g7 := 7 * f * gs
	g8 := 8 * f * gs
	g9 := 9 * f * gs
	g10 := 10 * f * gs
	g11 := 11 * f * gs
	g12 := 12 * f * gs
	g13 := 13 * f * gs
	g14 := 14 * f * gs
	g15 := 15 * f * gs
	g16 := 16 * f * gs
	g17 := 17 * f * gs
	g18 := 18 * f * gs
	g19 := 19 * f * gs
	g20 := 20 * f * gs
	g21 := 21 * f * gs
	g22 := 22 * f * gs
	g23 := 23 * f * gs
	g24 := 24 * f * gs
	r0, r1, r2, r3 := 0, f*rs, 2*f*rs, 3*f*rs
	c0, c1, c2, c3 := 0, f*cs, 2*f*cs, 3*f*cs
	for ty := 0; ty < tt; ty++ {
		for tx := 0; tx < tt; tx++ {
			i := i0 + ty*tt + tx
			p := base + ty*tileRS + tx*tileCS
			_, _ = m[i+24*gs], dst[p+3*rs+3*cs] // the bounds of every access below
			x, r := unsafe.Pointer(&m[i]), unsafe.Pointer(&dst[p])
			// Aᵀ M column by column, then (Aᵀ M) A row by row, unrolled.
			t00, t01, t02, t03 := WinoOutput4(ld(x, g0), ld(x, g5), ld(x, g10), ld(x, g15), ld(x, g20))
			t10, t11, t12, t13 := WinoOutput4(ld(x, g1), ld(x, g6), ld(x, g11), ld(x, g16), ld(x, g21))
			t20, t21, t22, t23 := WinoOutput4(ld(x, g2), ld(x, g7), ld(x, g12), ld(x, g17), ld(x, g22))
			t30, t31, t32, t33 := WinoOutput4(ld(x, g3), ld(x, g8), ld(x, g13), ld(x, g18), ld(x, g23))
			t40, t41, t42, t43 := WinoOutput4(ld(x, g4), ld(x, g9), ld(x, g14), ld(x, g19), ld(x, g24))
			var y0, y1, y2, y3 float32
			switch act { // bias and activation as the values are stored
			case spec.LeakyReLU:
				y0, y1, y2, y3 = WinoOutput4(t00, t10, t20, t30, t40)
				st(r, r0+c0, leaky(y0+bias))
				st(r, r0+c1, leaky(y1+bias))
				st(r, r0+c2, leaky(y2+bias))
				st(r, r0+c3, leaky(y3+bias))
				y0, y1, y2, y3 = WinoOutput4(t01, t11, t21, t31, t41)
				st(r, r1+c0, leaky(y0+bias))
				st(r, r1+c1, leaky(y1+bias))
				st(r, r1+c2, leaky(y2+bias))
				st(r, r1+c3, leaky(y3+bias))
				y0, y1, y2, y3 = WinoOutput4(t02, t12, t22, t32, t42)
				st(r, r2+c0, leaky(y0+bias))
				st(r, r2+c1, leaky(y1+bias))
				st(r, r2+c2, leaky(y2+bias))
				st(r, r2+c3, leaky(y3+bias))
				y0, y1, y2, y3 = WinoOutput4(t03, t13, t23, t33, t43)
				st(r, r3+c0, leaky(y0+bias))
				st(r, r3+c1, leaky(y1+bias))
				st(r, r3+c2, leaky(y2+bias))
				st(r, r3+c3, leaky(y3+bias))
			case spec.ReLU:
				y0, y1, y2, y3 = WinoOutput4(t00, t10, t20, t30, t40)
				st(r, r0+c0, relu(y0+bias))
				st(r, r0+c1, relu(y1+bias))
				st(r, r0+c2, relu(y2+bias))
				st(r, r0+c3, relu(y3+bias))
				y0, y1, y2, y3 = WinoOutput4(t01, t11, t21, t31, t41)
				st(r, r1+c0, relu(y0+bias))
				st(r, r1+c1, relu(y1+bias))
				st(r, r1+c2, relu(y2+bias))
				st(r, r1+c3, relu(y3+bias))
				y0, y1, y2, y3 = WinoOutput4(t02, t12, t22, t32, t42)
				st(r, r2+c0, relu(y0+bias))
				st(r, r2+c1, relu(y1+bias))
				st(r, r2+c2, relu(y2+bias))
				st(r, r2+c3, relu(y3+bias))
				y0, y1, y2, y3 = WinoOutput4(t03, t13, t23, t33, t43)
				st(r, r3+c0, relu(y0+bias))
				st(r, r3+c1, relu(y1+bias))
				st(r, r3+c2, relu(y2+bias))
				st(r, r3+c3, relu(y3+bias))
			case spec.None:
				y0, y1, y2, y3 = WinoOutput4(t00, t10, t20, t30, t40)
				st(r, r0+c0, y0+bias)
				st(r, r0+c1, y1+bias)
				st(r, r0+c2, y2+bias)
				st(r, r0+c3, y3+bias)
				y0, y1, y2, y3 = WinoOutput4(t01, t11, t21, t31, t41)
				st(r, r1+c0, y0+bias)
				st(r, r1+c1, y1+bias)
				st(r, r1+c2, y2+bias)
				st(r, r1+c3, y3+bias)
				y0, y1, y2, y3 = WinoOutput4(t02, t12, t22, t32, t42)
				st(r, r2+c0, y0+bias)
				st(r, r2+c1, y1+bias)
				st(r, r2+c2, y2+bias)
				st(r, r2+c3, y3+bias)
				y0, y1, y2, y3 = WinoOutput4(t03, t13, t23, t33, t43)
				st(r, r3+c0, y0+bias)
				st(r, r3+c1, y1+bias)
				st(r, r3+c2, y2+bias)
				st(r, r3+c3, y3+bias)
			default:
				y0, y1, y2, y3 = WinoOutput4(t00, t10, t20, t30, t40)
				st(r, r0+c0, y0)
				st(r, r0+c1, y1)
				st(r, r0+c2, y2)
				st(r, r0+c3, y3)
				y0, y1, y2, y3 = WinoOutput4(t01, t11, t21, t31, t41)
				st(r, r1+c0, y0)
				st(r, r1+c1, y1)
				st(r, r1+c2, y2)
				st(r, r1+c3, y3)
				y0, y1, y2, y3 = WinoOutput4(t02, t12, t22, t32, t42)
				st(r, r2+c0, y0)
				st(r, r2+c1, y1)
				st(r, r2+c2, y2)
				st(r, r2+c3, y3)
				y0, y1, y2, y3 = WinoOutput4(t03, t13, t23, t33, t43)
				st(r, r3+c0, y0)
				st(r, r3+c1, y1)
				st(r, r3+c2, y2)
				st(r, r3+c3, y3)
			}
		}
	}
}
