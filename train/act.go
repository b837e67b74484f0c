package train

import (
	"math"

	"github.com/ganomaly-go/ganomaly/engine"
	"github.com/ganomaly-go/ganomaly/spec"
)

// Every product below is converted to float32 before it is added, so that
// no compiler fuses it into an FMA (see engine/kernels.go): native and
// WebAssembly builds then round identically.

// activate writes act(src) into dst (src may be dst).
func activate(dst, src []float32, act spec.Act) {
	src = src[:len(dst)]
	switch act {
	case spec.LeakyReLU:
		for i, v := range src {
			dst[i] = leakyReLU(v)
		}
	case spec.ReLU:
		for i, v := range src {
			dst[i] = relu(v)
		}
	case spec.Tanh:
		for i, v := range src {
			dst[i] = engine.Tanh(v)
		}
	case spec.Sigmoid:
		for i, v := range src {
			dst[i] = sigmoid(v)
		}
	default:
		copy(dst, src)
	}
}

// actBackward writes into d the gradient of the activation's input, given
// dout, the gradient of its output, and out, its output (as PyTorch's
// in-place activations do).
func actBackward(d, dout, out []float32, act spec.Act) {
	dout, out = dout[:len(d)], out[:len(d)]
	switch act {
	case spec.LeakyReLU:
		for i, y := range out {
			d[i] = leakyReLUGrad(dout[i], y)
		}
	case spec.ReLU:
		for i, y := range out {
			d[i] = reluGrad(dout[i], y)
		}
	case spec.Tanh:
		for i, y := range out {
			d[i] = float32(dout[i] * float32(1-float32(y*y)))
		}
	case spec.Sigmoid:
		for i, y := range out {
			d[i] = float32(dout[i] * float32(float32(1-y)*y))
		}
	default:
		copy(d, dout)
	}
}

func abs32(v float32) float32 { return float32(math.Abs(float64(v))) }

// The activations and their gradients are branch-free: the sign of an
// activation is random, so a branch on it mispredicts half the time (Go's
// WebAssembly backend compiles no conditional select).

func leakyReLU(v float32) float32 {
	a := abs32(v)
	return float32(0.5*(v+a)) + float32(spec.LeakySlope*float32(0.5*(v-a)))
}

func relu(v float32) float32 { return float32(0.5 * (v + abs32(v))) }

// positive is all ones when y > 0 (not ±0, not negative) and zero otherwise.
func positive(y float32) uint32 {
	x := int32(math.Float32bits(y))
	return uint32(-x >> 31 &^ (x >> 31))
}

// leakyReLUGrad is dout when the output y > 0, else dout·slope (dout·1 is
// exactly dout), as PyTorch's leaky_relu_backward.
func leakyReLUGrad(dout, y float32) float32 {
	one, slope := math.Float32bits(1), math.Float32bits(spec.LeakySlope)
	return float32(dout * math.Float32frombits(slope^(positive(y)&(one^slope))))
}

// reluGrad is dout when y > 0, else +0.
func reluGrad(dout, y float32) float32 {
	return math.Float32frombits(math.Float32bits(dout) & positive(y))
}

// sigmoid is 1/(1 + e^−x), computed in float64 with the portable exp.
func sigmoid(x float32) float32 { return float32(1 / (1 + expAny(-float64(x)))) }

// expAny is e^x using only +, −, ×, ÷ (correctly rounded everywhere, unlike
// math.Exp, which has an assembly version on amd64), relative error < 1e-15.
func expAny(x float64) float64 {
	switch {
	case x != x:
		return x
	case x > 709:
		return math.Inf(1)
	case x < -745:
		return 0
	}
	const ln2Hi, ln2Lo = 6.93147180369123816490e-01, 1.90821492927058770002e-10
	const invLn2 = 1.44269504088896338700e+00
	kf := math.Floor(float64(x*invLn2) + 0.5)
	r := float64(x-float64(kf*ln2Hi)) - float64(kf*ln2Lo)
	p := 1.0 / 6227020800 // Taylor series to degree 13 on |r| ≤ 0.35
	for _, c := range [...]float64{1.0 / 479001600, 1.0 / 39916800, 1.0 / 3628800, 1.0 / 362880, 1.0 / 40320, 1.0 / 5040, 1.0 / 720, 1.0 / 120, 1.0 / 24, 1.0 / 6, 0.5, 1, 1} {
		p = float64(p*r) + c
	}
	k := int(kf)
	// 2^k in two factors so that neither overflows nor goes subnormal early.
	k1 := k / 2
	return float64(float64(p*math.Ldexp(1, k1)) * math.Ldexp(1, k-k1))
}

// logAny is the natural logarithm for x > 0 using only +, −, ×, ÷ and bit
// manipulation, relative error < 1e-15: log x = e·ln 2 + 2·atanh((m−1)/(m+1)).
func logAny(x float64) float64 {
	switch {
	case x != x || x < 0:
		return math.NaN()
	case x == 0:
		return math.Inf(-1)
	case math.IsInf(x, 1):
		return x
	}
	m, e := math.Frexp(x) // m in [0.5, 1)
	if m < math.Sqrt2/2 {
		m *= 2
		e--
	}
	f := (m - 1) / (m + 1) // |f| ≤ 0.172
	f2 := float64(f * f)
	s, t := 0.0, f
	for n := 1; n <= 27; n += 2 {
		s += t / float64(n)
		t = float64(t * f2)
	}
	const ln2Hi, ln2Lo = 6.93147180369123816490e-01, 1.90821492927058770002e-10
	return float64(float64(e)*ln2Hi) + (float64(float64(e)*ln2Lo) + 2*s)
}
