package train

import (
	"unsafe"

	"github.com/ganomaly-go/ganomaly/engine"
)

// F(4×4, 2×2) for the same polyphase layers (see wino.go) where the small
// side is a multiple of 4: each 4×4 output tile of a phase reads a 5×5 tile
// of every phase and costs 25 multiplies per channel pair instead of the
// 36 of four F(2×2, 2×2) tiles, so the 25 matrix products of a pass have
// 31 % fewer multiply-adds than the 9 of F(2×2, 2×2) (their T is a quarter).
// The matrices are the engine's (points 0, 1, −1, 1/2, ∞; rows of Bᵀ scaled
// so that it holds only small integers and Aᵀ only powers of 1/2):
//
//	Bᵀ = [1 −2 −1 2 0; 0 −1 1 2 0; 0 1 −3 2 0; 0 −1 0 1 0; 0 1 −2 −1 2]
//	G  = [1 0; 1/2 1/2; −1/6 1/6; −8/3 −4/3; 0 1/2]
//	Aᵀ = [1 1 1 1 0; 0 1 −1 1/2 0; 0 1 1 1/4 0; 0 1 −1 1/8 1]
//
// The three products are as for F(2×2, 2×2): L: Aᵀ [Σ U ⊙ V] A, Lᵀ:
// B [Σ U ⊙ S] Bᵀ with S = A s Aᵀ, dw: Gᵀ [Σ S ⊙ V] G. The data transforms
// multiply only by small integers and powers of 2 (exact), and every
// product is rounded to float32 explicitly, so no FMA can change a result
// between platforms; the weight transforms run in float64 and round once.
// Its rounding error is larger than F(2×2, 2×2)'s (the constants 8/3 and
// the integer rows grow the transformed values): TestWinograd4Error bounds
// it against the direct sums in float64.

// b5 is the adjoint B m of the input transform (engine.WinoInput4: the
// columns of Bᵀ).
func b5(m0, m1, m2, m3, m4 float32) (y0, y1, y2, y3, y4 float32) {
	s := (m0 + m1) + m2
	y0 = m0
	y1 = (((m2 - m1) - m3) + m4) - (m0 + m0)
	y2 = ((m1 - m0) - float32(3*m2)) - (m4 + m4)
	y3 = ((s + s) + m3) - m4
	y4 = m4 + m4
	return
}

// a5 is the adjoint A s of the output transform (engine.WinoOutput4: the
// columns of Aᵀ).
func a5(s0, s1, s2, s3 float32) (y0, y1, y2, y3, y4 float32) {
	y0 = s0
	y1 = ((s0 + s1) + s2) + s3
	y2 = ((s0 - s1) + s2) - s3
	y3 = ((s0 + float32(0.5*s1)) + float32(0.25*s2)) + float32(0.125*s3)
	y4 = s3
	return
}

// kern5 is the 1-D weight transform G x of F(4, 2) in float64.
func kern5(x0, x1 float64) (y0, y1, y2, y3, y4 float64) {
	y0 = x0
	y1 = float64(0.5*x0) + float64(0.5*x1)
	y2 = float64(x1-x0) / 6
	y3 = float64(-8.0/3*x0) - float64(4.0/3*x1)
	y4 = float64(0.5 * x1)
	return
}

// kernT5 is its adjoint Gᵀ x.
func kernT5(x0, x1, x2, x3, x4 float64) (y0, y1 float64) {
	s := float64(0.5*x1) - float64(4.0/3*x3)
	y0 = ((x0 + float64(0.5*x1)) - x2/6) - float64(8.0/3*x3)
	y1 = (s + x2/6) + float64(0.5*x4)
	return
}

