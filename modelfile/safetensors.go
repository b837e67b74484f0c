package modelfile

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"

	"github.com/x448/float16"
)

// DType is a safetensors element type. Only the types GANomaly files use are
// supported.
type DType string

// Element types a model file may hold.
const (
	F32 DType = "F32"
	F16 DType = "F16"
	I8  DType = "I8"
	I64 DType = "I64" // BatchNorm num_batches_tracked in checkpoints
)

// Size returns the number of bytes of one element, or 0 for an unknown type.
func (d DType) Size() int {
	switch d {
	case F32:
		return 4
	case F16:
		return 2
	case I8:
		return 1
	case I64:
		return 8
	}
	return 0
}

// Limits that keep a hostile header from making the reader allocate much.
const (
	// MaxHeaderBytes bounds the JSON header. Ours are a few kB; 16 MiB leaves
	// room for large calibration tables.
	MaxHeaderBytes = 16 << 20
	// MaxTensors bounds the number of tensors in one file.
	MaxTensors = 4096
	// MaxRank bounds the number of dimensions of one tensor.
	MaxRank = 8
	// MaxFileBytes bounds the whole file (2 GiB): a GANomaly generator at
	// isize 128 is well under 200 MB in F32.
	MaxFileBytes = 2 << 30
)

// FormatError reports a malformed file. Its message says what is wrong.
type FormatError struct {
	What string
}

func (e *FormatError) Error() string { return "modelfile: invalid file: " + e.What }

func formatErr(format string, a ...any) error {
	return &FormatError{What: fmt.Sprintf(format, a...)}
}

// Tensor is one named tensor. Data holds the raw little-endian bytes exactly
// as stored.
type Tensor struct {
	Name  string
	DType DType
	Shape []int
	Data  []byte
}

// NumElements returns the product of the shape (1 for a scalar).
func (t *Tensor) NumElements() int {
	n := 1
	for _, d := range t.Shape {
		n *= d
	}
	return n
}

// Float32s converts the tensor's elements to float32 (I8 values are returned
// unscaled; see File.Dequantized for scaled weights).
func (t *Tensor) Float32s() ([]float32, error) {
	n := t.NumElements()
	var conv func(out []float32, data []byte)
	switch t.DType {
	case F32:
		conv = f32Chunk
	case F16:
		conv = f16Chunk
	case I8:
		conv = i8Chunk
	case I64:
		conv = i64Chunk
	default:
		return nil, fmt.Errorf("modelfile: tensor %q: unsupported dtype %s", t.Name, t.DType)
	}
	size := t.DType.Size()
	out := make([]float32, n)
	// In chunks, one call each: WebAssembly engines optimise a function only
	// between calls (V8 has no on-stack replacement for wasm), so one loop
	// over a whole model would run in the baseline compiler's slow code.
	for i := 0; i < n; i += convChunk {
		j := min(i+convChunk, n)
		conv(out[i:j], t.Data[size*i:size*j])
	}
	return out, nil
}

// convChunk is how many values Float32s converts per call.
const convChunk = 4096

func f32Chunk(out []float32, data []byte) {
	for i := range out {
		out[i] = math.Float32frombits(binary.LittleEndian.Uint32(data[4*i:]))
	}
}

func f16Chunk(out []float32, data []byte) {
	for i := range out {
		out[i] = float16.Frombits(binary.LittleEndian.Uint16(data[2*i:])).Float32()
	}
}

func i8Chunk(out []float32, data []byte) {
	data = data[:len(out)]
	for i, b := range data {
		out[i] = float32(int8(b))
	}
}

func i64Chunk(out []float32, data []byte) {
	for i := range out {
		out[i] = float32(int64(binary.LittleEndian.Uint64(data[8*i:])))
	}
}

// NewF32 makes an F32 tensor from values; it panics if the shape does not
// match len(values) (a programming error).
func NewF32(name string, shape []int, values []float32) *Tensor {
	t := &Tensor{Name: name, DType: F32, Shape: append([]int(nil), shape...)}
	if t.NumElements() != len(values) {
		panic(fmt.Sprintf("modelfile.NewF32(%q): shape %v holds %d values, got %d", name, shape, t.NumElements(), len(values)))
	}
	t.Data = make([]byte, 4*len(values))
	for i, v := range values {
		binary.LittleEndian.PutUint32(t.Data[4*i:], math.Float32bits(v))
	}
	return t
}

// NewF16 makes an F16 tensor from values, rounding to nearest even.
func NewF16(name string, shape []int, values []float32) *Tensor {
	t := &Tensor{Name: name, DType: F16, Shape: append([]int(nil), shape...)}
	if t.NumElements() != len(values) {
		panic(fmt.Sprintf("modelfile.NewF16(%q): shape %v holds %d values, got %d", name, shape, t.NumElements(), len(values)))
	}
	t.Data = make([]byte, 2*len(values))
	for i, v := range values {
		binary.LittleEndian.PutUint16(t.Data[2*i:], float16.Fromfloat32(v).Bits())
	}
	return t
}

