package engine

import (
	"math"

	"github.com/ganomaly-go/ganomaly/spec"
)

// Every product in this package is converted to float32 before it is added
// (`s += float32(a * b)`): the Go spec then forbids fusing the multiply and
// the add into an FMA, which the compiler does on amd64 with GOAMD64=v3 but
// cannot do in WebAssembly. That keeps native and wasm results bit-identical.

// gemv computes y[i] = Σ_k A[i][k]·x[k] for i < mp, with A packed in panels
// of gemvM = 8 rows, k-major. Each sum runs over k in increasing order.
// Every weight is used once, so this is bound by loads (in wasm each costs an
// address computation too); 8 rows keep 8 independent sums in flight, about
// 15% faster than 4 in node.
func gemv(ap, x, y []float32, mp, k int) {
	x = x[:k]
	for i0 := 0; i0 < mp; i0 += gemvM {
		a, b := ap[i0*k:(i0+gemvM)*k], x
		var c0, c1, c2, c3, c4, c5, c6, c7, xv float32
		for len(a) >= 4*gemvM && len(b) >= 4 {
			xv = b[0]
			c0 += float32(a[0] * xv)
			c1 += float32(a[1] * xv)
			c2 += float32(a[2] * xv)
			c3 += float32(a[3] * xv)
			c4 += float32(a[4] * xv)
			c5 += float32(a[5] * xv)
			c6 += float32(a[6] * xv)
			c7 += float32(a[7] * xv)
			xv = b[1]
			c0 += float32(a[8] * xv)
			c1 += float32(a[9] * xv)
			c2 += float32(a[10] * xv)
			c3 += float32(a[11] * xv)
			c4 += float32(a[12] * xv)
			c5 += float32(a[13] * xv)
			c6 += float32(a[14] * xv)
			c7 += float32(a[15] * xv)
			xv = b[2]
			c0 += float32(a[16] * xv)
			c1 += float32(a[17] * xv)
			c2 += float32(a[18] * xv)
			c3 += float32(a[19] * xv)
			c4 += float32(a[20] * xv)
			c5 += float32(a[21] * xv)
			c6 += float32(a[22] * xv)
			c7 += float32(a[23] * xv)
			xv = b[3]
			c0 += float32(a[24] * xv)
			c1 += float32(a[25] * xv)
			c2 += float32(a[26] * xv)
			c3 += float32(a[27] * xv)
			c4 += float32(a[28] * xv)
			c5 += float32(a[29] * xv)
			c6 += float32(a[30] * xv)
			c7 += float32(a[31] * xv)
			a, b = a[4*gemvM:], b[4:]
		}
		for len(a) >= gemvM && len(b) >= 1 {
			xv = b[0]
			c0 += float32(a[0] * xv)
			c1 += float32(a[1] * xv)
			c2 += float32(a[2] * xv)
			c3 += float32(a[3] * xv)
			c4 += float32(a[4] * xv)
			c5 += float32(a[5] * xv)
			c6 += float32(a[6] * xv)
			c7 += float32(a[7] * xv)
			a, b = a[gemvM:], b[1:]
		}
		r := y[i0 : i0+gemvM]
		r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7] = c0, c1, c2, c3, c4, c5, c6, c7
	}
}

// im2colPacked writes the im2col matrix of in for a Conv2d layer directly in
// the packed B layout: element (row q = ic·k·k + ky·k + kx, column j = oy·W + ox)
// at bp[(j/tileN)·K·tileN + q·tileN + j%tileN]. Columns past the real ones are
// zero. With padding 0 or 1 it reads whole panels without a bounds test per
// element: from in itself, or from its zero-bordered copy in pad (PadPlanes).
func im2colPacked(in, bp, pad []float32, s spec.LayerSpec, K, np int) {
	H, OH, k := s.InH, s.OutH, s.K
	n := OH * OH
	src, W := in, H
	switch s.P {
	case 0:
	case 1:
		src, W = PadPlanes(in, pad, s.InC, H), H+2
	default:
		im2colGeneric(in, bp, s, K, np)
		return
	}
	plane := W * W
	var off [tileN]int
	for j0 := 0; j0+tileN <= n; j0 += tileN {
		for t := range off {
			oy, ox := (j0+t)/OH, (j0+t)%OH
			off[t] = oy*s.S*W + ox*s.S
		}
		panel := bp[j0*K : (j0+tileN)*K]
		q := 0
		for ic := 0; ic < s.InC; ic++ {
			for ky := 0; ky < k; ky++ {
				for kx := 0; kx < k; kx++ {
					i := ic*plane + ky*W + kx
					p := panel[q*tileN : q*tileN+tileN]
					p[0], p[1], p[2], p[3] = src[i+off[0]], src[i+off[1]], src[i+off[2]], src[i+off[3]]
					q++
				}
			}
		}
	}
	if n%tileN != 0 {
		im2colColumns(in, bp, s, K, n/tileN*tileN, np)
	}
}