// winoWeights4 writes U_ξ[o][cp] = (G g Gᵀ)_ξ (5×5, computed in float64,
// rounded once) for every weight sub-kernel g into u ([25][O][4C]).
func (g wgeom) winoWeights4(w, u []float32) {
	kc := g.kc()
	gs := 4 * g.o * kc // bytes between the 25 products
	g0 := 0 * gs
	g1 := 1 * gs
	g2 := 2 * gs
	g3 := 3 * gs
	g4 := 4 * gs
	g5 := 5 * gs
	g6 := 6 * gs
	g7 := 7 * gs
	g8 := 8 * gs
	g9 := 9 * gs
	g10 := 10 * gs
	g11 := 11 * gs
	g12 := 12 * gs
	g13 := 13 * gs
	g14 := 14 * gs
	g15 := 15 * gs
	g16 := 16 * gs
	g17 := 17 * gs
	g18 := 18 * gs
	g19 := 19 * gs
	g20 := 20 * gs
	g21 := 21 * gs
	g22 := 22 * gs
	g23 := 23 * gs
	g24 := 24 * gs
	for o := 0; o < g.o; o++ {
		for c := 0; c < g.c; c++ {
			k := w[(o*g.c+c)*16 : (o*g.c+c+1)*16]
			_ = u[24*g.o*kc+o*kc+c*4+3]
			p := unsafe.Pointer(&u[o*kc+c*4])
			for q := 0; q < 2; q++ {
				for r := 0; r < 2; r++ {
					// G g column by column, then (G g) Gᵀ row by row.
					a0, a1, a2, a3, a4 := kern5(float64(k[q*4+r]), float64(k[(2+q)*4+r]))
					b0, b1, b2, b3, b4 := kern5(float64(k[q*4+2+r]), float64(k[(2+q)*4+2+r]))
					y00, y01, y02, y03, y04 := kern5(a0, b0)
					y10, y11, y12, y13, y14 := kern5(a1, b1)
					y20, y21, y22, y23, y24 := kern5(a2, b2)
					y30, y31, y32, y33, y34 := kern5(a3, b3)
					y40, y41, y42, y43, y44 := kern5(a4, b4)
					st(p, g0, float32(y00))
					st(p, g1, float32(y01))
					st(p, g2, float32(y02))
					st(p, g3, float32(y03))
					st(p, g4, float32(y04))
					st(p, g5, float32(y10))
					st(p, g6, float32(y11))
					st(p, g7, float32(y12))
					st(p, g8, float32(y13))
					st(p, g9, float32(y14))
					st(p, g10, float32(y20))
					st(p, g11, float32(y21))
					st(p, g12, float32(y22))
					st(p, g13, float32(y23))
					st(p, g14, float32(y24))
					st(p, g15, float32(y30))
					st(p, g16, float32(y31))
					st(p, g17, float32(y32))
					st(p, g18, float32(y33))
					st(p, g19, float32(y34))
					st(p, g20, float32(y40))
					st(p, g21, float32(y41))
					st(p, g22, float32(y42))
					st(p, g23, float32(y43))
					st(p, g24, float32(y44))
					p = unsafe.Add(p, 4)
				}
			}
		}
	}
}