// NewI8 makes an I8 tensor from quantised values.
func NewI8(name string, shape []int, values []int8) *Tensor {
	t := &Tensor{Name: name, DType: I8, Shape: append([]int(nil), shape...)}
	if t.NumElements() != len(values) {
		panic(fmt.Sprintf("modelfile.NewI8(%q): shape %v holds %d values, got %d", name, shape, t.NumElements(), len(values)))
	}
	t.Data = make([]byte, len(values))
	for i, v := range values {
		t.Data[i] = byte(v)
	}
	return t
}

// NewI64 makes an I64 tensor (used for BatchNorm num_batches_tracked).
func NewI64(name string, shape []int, values []int64) *Tensor {
	t := &Tensor{Name: name, DType: I64, Shape: append([]int(nil), shape...)}
	if t.NumElements() != len(values) {
		panic(fmt.Sprintf("modelfile.NewI64(%q): shape %v holds %d values, got %d", name, shape, t.NumElements(), len(values)))
	}
	t.Data = make([]byte, 8*len(values))
	for i, v := range values {
		binary.LittleEndian.PutUint64(t.Data[8*i:], uint64(v))
	}
	return t
}

type headerEntry struct {
	DType       DType    `json:"dtype"`
	Shape       []int    `json:"shape"`
	DataOffsets [2]int64 `json:"data_offsets"`
}

// Decode parses a whole safetensors file held in memory. It returns the
// tensors in file order and the __metadata__ map (nil when absent).
func Decode(b []byte) ([]*Tensor, map[string]string, error) {
	return ReadFrom(bytes.NewReader(b), int64(len(b)))
}

// ReadFrom parses a safetensors file of the given size from r. Every length,
// offset and shape is checked against size before any tensor memory is
// allocated.
func ReadFrom(r io.ReaderAt, size int64) ([]*Tensor, map[string]string, error) {
	if size < 8 {
		return nil, nil, formatErr("%d bytes is too short for a safetensors file (the 8-byte header length is missing)", size)
	}
	if size > MaxFileBytes {
		return nil, nil, formatErr("file is %d bytes, more than the %d-byte limit", size, MaxFileBytes)
	}
	var lenBuf [8]byte
	if _, err := r.ReadAt(lenBuf[:], 0); err != nil {
		return nil, nil, fmt.Errorf("modelfile: reading header length: %w", err)
	}
	n := binary.LittleEndian.Uint64(lenBuf[:])
	if n < 2 {
		return nil, nil, formatErr("header length %d is too small for a JSON object", n)
	}
	if n > MaxHeaderBytes {
		return nil, nil, formatErr("header length %d exceeds the %d-byte limit (not a safetensors file?)", n, MaxHeaderBytes)
	}
	if int64(n) > size-8 {
		return nil, nil, formatErr("header length %d runs past the end of the %d-byte file (truncated?)", n, size)
	}
	hdr := make([]byte, n)
	if _, err := r.ReadAt(hdr, 8); err != nil {
		return nil, nil, fmt.Errorf("modelfile: reading header: %w", err)
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(hdr, &raw); err != nil {
		return nil, nil, formatErr("header is not a JSON object: %v", err)
	}
	var meta map[string]string
	if m, ok := raw["__metadata__"]; ok {
		if err := json.Unmarshal(m, &meta); err != nil {
			return nil, nil, formatErr("__metadata__ must map strings to strings: %v", err)
		}
		delete(raw, "__metadata__")
	}
	if len(raw) > MaxTensors {
		return nil, nil, formatErr("%d tensors exceed the limit of %d", len(raw), MaxTensors)
	}
	dataLen := size - 8 - int64(n)
	type item struct {
		name string
		e    headerEntry
	}
	items := make([]item, 0, len(raw))
	for name, msg := range raw {
		var e headerEntry
		dec := json.NewDecoder(bytes.NewReader(msg))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&e); err != nil {
			return nil, nil, formatErr("tensor %q: bad entry: %v", name, err)
		}
		if name == "" {
			return nil, nil, formatErr("a tensor has an empty name")
		}
		es := e.DType.Size()
		if es == 0 {
			return nil, nil, formatErr("tensor %q: dtype %q is not supported (want F32, F16, I8 or I64)", name, e.DType)
		}
		if len(e.Shape) > MaxRank {
			return nil, nil, formatErr("tensor %q: rank %d exceeds %d", name, len(e.Shape), MaxRank)
		}
		elems := int64(1)
		for _, d := range e.Shape {
			if d < 0 {
				return nil, nil, formatErr("tensor %q: negative dimension in shape %v", name, e.Shape)
			}
			if d > 0 && elems > dataLen/int64(d) {
				return nil, nil, formatErr("tensor %q: shape %v holds more elements than the file has bytes", name, e.Shape)
			}
			elems *= int64(d)
		}
		begin, end := e.DataOffsets[0], e.DataOffsets[1]
		if begin < 0 || end < begin || end > dataLen {
			return nil, nil, formatErr("tensor %q: data_offsets [%d, %d] lie outside the %d data bytes (truncated file?)", name, begin, end, dataLen)
		}
		if end-begin != elems*int64(es) {
			return nil, nil, formatErr("tensor %q: %s shape %v needs %d bytes but data_offsets span %d", name, e.DType, e.Shape, elems*int64(es), end-begin)
		}
		items = append(items, item{name, e})
	}
	// The format requires the tensors to tile the data section without gaps
	// or overlaps.
	sort.Slice(items, func(i, j int) bool {
		a, b := items[i].e.DataOffsets, items[j].e.DataOffsets
		if a[0] != b[0] {
			return a[0] < b[0]
		}
		return a[1] < b[1]
	})
	var pos int64
	for _, it := range items {
		if it.e.DataOffsets[0] != pos {
			return nil, nil, formatErr("tensor %q starts at byte %d of the data but the previous one ends at %d (overlap or gap)", it.name, it.e.DataOffsets[0], pos)
		}
		pos = it.e.DataOffsets[1]
	}
	if pos != dataLen {
		return nil, nil, formatErr("tensors cover %d data bytes but the file has %d (truncated or trailing bytes)", pos, dataLen)
	}
	tensors := make([]*Tensor, len(items))
	for i, it := range items {
		t := &Tensor{Name: it.name, DType: it.e.DType, Shape: it.e.Shape}
		t.Data = make([]byte, it.e.DataOffsets[1]-it.e.DataOffsets[0])
		if _, err := r.ReadAt(t.Data, 8+int64(n)+it.e.DataOffsets[0]); err != nil {
			return nil, nil, fmt.Errorf("modelfile: reading tensor %q: %w", it.name, err)
		}
		tensors[i] = t
	}
	return tensors, meta, nil
}