// im2colGeneric is im2colPacked for any padding, one element at a time.
func im2colGeneric(in, bp []float32, s spec.LayerSpec, K, np int) { im2colColumns(in, bp, s, K, 0, np) }

// im2colColumns writes the packed im2col columns j0 … np−1 of in, testing
// each element against the borders.
func im2colColumns(in, bp []float32, s spec.LayerSpec, K, j0, np int) {
	H, OH, k := s.InH, s.OutH, s.K
	n := OH * OH
	for j := j0; j < np; j++ {
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
		if j0+tileN <= n { // a whole panel: 4 values per row, no test
			for q := 0; q < K; q++ {
				r, p := in[q*n+j0:q*n+j0+tileN], panel[q*tileN:q*tileN+tileN]
				p[0], p[1], p[2], p[3] = r[0], r[1], r[2], r[3]
			}
			continue
		}
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
func col2im(c, out []float32, s spec.LayerSpec, np int) {
	for i := range out {
		out[i] = 0
	}
	H, OH, k := s.InH, s.OutH, s.K
	// in0 and in1 bound the inputs i whose output i·S − P + t lies in
	// [0, OH): the loops visit the same (iy, ix) in the same order as a test
	// per element would, so the sums are unchanged.
	in0 := func(t int) int { return max(0, (s.P-t+s.S-1)/s.S) }
	in1 := func(t int) int {
		if n := OH - 1 + s.P - t; n >= 0 {
			return min(H, n/s.S+1)
		}
		return 0
	}
	for oc := 0; oc < s.OutC; oc++ {
		plane := out[oc*OH*OH : (oc+1)*OH*OH]
		for ky := 0; ky < k; ky++ {
			for kx := 0; kx < k; kx++ {
				row := c[((oc*k+ky)*k+kx)*np:]
				x0, x1 := in0(kx), in1(kx)
				for iy := in0(ky); iy < in1(ky); iy++ {
					oy := iy*s.S - s.P + ky
					src := row[iy*H : iy*H+H]
					for ix := x0; ix < x1; ix++ {
						plane[oy*OH+ix*s.S-s.P+kx] += src[ix]
					}
				}
			}
		}
	}
}

// activate writes act(src + bias) into dst.
//
// ReLU and LeakyReLU are branch-free: the sign of an activation is random, so
// a branch mispredicts about half the time, and wasm has no float select or
// max that Go uses (max is a runtime call there). With a = |v|, (v+a)/2 is
// max(v, 0) and (v−a)/2 is min(v, 0), both exact (halving and doubling are
// exact), so the results equal the branching definitions except that a zero
// result is always +0, and for |v| above MaxFloat32/2, where v+a overflows.
// 2.5–3× faster than the branches, in node and natively.
func activate(dst, src []float32, bias float32, act spec.Act) {
	src = src[:len(dst)]
	switch act {
	case spec.LeakyReLU:
		for i, v := range src {
			dst[i] = leaky(v + bias)
		}
	case spec.ReLU:
		for i, v := range src {
			dst[i] = relu(v + bias)
		}
	case spec.Tanh:
		for i, v := range src {
			dst[i] = tanh32(v + bias)
		}
	default:
		for i, v := range src {
			dst[i] = v + bias
		}
	}
}

// leaky is LeakyReLU(v) without a branch (see activate).
func leaky(v float32) float32 {
	a := abs32(v)
	return float32(0.5*(v+a)) + float32(spec.LeakySlope*float32(0.5*(v-a)))
}

// relu is ReLU(v) without a branch (see activate).
func relu(v float32) float32 { return float32(0.5 * (v + abs32(v))) }

// abs32 is |v|, exact (float32 → float64 widening is exact, math.Abs is a
// single instruction on every platform).
func abs32(v float32) float32 { return float32(math.Abs(float64(v))) }

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
	kf := float64(int64(float64(x*invLn2) + 0.5)) // float64(): never fused into an FMA
	r := float64(x-float64(kf*ln2Hi)) - float64(kf*ln2Lo)
	// Taylor series to degree 13 on |r| ≤ 0.35: remainder < 1e-17.
	p := 1.0 / 6227020800
	for _, c := range [...]float64{1.0 / 479001600, 1.0 / 39916800, 1.0 / 3628800, 1.0 / 362880, 1.0 / 40320, 1.0 / 5040, 1.0 / 720, 1.0 / 120, 1.0 / 24, 1.0 / 6, 0.5, 1, 1} {
		p = float64(p*r) + c
	}
	k := int64(kf)
	return float64(p * math.Float64frombits(uint64(k+1023)<<52))
}