// winoWeightGrad4 adds dg = Gᵀ dU G (in float64, rounded once) to dw for
// every sub-kernel, from du ([25][O][4C]).
func (g wgeom) winoWeightGrad4(du, dw []float32) {
	kc := g.kc()
	gs := 4 * g.o * kc
	g0 := 0 * gs
	g1 := 1 * gs
	g2 := 2 * gs
	g3 := 3 * gs
	g4 := 4 * gs
	g5 := 5 * gs
	g6 := 6 * gs
	g7 := 7 * gs
	g8 := 8 * gs
	g9 := 9 * gs
	g10 := 10 * gs
	g11 := 11 * gs
	g12 := 12 * gs
	g13 := 13 * gs
	g14 := 14 * gs
	g15 := 15 * gs
	g16 := 16 * gs
	g17 := 17 * gs
	g18 := 18 * gs
	g19 := 19 * gs
	g20 := 20 * gs
	g21 := 21 * gs
	g22 := 22 * gs
	g23 := 23 * gs
	g24 := 24 * gs
	for o := 0; o < g.o; o++ {
		for c := 0; c < g.c; c++ {
			k := dw[(o*g.c+c)*16 : (o*g.c+c+1)*16]
			_ = du[24*g.o*kc+o*kc+c*4+3]
			p := unsafe.Pointer(&du[o*kc+c*4])
			for q := 0; q < 2; q++ {
				for r := 0; r < 2; r++ {
					// dU G row by row, then Gᵀ (dU G).
					h00, h01 := kernT5(float64(ld(p, g0)), float64(ld(p, g1)), float64(ld(p, g2)), float64(ld(p, g3)), float64(ld(p, g4)))
					h10, h11 := kernT5(float64(ld(p, g5)), float64(ld(p, g6)), float64(ld(p, g7)), float64(ld(p, g8)), float64(ld(p, g9)))
					h20, h21 := kernT5(float64(ld(p, g10)), float64(ld(p, g11)), float64(ld(p, g12)), float64(ld(p, g13)), float64(ld(p, g14)))
					h30, h31 := kernT5(float64(ld(p, g15)), float64(ld(p, g16)), float64(ld(p, g17)), float64(ld(p, g18)), float64(ld(p, g19)))
					h40, h41 := kernT5(float64(ld(p, g20)), float64(ld(p, g21)), float64(ld(p, g22)), float64(ld(p, g23)), float64(ld(p, g24)))
					d00, d10 := kernT5(h00, h10, h20, h30, h40)
					d01, d11 := kernT5(h01, h11, h21, h31, h41)
					k[q*4+r] += float32(d00)
					k[q*4+2+r] += float32(d01)
					k[(2+q)*4+r] += float32(d10)
					k[(2+q)*4+2+r] += float32(d11)
					p = unsafe.Add(p, 4)
				}
			}
		}
	}
}

