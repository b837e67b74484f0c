package engine

import "math"

// Every product below is converted to float32 before it is added
// (`s += float32(a * b)`): the Go spec then forbids fusing the multiply and
// the add into an FMA, which the compiler does on amd64 with GOAMD64=v3 but
// cannot do in WebAssembly. That keeps native and wasm results bit-identical.

// gemm computes c[i][j] = Σ_k A[i][k]·B[k][j] for i < m, j < np, with A packed
// in panels of tileM rows (ap) and B packed in panels of tileN columns (bp).
// c has m rows of stride np; rows of the last panel beyond m are not stored.
func gemm(ap, bp, c []float32, m, k, np int) {
	for i0 := 0; i0 < m; i0 += tileM {
		panel := ap[i0*k : i0*k+tileM*k]
		for j0 := 0; j0 < np; j0 += tileN {
			a, b := panel, bp[j0*k:j0*k+tileN*k]
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
			rows := [tileM][tileN]float32{
				{c00, c01, c02, c03}, {c10, c11, c12, c13},
				{c20, c21, c22, c23}, {c30, c31, c32, c33},
			}
			for r := 0; r < tileM && i0+r < m; r++ {
				dst := c[(i0+r)*np+j0 : (i0+r)*np+j0+tileN]
				dst[0], dst[1], dst[2], dst[3] = rows[r][0], rows[r][1], rows[r][2], rows[r][3]
			}
		}
	}
}

// im2colPacked writes the im2col matrix of in for a Conv2d layer directly in
// the packed B layout: element (row q = ic·k·k + ky·k + kx, column j = oy·W + ox)
// at bp[(j/tileN)·K·tileN + q·tileN + j%tileN]. Columns past the real ones are
// zero.
func im2colPacked(in, bp []float32, s LayerSpec, K, np int) {
	H, OH, k := s.InH, s.OutH, s.K
	n := OH * OH
	for j := 0; j < np; j++ {
		panel := bp[(j/tileN)*K*tileN : (j/tileN+1)*K*tileN]
		t := j % tileN
		if j >= n {
			for q := 0; q < K; q++ {
				panel[q*tileN+t] = 0
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
					panel[q*tileN+t] = v
					q++
				}
			}
		}
	}
}

// packRows packs a row-major [K][n] matrix into the packed B layout with np
// columns (zero beyond n).
func packRows(in, bp []float32, K, n, np int) {
	for j0 := 0; j0 < np; j0 += tileN {
		panel := bp[j0*K : (j0+tileN)*K]
		for q := 0; q < K; q++ {
			row := in[q*n : (q+1)*n]
			for t := 0; t < tileN; t++ {
				var v float32
				if j0+t < n {
					v = row[j0+t]
				}
				panel[q*tileN+t] = v
			}
		}
	}
}

// col2im scatters the ConvTranspose2d columns c (rows oc·k·k + ky·k + kx,
// columns iy·W + ix, stride np) into the output feature map out.
func col2im(c, out []float32, s LayerSpec, np int) {
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

// activate writes act(src + bias) into dst.
func activate(dst, src []float32, bias float32, act Act) {
	src = src[:len(dst)]
	switch act {
	case LeakyReLU:
		for i, v := range src {
			v += bias
			if v < 0 {
				v *= LeakySlope
			}
			dst[i] = v
		}
	case ReLU:
		for i, v := range src {
			v += bias
			if v < 0 {
				v = 0
			}
			dst[i] = v
		}
	case Tanh:
		for i, v := range src {
			dst[i] = tanh32(v + bias)
		}
	default:
		for i, v := range src {
			dst[i] = v + bias
		}
	}
}

// tanh32 is tanh for float32 computed in float64 with our own exp, so that it
// is identical on every platform (math.Exp has an assembly version on amd64).
func tanh32(x float32) float32 {
	ax := float64(x)
	neg := ax < 0
	if neg {
		ax = -ax
	}
	var t float64
	switch {
	case ax > 10: // tanh(10) rounds to 1 in float32
		t = 1
	case ax < 0x1p-12:
		t = ax
	default:
		e := exp(2 * ax)
		t = 1 - 2/(e+1)
	}
	if neg {
		t = -t
	}
	return float32(t)
}

// exp computes e^x for 0 ≤ x ≤ 20 with a relative error below 1e-15, using
// only +, −, × and ÷ (all correctly rounded in IEEE 754, hence portable).
func exp(x float64) float64 {
	const ln2Hi, ln2Lo = 6.93147180369123816490e-01, 1.90821492927058770002e-10
	const invLn2 = 1.44269504088896338700e+00
	kf := float64(int64(x*invLn2 + 0.5))
	r := float64(x-float64(kf*ln2Hi)) - float64(kf*ln2Lo)
	// Taylor series to degree 13 on |r| ≤ 0.35: remainder < 1e-17.
	p := 1.0 / 6227020800
	for _, c := range [...]float64{1.0 / 479001600, 1.0 / 39916800, 1.0 / 3628800, 1.0 / 362880, 1.0 / 40320, 1.0 / 5040, 1.0 / 720, 1.0 / 120, 1.0 / 24, 1.0 / 6, 0.5, 1, 1} {
		p = float64(p*r) + c
	}
	k := int64(kf)
	return p * math.Float64frombits(uint64(k+1023)<<52)
}
