package wasmsimd

import "fmt"

// Elementwise passes of the pure-Go trainer: BatchNorm's normalisation
// with its activation (train's batchNorm), the last pass of its backward
// (batchNormBackward) and the Adam update (adam.update). Each runs four
// elements per f32x4 operation and the tail of n one at a time, with the
// float32 operations of the Go code in its order, so every element gets
// the Go code's bits. (BatchNorm's float64 sums stay in Go: their order
// is one chain per channel, which lanes cannot keep.)

// ew writes one pass either over f32x4 lanes (vec) or over single float32
// values: the same expression, in the same order, both ways.
type ew struct {
	f   *fn
	vec bool
	n   int
}

func (e *ew) tmp() string {
	e.n++
	if e.vec {
		return e.f.local(fmt.Sprintf("v%d", e.n), v128)
	}
	return e.f.local(fmt.Sprintf("s%d", e.n), f32)
}

// into runs emit, which pushes one value, and keeps it in a fresh local.
func (e *ew) into(emit func()) string {
	r := e.tmp()
	emit()
	e.f.set(r)
	return r
}

// konst is the constant c (in every lane).
func (e *ew) konst(c float32) string {
	return e.into(func() {
		if e.vec {
			e.f.v128Const(c)
		} else {
			e.f.f32Const(c)
		}
	})
}

func (e *ew) op(vecCode uint32, scalar byte, args ...string) string {
	return e.into(func() {
		for _, a := range args {
			e.f.get(a)
		}
		if e.vec {
			e.f.simd(vecCode)
		} else {
			e.f.op(scalar)
		}
	})
}

func (e *ew) add(a, b string) string { return e.op(0xe4, 0x92, a, b) }
func (e *ew) sub(a, b string) string { return e.op(0xe5, 0x93, a, b) }
func (e *ew) mul(a, b string) string { return e.op(0xe6, 0x94, a, b) }
func (e *ew) div(a, b string) string { return e.op(0xe7, 0x95, a, b) }
func (e *ew) abs(a string) string    { return e.op(0xe0, 0x8b, a) }
func (e *ew) sqrt(a string) string   { return e.op(0xe3, 0x91, a) }

// load reads the element at pointer p (a local).
func (e *ew) load(p string) string {
	return e.into(func() {
		e.f.get(p)
		if e.vec {
			e.f.v128Load(0)
		} else {
			e.f.f32Load(0)
		}
	})
}

func (e *ew) store(p, v string) {
	e.f.get(p)
	e.f.get(v)
	if e.vec {
		e.f.v128Store(0)
	} else {
		e.f.f32Store(0)
	}
}

// elemFn writes name(ptrs…, n, scalars…) → 1 over n elements: body gets,
// per mode, the scalars (splatted in vector mode) and the element
// pointers, which advance by one element (or four) per step.
func elemFn(name string, ptrs, scalars []string, body func(e *ew, s map[string]string)) *fn {
	f := newFn(name, true, []valType{i32}, append(append([]string{}, ptrs...), "n")...)
	for _, s := range scalars {
		f.paramF32(s)
	}
	f.local("i", i32)
	splat := map[string]string{}
	for _, s := range scalars {
		splat[s] = f.local(s+"4", v128)
		f.get(s)
		f.simd(0x13) // f32x4.splat
		f.set(splat[s])
	}
	same := map[string]string{}
	for _, s := range scalars {
		same[s] = s
	}
	pass := func(vec bool, step int) {
		e := &ew{f: f, vec: vec}
		// while i + step <= n
		f.until(func() { f.get("i"); f.i32c(int32(step)); f.i32Add(); f.get("n"); f.i32GtU() }, func() {
			if vec {
				body(e, splat)
			} else {
				body(e, same)
			}
			for _, p := range ptrs {
				f.addTo(p, int32(4*step))
			}
			f.addTo("i", int32(step))
		})
	}
	pass(true, 4)
	pass(false, 1)
	f.i32c(1)
	return f
}

// bnApplyFn: out = act(float32(float32(z − mean)·a) + bb), act 0 none, 1
// LeakyReLU (slope), 2 ReLU, in the branch-free forms of train's act.go.
func bnApplyFns() []*fn {
	var fns []*fn
	for act, name := range []string{"bnApply", "bnApplyLeaky", "bnApplyReLU"} {
		fns = append(fns, elemFn(name, []string{"z", "out"}, []string{"mean", "a", "bb", "slope"}, func(e *ew, s map[string]string) {
			v := e.add(e.mul(e.sub(e.load("z"), s["mean"]), s["a"]), s["bb"])
			switch act {
			case 1: // float32(0.5·(v+|v|)) + float32(slope·float32(0.5·(v−|v|)))
				a, half := e.abs(v), e.konst(0.5)
				v = e.add(e.mul(half, e.add(v, a)), e.mul(s["slope"], e.mul(half, e.sub(v, a))))
			case 2: // float32(0.5·(v+|v|))
				v = e.mul(e.konst(0.5), e.add(v, e.abs(v)))
			}
			e.store("out", v)
		}))
	}
	return fns
}

// bnBackApplyFn: d = float32(k·((d − my) − float32(xh·mx))) with xh =
// float32(float32(z − mean)·istd).
func bnBackApplyFn() *fn {
	return elemFn("bnBackApply", []string{"d", "z"}, []string{"mean", "istd", "k", "my", "mx"}, func(e *ew, s map[string]string) {
		xh := e.mul(e.sub(e.load("z"), s["mean"]), s["istd"])
		e.store("d", e.mul(s["k"], e.sub(e.sub(e.load("d"), s["my"]), e.mul(xh, s["mx"]))))
	})
}

// adamFns: adam.update's loop for one tensor, the lerp of the first moment
// in its two forms (w < 0.5: m += w·(g − m); else m = g − (g − m)·(1 − w),
// omw = 1 − w), then v = float32(v·b2) + float32(float32(c2·g)·g), den =
// float32(sqrt(v))/bc2Sqrt + eps (float32's square root: the same as
// float64's rounded to float32) and val += float32(stepSize·m)/den.
func adamFns() []*fn {
	var fns []*fn
	for _, small := range []bool{true, false} {
		name := "adamSmallW"
		if !small {
			name = "adamLargeW"
		}
		fns = append(fns, elemFn(name, []string{"val", "g", "m", "v"}, []string{"w", "omw", "b2", "c2", "eps", "stepSize", "bc2Sqrt"}, func(e *ew, s map[string]string) {
			g, m := e.load("g"), e.load("m")
			if small {
				m = e.add(m, e.mul(s["w"], e.sub(g, m)))
			} else {
				m = e.sub(g, e.mul(e.sub(g, m), s["omw"]))
			}
			e.store("m", m)
			v := e.add(e.mul(e.load("v"), s["b2"]), e.mul(e.mul(s["c2"], g), g))
			e.store("v", v)
			den := e.add(e.div(e.sqrt(v), s["bc2Sqrt"]), s["eps"])
			e.store("val", e.add(e.load("val"), e.div(e.mul(s["stepSize"], m), den)))
		}))
	}
	return fns
}
