package engine

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

// putU stores the transformed weights u of output channel o and GEMM column
// kk into the packed A of product groups base … base+8.
func (l *layer) putU(u [9]float32, o, kk, base int) {
	for x, v := range u {
		g := (base + x) * l.mp * l.k
		l.ap[g+(o/tileM)*l.k*tileM+kk*tileM+o%tileM] = v
	}
}

func (l *layer) newWinoConv(w []float32) {
	s := l.spec
	l.groups, l.tt = 9, s.OutH/2
	l.m, l.k, l.n = s.OutC, 4*s.InC, l.tt*l.tt
	l.mp, l.np = roundUp(l.m, tileM), roundUp(l.n, tileN)
	l.ap = make([]float32, l.groups*l.mp*l.k)
	for o := 0; o < s.OutC; o++ {
		for c := 0; c < s.InC; c++ {
			for q := 0; q < 2; q++ {
				for r := 0; r < 2; r++ {
					var g [4]float64
					for a := 0; a < 2; a++ {
						for b := 0; b < 2; b++ {
							g[2*a+b] = float64(w[((o*s.InC+c)*4+2*a+q)*4+2*b+r]) // [out][in][k][k]
						}
					}
					l.putU(winoKernel(g), o, 4*c+2*q+r, 0)
				}
			}
		}
	}
}

func (l *layer) newWinoConvT(w []float32) {
	s := l.spec
	l.groups, l.tt = 36, s.InH/2
	l.m, l.k, l.n = s.OutC, s.InC, l.tt*l.tt
	l.mp, l.np = roundUp(l.m, tileM), roundUp(l.n, tileN)
	l.ap = make([]float32, l.groups*l.mp*l.k)
	for c := 0; c < s.InC; c++ {
		for o := 0; o < s.OutC; o++ {
			for p := 0; p < 2; p++ {
				for ps := 0; ps < 2; ps++ {
					var g [4]float64
					for a := 0; a < 2; a++ {
						for b := 0; b < 2; b++ {
							g[2*a+b] = float64(w[((c*s.OutC+o)*4+3-p-2*a)*4+3-ps-2*b]) // [in][out][k][k]
						}
					}
					l.putU(winoKernel(g), o, c, 9*(2*p+ps))
				}
			}
		}
	}
}

// padPlanes copies the C planes of H×H in into pad as (H+2)×(H+2) planes
// with a border of zeros, and returns that part of pad.
func padPlanes(in, pad []float32, C, H int) []float32 {
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
func winoInputPanels(pad []float32, planeSize int, offs []int, tileRS, tileCS, rs, cs, tt, n int, v []float32, K, gs int) {
	c2, r2 := 2*cs, 2*rs // offsets of the 3×3 tile's elements, hoisted
	r1c1, r1c2, r2c1, r2c2 := rs+cs, rs+c2, r2+cs, r2+c2
	g2, g3, g4, g5, g6, g7, g8 := 2*gs, 3*gs, 4*gs, 5*gs, 6*gs, 7*gs, 8*gs
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
					d := plane[p0 : p0+r2c2+1]
					d00, d01, d02 := d[0], d[cs], d[c2]
					d10, d11, d12 := d[rs], d[r1c1], d[r1c2]
					d20, d21, d22 := d[r2], d[r2c1], d[r2c2]
					e00, e01, e02 := d00-d10, d01-d11, d02-d12 // Bᵀ d
					e20, e21, e22 := d20-d10, d21-d11, d22-d12
					w := v[o+u : o+u+g8+1]
					w[0], w[gs], w[g2] = e00-e01, e01, e02-e01 // (Bᵀ d) B
					w[g3], w[g4], w[g5] = d10-d11, d11, d12-d11
					w[g6], w[g7], w[g8] = e20-e21, e21, e22-e21
				}
				o += tileN
			}
		}
	}
}

// winoOutputPlane reads M for the tt×tt tiles of one output channel (tile t
// at m[i0 + t + ξ·gs], ξ = 0…8) and stores Y = Aᵀ M A into dst: tile (ty, tx)
// has its top-left element at base + ty·tileRS + tx·tileCS, rs between its
// rows and cs between its columns.
func winoOutputPlane(m []float32, i0, gs, tt int, dst []float32, base, tileRS, tileCS, rs, cs int) {
	for ty := 0; ty < tt; ty++ {
		for tx := 0; tx < tt; tx++ {
			i := i0 + ty*tt + tx
			x := m[i : i+8*gs+1]
			f00, f01, f02 := x[0]+x[3*gs], x[gs]+x[4*gs], x[2*gs]+x[5*gs] // Aᵀ M
			f10, f11, f12 := x[3*gs]+x[6*gs], x[4*gs]+x[7*gs], x[5*gs]+x[8*gs]
			p := base + ty*tileRS + tx*tileCS
			r := dst[p : p+rs+cs+1]
			r[0], r[cs] = f00+f01, f01+f02 // (Aᵀ M) A
			r[rs], r[rs+cs] = f10+f11, f11+f12
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
	s := l.spec
	W, K, np, tt := s.InH+2, l.k, l.np, l.tt
	pad := padPlanes(in, ws.pad, s.InC, s.InH)
	v := ws.bp[:l.groups*K*np]
	gs := K * np
	// Row 4c+2q+r is phase (q, r) of channel c: tile rows 4ty−1+q+2i of the
	// input, rows 4ty+q+2i of the padded plane.
	winoInputPanels(pad, W*W, []int{0, 1, W, W + 1}, 4*W, 4, 2*W, 2, tt, l.n, v, K, gs)
	clearPad(v, l.groups, K, l.n, np)
	c := ws.c[:l.groups*l.mp*np]
	l.gemms(v, c)
	OH, cs := s.OutH, l.mp*np
	for o := 0; o < s.OutC; o++ {
		dst := out[o*OH*OH : (o+1)*OH*OH]
		winoOutputPlane(c, o*np, cs, tt, dst, 0, 2*OH, 2, OH, 1)
		activate(dst, dst, l.bias[o], s.Act)
	}
}

func (l *layer) forwardWinoConvT(in, out []float32, ws *workspace) {
	s := l.spec
	W, K, np, tt := s.InH+2, l.k, l.np, l.tt
	pad := padPlanes(in, ws.pad, s.InC, s.InH)
	v := ws.bp[:l.groups*K*np]
	gs := K * np
	for ph := 0; ph < 4; ph++ {
		p, ps := ph/2, ph%2
		// Tile rows 2ty−1+p+i of the input are rows 2ty+p+i of the padded plane.
		winoInputPanels(pad, W*W, []int{p*W + ps}, 2*W, 2, W, 1, tt, l.n, v[9*ph*gs:9*(ph+1)*gs], K, gs)
	}
	clearPad(v, l.groups, K, l.n, np)
	c := ws.c[:l.groups*l.mp*np]
	l.gemms(v, c)
	OH, cs := s.OutH, l.mp*np
	for o := 0; o < s.OutC; o++ {
		dst := out[o*OH*OH : (o+1)*OH*OH]
		for ph := 0; ph < 4; ph++ {
			p, ps := ph/2, ph%2
			// Tile output (y, x) of phase (p, ps) is (2(2ty+y)+p, 2(2tx+x)+ps).
			winoOutputPlane(c[9*ph*cs:9*(ph+1)*cs], o*np, cs, tt, dst, p*OH+ps, 4*OH, 4, 2*OH, 2)
		}
		activate(dst, dst, l.bias[o], s.Act)
	}
}
