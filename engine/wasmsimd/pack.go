package wasmsimd

// pack(dst, src, rs, cs, w, m, k) → 1 or 0 packs the m×k matrix at src
// (element (i, p) at float i·rs + p·cs) into panels of w rows, k-major
// (element (i, p) at float (i/w)·w·k + p·w + i%w of dst), for m a multiple
// of w: train's packRows for its full panels (pack.go). It handles the
// layouts of the products' big operands and answers 0, touching nothing,
// for the others:
//   - cs = 1, w = 4 or 3 (a row-major matrix): four columns of every row
//     of a panel loaded whole and transposed;
//   - rs = 1, w = 4 (a transposed one): each column of a panel is four
//     contiguous floats, one load and one store.
//
// Packing only moves bits, so any order gives the Go code's result.

func packFn() *fn {
	f := newFn("pack", true, []valType{i32}, "dst", "src", "rs", "cs", "w", "m", "k")
	x := &vx{f: f}
	for _, l := range []string{"i", "p", "d", "s0", "s1", "s2", "s3", "rsb", "csb"} {
		f.local(l, i32)
	}
	s := func(r int) string { return []string{"s0", "s1", "s2", "s3"}[r] }
	f.mulConst("rsb", "rs", 4) // the strides in bytes
	f.mulConst("csb", "cs", 4)
	// panels writes: for i := 0; i < m; i += w { d = dst + 4·i·k; s_r =
	// src + (i+r)·rsb; body }.
	panels := func(w int, body func()) {
		f.i32c(0)
		f.set("i")
		f.until(func() { f.get("i"); f.get("m"); f.i32LtU(); f.i32Eqz() }, func() {
			f.get("dst")
			f.get("i")
			f.get("k")
			f.i32Mul()
			f.i32c(4)
			f.i32Mul()
			f.i32Add()
			f.set("d")
			for r := range w {
				f.get("src")
				f.get("i")
				if r > 0 {
					f.i32c(int32(r))
					f.i32Add()
				}
				f.get("rsb")
				f.i32Mul()
				f.i32Add()
				f.set(s(r))
			}
			body()
			f.addTo("i", int32(w))
		})
	}
	// loopP writes: for p < k in steps of `step` while p+step <= k { body }.
	loopP := func(step int, body func()) {
		f.until(func() { f.get("p"); f.i32c(int32(step)); f.i32Add(); f.get("k"); f.i32GtU() }, func() {
			body()
			f.addTo("p", int32(step))
		})
	}
	// at pushes base + 4·p·scale bytes.
	at := func(base string, scale int) {
		f.get(base)
		f.get("p")
		f.i32c(int32(4 * scale))
		f.i32Mul()
		f.i32Add()
	}
	transposed := func(w int) {
		panels(w, func() {
			f.i32c(0)
			f.set("p")
			loopP(4, func() {
				var r [4]string
				for i := range w {
					r[i] = x.tmp()
					at(s(i), 1)
					f.v128Load(0)
					f.set(r[i])
				}
				var out []string
				if w == 4 {
					c := x.transpose(r)
					out = c[:]
				} else {
					// rows a, b, c → (a0 b0 c0 a1) (b1 c1 a2 b2) (c2 a3 b3 c3)
					t := x.shuf(r[0], r[1], [4]int{0, 4, 1, 5})
					u := x.shuf(r[0], r[1], [4]int{2, 6, 3, 7})
					v := x.shuf(t, r[2], [4]int{3, 5, 0, 0})
					out = []string{
						x.shuf(t, r[2], [4]int{0, 1, 4, 2}),
						x.shuf(v, u, [4]int{0, 1, 4, 5}),
						x.shuf(r[2], u, [4]int{2, 6, 7, 3}),
					}
				}
				for j, o := range out {
					at("d", w)
					f.get(o)
					f.v128Store(16 * j)
				}
			})
			loopP(1, func() {
				for i := range w {
					at("d", w)
					at(s(i), 1)
					f.f32Load(0)
					f.f32Store(4 * i)
				}
			})
		})
	}
	// layout runs body, then returns 1, when the stride named (cs or rs)
	// is 1 and the panels have w rows.
	layout := func(stride string, w int, body func()) {
		f.when(func() {
			f.get(stride)
			f.i32c(1)
			f.i32Eq()
			f.get("w")
			f.i32c(int32(w))
			f.i32Eq()
			f.i32And()
		}, func() {
			body()
			f.i32c(1)
			f.ret()
		})
	}
	layout("cs", 4, func() { transposed(4) })
	layout("cs", 3, func() { transposed(3) })
	layout("rs", 4, func() {
		panels(4, func() {
			f.i32c(0)
			f.set("p")
			loopP(1, func() {
				at("d", 4)
				// s0 + p·csb
				f.get("s0")
				f.get("p")
				f.get("csb")
				f.i32Mul()
				f.i32Add()
				f.v128Load(0)
				f.v128Store(0)
			})
		})
	})
	f.i32c(0)
	return f
}