// bigTransform4 writes V = Bᵀ d B of every 5×5 phase tile of big
// ([C][B][H][H]) into v ([25][4C][T]); pad is scratch of B·(H+2)² values.
func (g wgeom) bigTransform4(big, v, pad []float32, tiles []int32) {
	H, W := 2*g.h, 2*g.h+2
	kc, T := g.kc(), g.t
	plane := W * W
	gs := 4 * kc * T // bytes between the 25 products
	g0 := 0 * gs
	g1 := 1 * gs
	g2 := 2 * gs
	g3 := 3 * gs
	g4 := 4 * gs
	g5 := 5 * gs
	g6 := 6 * gs
	g7 := 7 * gs
	g8 := 8 * gs
	g9 := 9 * gs
	g10 := 10 * gs
	g11 := 11 * gs
	g12 := 12 * gs
	g13 := 13 * gs
	g14 := 14 * gs
	g15 := 15 * gs
	g16 := 16 * gs
	g17 := 17 * gs
	g18 := 18 * gs
	g19 := 19 * gs
	g20 := 20 * gs
	g21 := 21 * gs
	g22 := 22 * gs
	g23 := 23 * gs
	g24 := 24 * gs
	// phase rows and columns 0…4 of a tile: every second padded row and column
	r1, r2, r3, r4 := 4*2*W, 4*4*W, 4*6*W, 4*8*W
	const c1, c2, c3, c4 = 8, 16, 24, 32
	for c := 0; c < g.c; c++ {
		engine.PadPlanes(big[c*g.b*H*H:(c+1)*g.b*H*H], pad, g.b, H)
		for q := 0; q < 2; q++ {
			for r := 0; r < 2; r++ {
				cp := c*4 + q*2 + r
				if engine.HostWino4(engine.WinoBigTransform4, pad[q*W+r:g.b*plane], v[cp*T:], tiles, gs, r1) {
					continue
				}
				for b := 0; b < g.b; b++ {
					img := pad[b*plane : (b+1)*plane]
					for ty := 0; ty < g.th; ty++ {
						// padded row of phase row 4ty+i: 8ty + 2i + q (big row 8ty−1+2i+q)
						i0 := (8*ty+q)*W + r
						t0 := cp*T + (b*g.th+ty)*g.th
						_, _ = img[i0+8*W+8*(g.th-1)+8], v[t0+24*kc*T+g.th-1]
						d, o := unsafe.Pointer(&img[i0]), unsafe.Pointer(&v[t0])
						for tx := 0; tx < g.th; tx++ {
							// Bᵀ d column by column, then (Bᵀ d) B row by row.
							t00, t01, t02, t03, t04 := engine.WinoInput4(ld(d, 0), ld(d, r1), ld(d, r2), ld(d, r3), ld(d, r4))
							t10, t11, t12, t13, t14 := engine.WinoInput4(ld(d, c1), ld(d, r1+c1), ld(d, r2+c1), ld(d, r3+c1), ld(d, r4+c1))
							t20, t21, t22, t23, t24 := engine.WinoInput4(ld(d, c2), ld(d, r1+c2), ld(d, r2+c2), ld(d, r3+c2), ld(d, r4+c2))
							t30, t31, t32, t33, t34 := engine.WinoInput4(ld(d, c3), ld(d, r1+c3), ld(d, r2+c3), ld(d, r3+c3), ld(d, r4+c3))
							t40, t41, t42, t43, t44 := engine.WinoInput4(ld(d, c4), ld(d, r1+c4), ld(d, r2+c4), ld(d, r3+c4), ld(d, r4+c4))
							y00, y01, y02, y03, y04 := engine.WinoInput4(t00, t10, t20, t30, t40)
							y10, y11, y12, y13, y14 := engine.WinoInput4(t01, t11, t21, t31, t41)
							y20, y21, y22, y23, y24 := engine.WinoInput4(t02, t12, t22, t32, t42)
							y30, y31, y32, y33, y34 := engine.WinoInput4(t03, t13, t23, t33, t43)
							y40, y41, y42, y43, y44 := engine.WinoInput4(t04, t14, t24, t34, t44)
							st(o, g0, y00)
							st(o, g1, y01)
							st(o, g2, y02)
							st(o, g3, y03)
							st(o, g4, y04)
							st(o, g5, y10)
							st(o, g6, y11)
							st(o, g7, y12)
							st(o, g8, y13)
							st(o, g9, y14)
							st(o, g10, y20)
							st(o, g11, y21)
							st(o, g12, y22)
							st(o, g13, y23)
							st(o, g14, y24)
							st(o, g15, y30)
							st(o, g16, y31)
							st(o, g17, y32)
							st(o, g18, y33)
							st(o, g19, y34)
							st(o, g20, y40)
							st(o, g21, y41)
							st(o, g22, y42)
							st(o, g23, y43)
							st(o, g24, y44)
							d, o = unsafe.Add(d, 32), unsafe.Add(o, 4)
						}
					}
				}
			}
		}
	}
}