// Encode writes tensors (in the given order) and metadata as a safetensors
// file. The header is padded with spaces to a multiple of 8 bytes, as the
// reference implementation does, so the data is aligned.
func Encode(w io.Writer, tensors []*Tensor, meta map[string]string) error {
	hdr := make(map[string]any, len(tensors)+1)
	if len(meta) > 0 {
		hdr["__metadata__"] = meta
	}
	seen := make(map[string]bool, len(tensors))
	var off int64
	for _, t := range tensors {
		if seen[t.Name] || t.Name == "__metadata__" || t.Name == "" {
			return fmt.Errorf("modelfile: duplicate or reserved tensor name %q", t.Name)
		}
		seen[t.Name] = true
		if t.DType.Size() == 0 {
			return fmt.Errorf("modelfile: tensor %q: unsupported dtype %q", t.Name, t.DType)
		}
		if int64(len(t.Data)) != int64(t.NumElements()*t.DType.Size()) {
			return fmt.Errorf("modelfile: tensor %q: %d data bytes do not match %s shape %v", t.Name, len(t.Data), t.DType, t.Shape)
		}
		shape := t.Shape
		if shape == nil {
			shape = []int{}
		}
		hdr[t.Name] = headerEntry{DType: t.DType, Shape: shape, DataOffsets: [2]int64{off, off + int64(len(t.Data))}}
		off += int64(len(t.Data))
	}
	js, err := json.Marshal(hdr)
	if err != nil {
		return fmt.Errorf("modelfile: encoding header: %w", err)
	}
	for len(js)%8 != 0 {
		js = append(js, ' ')
	}
	var lenBuf [8]byte
	binary.LittleEndian.PutUint64(lenBuf[:], uint64(len(js)))
	if _, err := w.Write(lenBuf[:]); err != nil {
		return err
	}
	if _, err := w.Write(js); err != nil {
		return err
	}
	for _, t := range tensors {
		if _, err := w.Write(t.Data); err != nil {
			return err
		}
	}
	return nil
}

// WriteFileAtomic writes data to path through a temporary file in the same
// folder and a rename, so a crash never leaves a half-written file at path.
func WriteFileAtomic(path string, write func(io.Writer) error) (err error) {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err = write(tmp); err != nil {
		return err
	}
	if err = tmp.Sync(); err != nil {
		return err
	}
	if err = tmp.Close(); err != nil {
		return err
	}
	if err = os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	if d, derr := os.Open(dir); derr == nil {
		d.Sync()
		d.Close()
	}
	return nil
}
