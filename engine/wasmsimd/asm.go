package wasmsimd

import (
	"bytes"
	"math"
)

// A minimal WebAssembly binary writer: the value types, opcodes and
// sections that the kernels below use, nothing else (the instruction
// encodings are those of the WebAssembly 2.0 core specification,
// https://webassembly.github.io/spec/core/binary/).

type valType byte

const (
	i32  valType = 0x7f
	f32  valType = 0x7d
	v128 valType = 0x7b
)

// fn is one function being written: its signature, its locals (after the
// parameters) and its body.
type fn struct {
	name    string // exported under this name when export is set
	export  bool
	params  []valType
	result  []valType
	locals  []valType
	names   map[string]uint32
	body    bytes.Buffer
	typeIdx uint32
}

func newFn(name string, export bool, result []valType, params ...string) *fn {
	f := &fn{name: name, export: export, result: result, names: map[string]uint32{}}
	for _, p := range params {
		f.names[p] = uint32(len(f.params))
		f.params = append(f.params, i32)
	}
	return f
}

// paramF32 adds a float32 parameter (before any local is declared).
func (f *fn) paramF32(name string) {
	if len(f.locals) > 0 {
		panic("wasmsimd: parameter " + name + " after locals") // a bug in a generator
	}
	f.names[name] = uint32(len(f.params))
	f.params = append(f.params, f32)
}

// local declares a local of type t (or returns the one of that name).
func (f *fn) local(name string, t valType) string {
	if _, ok := f.names[name]; !ok {
		f.names[name] = uint32(len(f.params) + len(f.locals))
		f.locals = append(f.locals, t)
	}
	return name
}

func (f *fn) idx(name string) uint32 {
	i, ok := f.names[name]
	if !ok {
		panic("wasmsimd: no local " + name) // a bug in this package's generators
	}
	return i
}

func (f *fn) op(b ...byte)       { f.body.Write(b) }
func (f *fn) u(v uint32)         { f.body.Write(uleb(v)) }
func (f *fn) get(name string)    { f.op(0x20); f.u(f.idx(name)) }
func (f *fn) set(name string)    { f.op(0x21); f.u(f.idx(name)) }
func (f *fn) i32c(v int32)       { f.op(0x41); f.body.Write(sleb(int64(v))) }
func (f *fn) simd(code uint32)   { f.op(0xfd); f.u(code) }
func (f *fn) mem(align, off int) { f.u(uint32(align)); f.u(uint32(off)) }

// The instructions, named as in the text format.
func (f *fn) i32Add()  { f.op(0x6a) }
func (f *fn) i32Mul()  { f.op(0x6c) }
func (f *fn) i32DivU() { f.op(0x6e) }
func (f *fn) i32Eqz()  { f.op(0x45) }
func (f *fn) i32LtS()  { f.op(0x48) }
func (f *fn) i32GtU()  { f.op(0x4b) }
func (f *fn) block()   { f.op(0x02, 0x40) }
func (f *fn) loop()    { f.op(0x03, 0x40) }
func (f *fn) end()     { f.op(0x0b) }
func (f *fn) br(depth uint32) {
	f.op(0x0c)
	f.u(depth)
}
func (f *fn) brIf(depth uint32) {
	f.op(0x0d)
	f.u(depth)
}
func (f *fn) call(idx uint32) {
	f.op(0x10)
	f.u(idx)
}

// Memory accesses give alignment 2^2 (the operands are float32 arrays)
// and a constant offset.
func (f *fn) v128Load(off int)        { f.simd(0x00); f.mem(2, off) }
func (f *fn) v128Load32Splat(off int) { f.simd(0x09); f.mem(2, off) }
func (f *fn) v128Store(off int)       { f.simd(0x0b); f.mem(2, off) }
func (f *fn) f32x4Add()               { f.simd(0xe4) }
func (f *fn) f32x4Mul()               { f.simd(0xe6) }
func (f *fn) f32x4Sub()               { f.simd(0xe5) }

// addTo sets local name to name + v.
func (f *fn) addTo(name string, v int32) {
	f.get(name)
	f.i32c(v)
	f.i32Add()
	f.set(name)
}

// v128Const pushes the f32x4 constant with every lane v.
func (f *fn) v128Const(v float32) {
	f.simd(0x0c)
	b := math.Float32bits(v)
	for range 4 {
		f.op(byte(b), byte(b>>8), byte(b>>16), byte(b>>24))
	}
}

// f32Const pushes the float32 constant v.
func (f *fn) f32Const(v float32) {
	f.op(0x43)
	b := math.Float32bits(v)
	f.op(byte(b), byte(b>>8), byte(b>>16), byte(b>>24))
}

// shuffle is i8x16.shuffle picking the float32 lanes l (0–3 of the first
// operand, 4–7 of the second).
func (f *fn) shuffle(l [4]int) {
	f.simd(0x0d)
	for _, x := range l {
		f.op(byte(4*x), byte(4*x+1), byte(4*x+2), byte(4*x+3))
	}
}