// bigInverse4 writes big ([C][B][H][H]) = Σ over tiles of B M Bᵀ, the
// adjoint of bigTransform4, from m ([25][4C][T]); pad is scratch of
// B·(H+2)² values.
func (g wgeom) bigInverse4(m, big, pad []float32, tiles []int32) {
	H, W := 2*g.h, 2*g.h+2
	kc, T := g.kc(), g.t
	plane := W * W
	gs := 4 * kc * T
	g0 := 0 * gs
	g1 := 1 * gs
	g2 := 2 * gs
	g3 := 3 * gs
	g4 := 4 * gs
	g5 := 5 * gs
	g6 := 6 * gs
	g7 := 7 * gs
	g8 := 8 * gs
	g9 := 9 * gs
	g10 := 10 * gs
	g11 := 11 * gs
	g12 := 12 * gs
	g13 := 13 * gs
	g14 := 14 * gs
	g15 := 15 * gs
	g16 := 16 * gs
	g17 := 17 * gs
	g18 := 18 * gs
	g19 := 19 * gs
	g20 := 20 * gs
	g21 := 21 * gs
	g22 := 22 * gs
	g23 := 23 * gs
	g24 := 24 * gs
	r1, r2, r3, r4 := 4*2*W, 4*4*W, 4*6*W, 4*8*W
	const c1, c2, c3, c4 = 8, 16, 24, 32
	for c := 0; c < g.c; c++ {
		clear(pad[:g.b*plane])
		for q := 0; q < 2; q++ {
			for r := 0; r < 2; r++ {
				cp := c*4 + q*2 + r
				if engine.HostWino4(engine.WinoBigInverse4, m[cp*T:], pad[q*W+r:g.b*plane], tiles, gs, r1) {
					continue
				}
				for b := 0; b < g.b; b++ {
					img := pad[b*plane : (b+1)*plane]
					for ty := 0; ty < g.th; ty++ {
						i0 := (8*ty+q)*W + r
						t0 := cp*T + (b*g.th+ty)*g.th
						_, _ = img[i0+8*W+8*(g.th-1)+8], m[t0+24*kc*T+g.th-1]
						d, o := unsafe.Pointer(&img[i0]), unsafe.Pointer(&m[t0])
						for tx := 0; tx < g.th; tx++ {
							// B M column by column, then (B M) Bᵀ row by row.
							n00, n01, n02, n03, n04 := b5(ld(o, g0), ld(o, g5), ld(o, g10), ld(o, g15), ld(o, g20))
							n10, n11, n12, n13, n14 := b5(ld(o, g1), ld(o, g6), ld(o, g11), ld(o, g16), ld(o, g21))
							n20, n21, n22, n23, n24 := b5(ld(o, g2), ld(o, g7), ld(o, g12), ld(o, g17), ld(o, g22))
							n30, n31, n32, n33, n34 := b5(ld(o, g3), ld(o, g8), ld(o, g13), ld(o, g18), ld(o, g23))
							n40, n41, n42, n43, n44 := b5(ld(o, g4), ld(o, g9), ld(o, g14), ld(o, g19), ld(o, g24))
							y00, y01, y02, y03, y04 := b5(n00, n10, n20, n30, n40)
							y10, y11, y12, y13, y14 := b5(n01, n11, n21, n31, n41)
							y20, y21, y22, y23, y24 := b5(n02, n12, n22, n32, n42)
							y30, y31, y32, y33, y34 := b5(n03, n13, n23, n33, n43)
							y40, y41, y42, y43, y44 := b5(n04, n14, n24, n34, n44)
							add(d, 0, y00)
							add(d, c1, y01)
							add(d, c2, y02)
							add(d, c3, y03)
							add(d, c4, y04)
							add(d, r1, y10)
							add(d, r1+c1, y11)
							add(d, r1+c2, y12)
							add(d, r1+c3, y13)
							add(d, r1+c4, y14)
							add(d, r2, y20)
							add(d, r2+c1, y21)
							add(d, r2+c2, y22)
							add(d, r2+c3, y23)
							add(d, r2+c4, y24)
							add(d, r3, y30)
							add(d, r3+c1, y31)
							add(d, r3+c2, y32)
							add(d, r3+c3, y33)
							add(d, r3+c4, y34)
							add(d, r4, y40)
							add(d, r4+c1, y41)
							add(d, r4+c2, y42)
							add(d, r4+c3, y43)
							add(d, r4+c4, y44)
							d, o = unsafe.Add(d, 32), unsafe.Add(o, 4)
						}
					}
				}
			}
		}
		unpadPlanes(big[c*g.b*H*H:(c+1)*g.b*H*H], pad, g.b, H)
	}
}

