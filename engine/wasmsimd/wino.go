package wasmsimd

import "fmt"

// The Winograd F(4×4, 2×2) data transforms of the pure-Go trainer (package
// train, wino4.go), four tiles at a time, one per f32x4 lane: the same
// float32 operations as the Go code (engine.WinoInput4, engine.WinoOutput4
// and train's a5 and b5), in the same order, for every tile. Each takes
// (src, dst, tiles, n, gs, rs) → 1: n tiles whose top-left elements lie at
// the byte offsets tiles[0…n) from the tiled plane's start (src for the
// forward transforms, dst for the inverse ones), rows rs bytes apart; the
// 25 transformed planes gs bytes apart, tile t at byte 4t of each.
//
//   - smallTransform4: S = A s Aᵀ of 4×4 tiles (rows read whole and
//     transposed into lanes);
//   - smallInverse4: small = Aᵀ M A, each tile's rows transposed back and
//     stored whole;
//   - bigTransform4: V = Bᵀ d B of 5×5 tiles of every second element
//     (phase tiles);
//   - bigInverse4: d += B M Bᵀ. The 5×5 tiles overlap their neighbours,
//     so the adds into the plane are scalar, tile after tile, element after
//     element, in the Go code's order; only the transform runs in lanes.

// vx writes f32x4 expressions, each result in a fresh local.
type vx struct {
	f *fn
	n int
}

func (x *vx) tmp() string {
	x.n++
	return x.f.local(fmt.Sprintf("v%d", x.n), v128)
}

func (x *vx) bin(a, b string, op func()) string {
	r := x.tmp()
	x.f.get(a)
	x.f.get(b)
	op()
	x.f.set(r)
	return r
}

func (x *vx) add(a, b string) string { return x.bin(a, b, x.f.f32x4Add) }
func (x *vx) sub(a, b string) string { return x.bin(a, b, x.f.f32x4Sub) }

// mulc is float32(c·a).
func (x *vx) mulc(c float32, a string) string {
	r := x.tmp()
	x.f.v128Const(c)
	x.f.get(a)
	x.f.f32x4Mul()
	x.f.set(r)
	return r
}

func (x *vx) shuf(a, b string, l [4]int) string {
	r := x.tmp()
	x.f.get(a)
	x.f.get(b)
	x.f.shuffle(l)
	x.f.set(r)
	return r
}

// transpose returns the columns of the 4×4 matrix with rows r.
func (x *vx) transpose(r [4]string) [4]string {
	t0 := x.shuf(r[0], r[1], [4]int{0, 4, 1, 5})
	t1 := x.shuf(r[0], r[1], [4]int{2, 6, 3, 7})
	t2 := x.shuf(r[2], r[3], [4]int{0, 4, 1, 5})
	t3 := x.shuf(r[2], r[3], [4]int{2, 6, 3, 7})
	return [4]string{
		x.shuf(t0, t2, [4]int{0, 1, 4, 5}), x.shuf(t0, t2, [4]int{2, 3, 6, 7}),
		x.shuf(t1, t3, [4]int{0, 1, 4, 5}), x.shuf(t1, t3, [4]int{2, 3, 6, 7}),
	}
}

// winoInput4 is engine.WinoInput4.
func (x *vx) winoInput4(v [5]string) [5]string {
	x3x3 := x.add(v[3], v[3])
	return [5]string{
		x.add(x.sub(x.sub(v[0], x.add(v[1], v[1])), v[2]), x3x3),
		x.add(x.sub(v[2], v[1]), x3x3),
		x.add(x.sub(v[1], x.mulc(3, v[2])), x3x3),
		x.sub(v[3], v[1]),
		x.add(x.sub(x.sub(v[1], x.add(v[2], v[2])), v[3]), x.add(v[4], v[4])),
	}
}

// winoOutput4 is engine.WinoOutput4.
func (x *vx) winoOutput4(m [5]string) [4]string {
	d, s := x.sub(m[1], m[2]), x.add(m[1], m[2])
	return [4]string{
		x.add(x.add(m[0], s), m[3]),
		x.add(d, x.mulc(0.5, m[3])),
		x.add(s, x.mulc(0.25, m[3])),
		x.add(x.add(d, x.mulc(0.125, m[3])), m[4]),
	}
}