func (f *fn) extractLane(l int) {
	f.simd(0x1f)
	f.op(byte(l))
}

func (f *fn) store32Lane(off, l int) {
	f.simd(0x5a)
	f.mem(2, off)
	f.op(byte(l))
}

func (f *fn) i32Load(off int)  { f.op(0x28); f.mem(2, off) }
func (f *fn) f32Load(off int)  { f.op(0x2a); f.mem(2, off) }
func (f *fn) f32Store(off int) { f.op(0x38); f.mem(2, off) }
func (f *fn) f32Add()          { f.op(0x92) }
func (f *fn) i32LtU()          { f.op(0x49) }
func (f *fn) selectOp()        { f.op(0x1b) }
func (f *fn) ifOp()            { f.op(0x04, 0x40) }
func (f *fn) elseOp()          { f.op(0x05) }

func (f *fn) i32Eq()  { f.op(0x46) }
func (f *fn) i32And() { f.op(0x71) }
func (f *fn) ret()    { f.op(0x0f) }

// until writes a loop that runs body until exit (which pushes an i32) is
// true: block, loop, br_if out, body, br back.
func (f *fn) until(exit, body func()) {
	f.block()
	f.loop()
	exit()
	f.brIf(1)
	body()
	f.br(0)
	f.end()
	f.end()
}

// when writes if cond { body } (cond pushes an i32).
func (f *fn) when(cond, body func()) {
	cond()
	f.ifOp()
	body()
	f.end()
}

// scaled sets the local dst to base + i·stride (locals; i a constant).
func (f *fn) scaled(dst, base, stride string, i int) {
	f.get(base)
	if i != 0 {
		f.get(stride)
		f.i32c(int32(i))
		f.i32Mul()
		f.i32Add()
	}
	f.set(dst)
}

// mulConst sets the local dst to src·c.
func (f *fn) mulConst(dst, src string, c int32) {
	f.get(src)
	f.i32c(c)
	f.i32Mul()
	f.set(dst)
}

// module writes a module that imports its memory as env.mem and holds the
// functions fns (called by their index in fns).
func module(fns []*fn) []byte {
	var out bytes.Buffer
	out.Write([]byte{0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00})
	section := func(id byte, content []byte) {
		out.WriteByte(id)
		out.Write(uleb(uint32(len(content))))
		out.Write(content)
	}
	vec := func(b *bytes.Buffer, n int) { b.Write(uleb(uint32(n))) }
	name := func(b *bytes.Buffer, s string) { vec(b, len(s)); b.WriteString(s) }

	// Types: one per function (few functions; no deduplication needed).
	var types bytes.Buffer
	vec(&types, len(fns))
	for i, f := range fns {
		f.typeIdx = uint32(i)
		types.WriteByte(0x60)
		vec(&types, len(f.params))
		for _, p := range f.params {
			types.WriteByte(byte(p))
		}
		vec(&types, len(f.result))
		for _, r := range f.result {
			types.WriteByte(byte(r))
		}
	}
	section(1, types.Bytes())

	var imports bytes.Buffer
	vec(&imports, 1)
	name(&imports, "env")
	name(&imports, "mem")
	imports.Write([]byte{0x02, 0x00, 0x00}) // memory, limits: min 0, no max
	section(2, imports.Bytes())

	var funcs bytes.Buffer
	vec(&funcs, len(fns))
	for _, f := range fns {
		funcs.Write(uleb(f.typeIdx))
	}
	section(3, funcs.Bytes())

	var exports bytes.Buffer
	n := 0
	for _, f := range fns {
		if f.export {
			n++
		}
	}
	vec(&exports, n)
	for i, f := range fns {
		if f.export {
			name(&exports, f.name)
			exports.WriteByte(0x00)
			exports.Write(uleb(uint32(i)))
		}
	}
	section(7, exports.Bytes())

	var code bytes.Buffer
	vec(&code, len(fns))
	for _, f := range fns {
		var body bytes.Buffer
		// Locals, run-length encoded by type.
		var runs [][2]uint32
		for _, t := range f.locals {
			if len(runs) > 0 && runs[len(runs)-1][1] == uint32(t) {
				runs[len(runs)-1][0]++
			} else {
				runs = append(runs, [2]uint32{1, uint32(t)})
			}
		}
		vec(&body, len(runs))
		for _, r := range runs {
			body.Write(uleb(r[0]))
			body.WriteByte(byte(r[1]))
		}
		body.Write(f.body.Bytes())
		body.WriteByte(0x0b)
		code.Write(uleb(uint32(body.Len())))
		code.Write(body.Bytes())
	}
	section(10, code.Bytes())
	return out.Bytes()
}

func uleb(v uint32) []byte {
	var b []byte
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if v != 0 {
			b = append(b, c|0x80)
			continue
		}
		return append(b, c)
	}
}

func sleb(v int64) []byte {
	var b []byte
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if (v == 0 && c&0x40 == 0) || (v == -1 && c&0x40 != 0) {
			return append(b, c)
		}
		b = append(b, c|0x80)
	}
}