// smallTransform4 writes S = A s Aᵀ of every 4×4 tile of small
// ([O][B][h][h]) into s ([25][O][T]).
func (g wgeom) smallTransform4(small, s []float32, tiles []int32) {
	h, T := g.h, g.t
	gs := 4 * g.o * T
	g0 := 0 * gs
	g1 := 1 * gs
	g2 := 2 * gs
	g3 := 3 * gs
	g4 := 4 * gs
	g5 := 5 * gs
	g6 := 6 * gs
	g7 := 7 * gs
	g8 := 8 * gs
	g9 := 9 * gs
	g10 := 10 * gs
	g11 := 11 * gs
	g12 := 12 * gs
	g13 := 13 * gs
	g14 := 14 * gs
	g15 := 15 * gs
	g16 := 16 * gs
	g17 := 17 * gs
	g18 := 18 * gs
	g19 := 19 * gs
	g20 := 20 * gs
	g21 := 21 * gs
	g22 := 22 * gs
	g23 := 23 * gs
	g24 := 24 * gs
	r1, r2, r3 := 4*h, 8*h, 12*h
	const c1, c2, c3 = 4, 8, 12
	for o := 0; o < g.o; o++ {
		if engine.HostWino4(engine.WinoSmallTransform4, small[o*g.b*h*h:(o+1)*g.b*h*h], s[o*T:], tiles, gs, r1) {
			continue
		}
		for b := 0; b < g.b; b++ {
			img := small[(o*g.b+b)*h*h : (o*g.b+b+1)*h*h]
			for ty := 0; ty < g.th; ty++ {
				t0 := o*T + (b*g.th+ty)*g.th
				_, _ = img[(4*ty+3)*h+h-1], s[t0+24*g.o*T+g.th-1]
				d, w := unsafe.Pointer(&img[4*ty*h]), unsafe.Pointer(&s[t0])
				for tx := 0; tx < g.th; tx++ {
					// A s column by column, then (A s) Aᵀ row by row.
					t00, t01, t02, t03, t04 := a5(ld(d, 0), ld(d, r1), ld(d, r2), ld(d, r3))
					t10, t11, t12, t13, t14 := a5(ld(d, c1), ld(d, r1+c1), ld(d, r2+c1), ld(d, r3+c1))
					t20, t21, t22, t23, t24 := a5(ld(d, c2), ld(d, r1+c2), ld(d, r2+c2), ld(d, r3+c2))
					t30, t31, t32, t33, t34 := a5(ld(d, c3), ld(d, r1+c3), ld(d, r2+c3), ld(d, r3+c3))
					y00, y01, y02, y03, y04 := a5(t00, t10, t20, t30)
					y10, y11, y12, y13, y14 := a5(t01, t11, t21, t31)
					y20, y21, y22, y23, y24 := a5(t02, t12, t22, t32)
					y30, y31, y32, y33, y34 := a5(t03, t13, t23, t33)
					y40, y41, y42, y43, y44 := a5(t04, t14, t24, t34)
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
					d, w = unsafe.Add(d, 16), unsafe.Add(w, 4)
				}
			}
		}
	}
}

