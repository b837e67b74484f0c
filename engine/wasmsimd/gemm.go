package wasmsimd

import "fmt"

// The GEMM kernel: engine.GEMM's product for the engine's WebAssembly
// panel layout (A in panels of 3 rows, B in panels of 4 columns, both
// k-major; mp a multiple of 3, np of 4), with four output columns per
// f32x4 lane group. Each output element is still one sum over k in
// increasing order, c = c + float32(a·b) with the product rounded before
// the add (f32x4.mul then f32x4.add: WebAssembly has no fused
// multiply-add), starting from zero: the same operations, in the same
// order, as the Go kernels, so the results are bit-identical.
//
// A register tile is 3 rows × 4·cols columns (cols = 3 B panels, then 2
// and 1 for the last panels of a row): 3·cols f32x4 sums, cols vectors of
// B and one of A splatted, 13 of the 16 vector registers of x86-64 at
// cols = 3. Over k it runs four steps per loop turn, with constant
// offsets in the loads (which WebAssembly, unlike Go's wasm backend,
// folds into the address), then one step at a time.

const (
	tileM  = 3 // rows of A per panel (engine.GEMMTileM in WebAssembly)
	tileN  = 4 // columns of B per panel, one f32x4
	unroll = 4 // steps of k per loop turn
)

// tileFn writes tile_cols(pa, pb, sb, c, rs, k): one register tile whose
// A panel starts at pa, whose cols B panels start at pb, pb+sb, …, and
// whose output's top-left element is at c, rows rs bytes apart.
func tileFn(cols int) *fn {
	f := newFn(fmt.Sprintf("tile%d", cols), false, nil, "pa", "pb", "sb", "c", "rs", "k")
	f.local("n", i32)
	f.local("row", i32)
	pb := func(y int) string { return fmt.Sprintf("pb%d", y) }
	b := func(y int) string { return fmt.Sprintf("b%d", y) }
	acc := func(i, y int) string { return fmt.Sprintf("c%d%d", i, y) }
	for y := range cols {
		f.local(pb(y), i32)
	}
	f.local("a", v128)
	for y := range cols {
		f.local(b(y), v128)
	}
	for i := range tileM {
		for y := range cols {
			f.local(acc(i, y), v128)
		}
	}
	for y := range cols {
		f.scaled(pb(y), "pb", "sb", y)
	}
	// step writes s steps of k: the sums of step u before those of u+1.
	step := func(s int) {
		for u := range s {
			for y := range cols {
				f.get(pb(y))
				f.v128Load(16 * u)
				f.set(b(y))
			}
			for i := range tileM {
				f.get("pa")
				f.v128Load32Splat(4 * (tileM*u + i))
				f.set("a")
				for y := range cols {
					f.get(acc(i, y))
					f.get("a")
					f.get(b(y))
					f.f32x4Mul()
					f.f32x4Add()
					f.set(acc(i, y))
				}
			}
		}
		f.addTo("pa", int32(4*tileM*s))
		for y := range cols {
			f.addTo(pb(y), int32(4*tileN*s))
		}
	}
	f.get("k")
	f.set("n")
	// while n >= unroll { unroll steps; n -= unroll }, then one at a time
	f.until(func() { f.get("n"); f.i32c(unroll); f.i32LtS() }, func() {
		step(unroll)
		f.addTo("n", -unroll)
	})
	f.until(func() { f.get("n"); f.i32Eqz() }, func() {
		step(1)
		f.addTo("n", -1)
	})
	for i := range tileM {
		f.scaled("row", "c", "rs", i)
		for y := range cols {
			f.get("row")
			f.get(acc(i, y))
			f.v128Store(16 * y)
		}
	}
	return f
}

// gemmFn writes the export gemm(ap, bp, c, mp, k, np) → 1, which runs the
// tiles over the whole product; tiles[cols-1] is the index of tile_cols.
func gemmFn(tiles []uint32) *fn {
	f := newFn("gemm", true, []valType{i32}, "ap", "bp", "c", "mp", "k", "np")
	for _, l := range []string{"sa", "sb", "rs", "rp", "cp", "p", "q", "pa", "crow"} {
		f.local(l, i32)
	}
	f.mulConst("sa", "k", 4*tileM) // bytes per A panel
	f.mulConst("sb", "k", 4*tileN) // bytes per B panel
	f.mulConst("rs", "np", 4)      // bytes per output row
	f.get("mp")
	f.i32c(tileM)
	f.i32DivU()
	f.set("rp")
	f.get("np")
	f.i32c(tileN)
	f.i32DivU()
	f.set("cp")
	// for p := 0; p < rp; p++
	f.until(func() { f.get("p"); f.get("rp"); f.i32LtS(); f.i32Eqz() }, func() {
		// pa = ap + p·sa; crow = c + p·3·rs; q = 0
		f.get("ap")
		f.get("p")
		f.get("sa")
		f.i32Mul()
		f.i32Add()
		f.set("pa")
		f.get("c")
		f.get("p")
		f.i32c(tileM)
		f.i32Mul()
		f.get("rs")
		f.i32Mul()
		f.i32Add()
		f.set("crow")
		f.i32c(0)
		f.set("q")
		for cols := len(tiles); cols >= 1; cols-- {
			// while q + cols <= cp { tile_cols; q += cols }
			f.until(func() { f.get("q"); f.i32c(int32(cols)); f.i32Add(); f.get("cp"); f.i32GtU() }, func() {
				f.get("pa")
				f.get("bp") // pb = bp + q·sb
				f.get("q")
				f.get("sb")
				f.i32Mul()
				f.i32Add()
				f.get("sb")
				f.get("crow") // c = crow + q·16
				f.get("q")
				f.i32c(4 * tileN)
				f.i32Mul()
				f.i32Add()
				f.get("rs")
				f.get("k")
				f.call(tiles[cols-1])
				f.addTo("q", int32(cols))
			})
		}
		f.addTo("p", 1)
	})
	f.i32c(1)
	return f
}