// a5 is train's a5 (A s, the adjoint of the output transform).
func (x *vx) a5(s [4]string) [5]string {
	return [5]string{
		s[0],
		x.add(x.add(x.add(s[0], s[1]), s[2]), s[3]),
		x.sub(x.add(x.sub(s[0], s[1]), s[2]), s[3]),
		x.add(x.add(x.add(s[0], x.mulc(0.5, s[1])), x.mulc(0.25, s[2])), x.mulc(0.125, s[3])),
		s[3],
	}
}

// b5 is train's b5 (B m, the adjoint of the input transform).
func (x *vx) b5(m [5]string) [5]string {
	s := x.add(x.add(m[0], m[1]), m[2])
	return [5]string{
		m[0],
		x.sub(x.add(x.sub(x.sub(m[2], m[1]), m[3]), m[4]), x.add(m[0], m[0])),
		x.sub(x.sub(x.sub(m[1], m[0]), x.mulc(3, m[2])), x.add(m[4], m[4])),
		x.sub(x.add(x.add(s, s), m[3]), m[4]),
		x.add(m[4], m[4]),
	}
}

// winoKind is one of the four transforms.
type winoKind int

const (
	smallTransform4 winoKind = iota
	smallInverse4
	bigTransform4
	bigInverse4
)

// WinoExports are the transforms' export names, in winoKind order.
var winoExports = []string{"smallTransform4", "smallInverse4", "bigTransform4", "bigInverse4"}