// smallInverse4 writes small ([O][B][h][h]) = Aᵀ M A of every tile from m
// ([25][O][T]).
func (g wgeom) smallInverse4(m, small []float32, tiles []int32) {
	h, T := g.h, g.t
	gs := 4 * g.o * T
	g0 := 0 * gs
	g1 := 1 * gs
	g2 := 2 * gs
	g3 := 3 * gs
	g4 := 4 * gs
	g5 := 5 * gs
	g6 := 6 * gs
	g7 := 7 * gs
	g8 := 8 * gs
	g9 := 9 * gs
	g10 := 10 * gs
	g11 := 11 * gs
	g12 := 12 * gs
	g13 := 13 * gs
	g14 := 14 * gs
	g15 := 15 * gs
	g16 := 16 * gs
	g17 := 17 * gs
	g18 := 18 * gs
	g19 := 19 * gs
	g20 := 20 * gs
	g21 := 21 * gs
	g22 := 22 * gs
	g23 := 23 * gs
	g24 := 24 * gs
	r1, r2, r3 := 4*h, 8*h, 12*h
	const c1, c2, c3 = 4, 8, 12
	for o := 0; o < g.o; o++ {
		if engine.HostWino4(engine.WinoSmallInverse4, m[o*T:], small[o*g.b*h*h:(o+1)*g.b*h*h], tiles, gs, r1) {
			continue
		}
		for b := 0; b < g.b; b++ {
			img := small[(o*g.b+b)*h*h : (o*g.b+b+1)*h*h]
			for ty := 0; ty < g.th; ty++ {
				t0 := o*T + (b*g.th+ty)*g.th
				_, _ = img[(4*ty+3)*h+h-1], m[t0+24*g.o*T+g.th-1]
				d, w := unsafe.Pointer(&img[4*ty*h]), unsafe.Pointer(&m[t0])
				for tx := 0; tx < g.th; tx++ {
					// Aᵀ M column by column, then (Aᵀ M) A row by row.
					t00, t01, t02, t03 := engine.WinoOutput4(ld(w, g0), ld(w, g5), ld(w, g10), ld(w, g15), ld(w, g20))
					t10, t11, t12, t13 := engine.WinoOutput4(ld(w, g1), ld(w, g6), ld(w, g11), ld(w, g16), ld(w, g21))
					t20, t21, t22, t23 := engine.WinoOutput4(ld(w, g2), ld(w, g7), ld(w, g12), ld(w, g17), ld(w, g22))
					t30, t31, t32, t33 := engine.WinoOutput4(ld(w, g3), ld(w, g8), ld(w, g13), ld(w, g18), ld(w, g23))
					t40, t41, t42, t43 := engine.WinoOutput4(ld(w, g4), ld(w, g9), ld(w, g14), ld(w, g19), ld(w, g24))
					y00, y01, y02, y03 := engine.WinoOutput4(t00, t10, t20, t30, t40)
					y10, y11, y12, y13 := engine.WinoOutput4(t01, t11, t21, t31, t41)
					y20, y21, y22, y23 := engine.WinoOutput4(t02, t12, t22, t32, t42)
					y30, y31, y32, y33 := engine.WinoOutput4(t03, t13, t23, t33, t43)
					st(d, 0, y00)
					st(d, c1, y01)
					st(d, c2, y02)
					st(d, c3, y03)
					st(d, r1, y10)
					st(d, r1+c1, y11)
					st(d, r1+c2, y12)
					st(d, r1+c3, y13)
					st(d, r2, y20)
					st(d, r2+c1, y21)
					st(d, r2+c2, y22)
					st(d, r2+c3, y23)
					st(d, r3, y30)
					st(d, r3+c1, y31)
					st(d, r3+c2, y32)
					st(d, r3+c3, y33)
					d, w = unsafe.Add(d, 16), unsafe.Add(w, 4)
				}
			}
		}
	}
}

// smallTiles4 and bigTiles4 are the byte offsets of every tile t =
// (b·th + ty)·th + tx of the small side's planes ([B][h][h]) and of the
// padded big side's (pad, [B][H+2][H+2], phase (0, 0)), for the host's
// SIMD transforms (engine.HostWino4).
func (g wgeom) smallTiles4() []int32 { return g.tileOffsets(g.h, 4) }

func (g wgeom) bigTiles4() []int32 { return g.tileOffsets(2*g.h+2, 8) }

// tileOffsets lists the tiles of planes of side w, each tile step
// elements after the one before it in both directions.
func (g wgeom) tileOffsets(w, step int) []int32 {
	tiles := make([]int32, 0, g.t)
	for b := 0; b < g.b; b++ {
		for ty := 0; ty < g.th; ty++ {
			for tx := 0; tx < g.th; tx++ {
				tiles = append(tiles, int32(4*(b*w*w+step*ty*w+step*tx)))
			}
		}
	}
	return tiles
}