// winoFn writes one transform (see the comment at the top).
func winoFn(kind winoKind) *fn {
	f := newFn(winoExports[kind], true, []valType{i32}, "src", "dst", "tiles", "n", "gs", "rs")
	x := &vx{f: f}
	f.local("t", i32)
	f.local("o", i32) // the planes' address of this group of tiles
	base := func(l int) string { return f.local(fmt.Sprintf("b%d", l), i32) }
	row := func(i int) string { return f.local(fmt.Sprintf("r%d", i), i32) }
	g := func(i int) string { return f.local(fmt.Sprintf("g%d", i), i32) }
	for i := 1; i <= 4; i++ {
		f.mulConst(row(i), "rs", int32(i)) // r_i = i·rs
	}
	for i := range 25 {
		f.mulConst(g(i), "gs", int32(i)) // g_i = i·gs
	}
	tiled, planes := "src", "dst"
	if kind == smallInverse4 || kind == bigInverse4 {
		tiled, planes = "dst", "src"
	}
	// laneValid pushes t + l < n.
	laneValid := func(l int) {
		f.get("t")
		f.i32c(int32(l))
		f.i32Add()
		f.get("n")
		f.i32LtU()
	}
	// addr pushes a lane's tile base + row i (bytes).
	addr := func(l, i int) {
		f.get(base(l))
		if i > 0 {
			f.get(row(i))
			f.i32Add()
		}
	}
	// perLane writes body for each lane, those past n skipped (lane 0
	// always holds a tile).
	perLane := func(body func(l int)) {
		body(0)
		for l := 1; l < 4; l++ {
			f.when(func() { laneValid(l) }, func() { body(l) })
		}
	}
	f.until(func() { f.get("t"); f.get("n"); f.i32LtU(); f.i32Eqz() }, func() {
		for l := range 4 {
			// b_l = tiled + tiles[min(t+l, n-1)]: the last tile stands in for
			// missing ones (read, never written).
			f.get(tiled)
			f.get("t")
			f.i32c(int32(l))
			f.i32Add()
			f.get("n")
			f.i32c(-1)
			f.i32Add()
			laneValid(l)
			f.selectOp()
			f.i32c(4)
			f.i32Mul()
			f.get("tiles")
			f.i32Add()
			f.i32Load(0)
			f.i32Add()
			f.set(base(l))
		}
		f.get(planes)
		f.get("t")
		f.i32c(4)
		f.i32Mul()
		f.i32Add()
		f.set("o")
		// loadPlanes returns the 25 planes' vectors of this group.
		loadPlanes := func() (m [25]string) {
			for i := range 25 {
				m[i] = x.tmp()
				f.get("o")
				f.get(g(i))
				f.i32Add()
				f.v128Load(0)
				f.set(m[i])
			}
			return m
		}
		// storePlanes writes y[k][l] to plane 5k+l: whole vectors when the
		// group is full, lane by lane for the last, short one.
		storePlanes := func(y [5][5]string) {
			store := func(lane int) {
				for k := range 5 {
					for l := range 5 {
						f.get("o")
						f.get(g(5*k + l))
						f.i32Add()
						f.get(y[k][l])
						if lane < 0 {
							f.v128Store(0)
						} else {
							f.store32Lane(4*lane, lane)
						}
					}
				}
			}
			laneValid(3)
			f.ifOp()
			store(-1)
			f.elseOp()
			for l := range 3 {
				f.when(func() { laneValid(l) }, func() { store(l) })
			}
			f.end()
		}
		switch kind {
		case smallTransform4:
			var c [4][4]string // c[i][j]: row i, column j of the four tiles
			for i := range 4 {
				var r [4]string
				for l := range 4 {
					r[l] = x.tmp()
					addr(l, i)
					f.v128Load(0)
					f.set(r[l])
				}
				c[i] = x.transpose(r)
			}
			var t [4][5]string
			for j := range 4 {
				t[j] = x.a5([4]string{c[0][j], c[1][j], c[2][j], c[3][j]})
			}
			var y [5][5]string
			for k := range 5 {
				y[k] = x.a5([4]string{t[0][k], t[1][k], t[2][k], t[3][k]})
			}
			storePlanes(y)
		case bigTransform4:
			var c [5][5]string
			for i := range 5 {
				var a, b, e [4]string
				for l := range 4 {
					a[l], b[l], e[l] = x.tmp(), x.tmp(), x.tmp()
					addr(l, i)
					f.v128Load(0)
					f.set(a[l])
					addr(l, i)
					f.v128Load(16)
					f.set(b[l])
					addr(l, i)
					f.v128Load32Splat(32)
					f.set(e[l])
				}
				// Elements 0, 2 | 4, 6 | 8 of each tile's row.
				u, w := x.shuf(a[0], a[1], [4]int{0, 4, 2, 6}), x.shuf(a[2], a[3], [4]int{0, 4, 2, 6})
				c[i][0], c[i][1] = x.shuf(u, w, [4]int{0, 1, 4, 5}), x.shuf(u, w, [4]int{2, 3, 6, 7})
				u, w = x.shuf(b[0], b[1], [4]int{0, 4, 2, 6}), x.shuf(b[2], b[3], [4]int{0, 4, 2, 6})
				c[i][2], c[i][3] = x.shuf(u, w, [4]int{0, 1, 4, 5}), x.shuf(u, w, [4]int{2, 3, 6, 7})
				u, w = x.shuf(e[0], e[1], [4]int{0, 4, 0, 4}), x.shuf(e[2], e[3], [4]int{0, 4, 0, 4})
				c[i][4] = x.shuf(u, w, [4]int{0, 1, 4, 5})
			}
			var t [5][5]string
			for j := range 5 {
				t[j] = x.winoInput4([5]string{c[0][j], c[1][j], c[2][j], c[3][j], c[4][j]})
			}
			var y [5][5]string
			for k := range 5 {
				y[k] = x.winoInput4([5]string{t[0][k], t[1][k], t[2][k], t[3][k], t[4][k]})
			}
			storePlanes(y)
		case smallInverse4:
			m := loadPlanes()
			var t [5][4]string
			for j := range 5 {
				t[j] = x.winoOutput4([5]string{m[j], m[j+5], m[j+10], m[j+15], m[j+20]})
			}
			var rows [4][4]string // rows[k][l]: tile l's row k
			for k := range 4 {
				y := x.winoOutput4([5]string{t[0][k], t[1][k], t[2][k], t[3][k], t[4][k]})
				rows[k] = x.transpose(y)
			}
			perLane(func(l int) {
				for k := range 4 {
					addr(l, k)
					f.get(rows[k][l])
					f.v128Store(0)
				}
			})
		case bigInverse4:
			m := loadPlanes()
			var n [5][5]string
			for j := range 5 {
				n[j] = x.b5([5]string{m[j], m[j+5], m[j+10], m[j+15], m[j+20]})
			}
			var y [5][5]string
			for k := range 5 {
				y[k] = x.b5([5]string{n[0][k], n[1][k], n[2][k], n[3][k], n[4][k]})
			}
			a := f.local("a", i32)
			perLane(func(l int) {
				for k := range 5 {
					addr(l, k)
					f.set(a)
					for j := range 5 {
						// d[k][j] += y[k][j] of this tile
						f.get(a)
						f.get(a)
						f.f32Load(8 * j)
						f.get(y[k][j])
						f.extractLane(l)
						f.f32Add()
						f.f32Store(8 * j)
					}
				}
			})
		}
		f.addTo("t", 4)
	})
	f.i32c(1)
	return f
}
