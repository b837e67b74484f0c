// Package pth reads the PyTorch files the original GANomaly code writes,
// torch.save({'epoch': n, 'state_dict': netG.state_dict()}, 'netG.pth'), in
// the zip format (torch 1.6 and later) and the legacy format (torch 0.4 to
// 1.5), without Python: [Read] and [Parse] return the state dict's tensors
// as float32 or int64, in file order.
//
// It treats the file as hostile: every length, offset and stride is checked
// against its storage before anything is allocated, only the few Python
// globals a state dict needs may be named, and nothing in the file is run.
package pth

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"math/big"
	"os"
	"path"
	"sort"
	"strings"

	"github.com/nlpodyssey/gopickle/pickle"
	"github.com/nlpodyssey/gopickle/types"
	"github.com/x448/float16"

	"github.com/ganomaly-go/ganomaly/modelfile"
)

// gopickle v0.2.0 supplies the pickle virtual machine; its own pytorch
// loader is not used because it trusts the file: it allocates whatever
// storage size the pickle declares, does not check tensor offsets and strides
// against their storage, and panics on some legacy files. The glue here
// checks every length and index before allocating, allows only the few
// Python globals a state dict needs, and reads both the zip format (torch
// 1.6 and later, the default) and the legacy format (torch 0.4 to 1.5, or
// _use_new_zipfile_serialization=False).

// MaxBytes bounds the file read into memory; a GANomaly generator at
// isize 128 is under 200 MB.
const MaxBytes = modelfile.MaxFileBytes

// Tensor is one tensor of a state dict, converted to float32 (floating
// point storages) or int64 (integer storages).
type Tensor struct {
	Shape  []int
	Floats []float32 // set for floating-point storages
	Ints   []int64   // set for integer storages
}

// StateDict is a state dict read from a .pth file, in file order.
type StateDict struct {
	Names   []string
	Tensors map[string]*Tensor
	Epoch   int // the 'epoch' entry of the checkpoint dict, or -1
}

// storageType is a torch storage class (torch.FloatStorage, ...).
type storageType struct {
	name     string
	elemSize int
	float    bool
}

var storageTypes = map[string]storageType{
	"FloatStorage":    {"FloatStorage", 4, true},
	"DoubleStorage":   {"DoubleStorage", 8, true},
	"HalfStorage":     {"HalfStorage", 2, true},
	"BFloat16Storage": {"BFloat16Storage", 2, true},
	"LongStorage":     {"LongStorage", 8, false},
	"IntStorage":      {"IntStorage", 4, false},
	"ShortStorage":    {"ShortStorage", 2, false},
	"CharStorage":     {"CharStorage", 1, false},
	"ByteStorage":     {"ByteStorage", 1, false},
	"BoolStorage":     {"BoolStorage", 1, false},
}

// storage is one persistent storage: its type, element count and raw bytes.
type storage struct {
	typ   storageType
	key   string
	numel int
	data  []byte // filled once the record is located
}

// tensorRef is what _rebuild_tensor_v2 produces: a strided view of a storage.
type tensorRef struct {
	st     *storage
	offset int
	size   []int
	stride []int
}

// rebuildTensor implements torch._utils._rebuild_tensor_v2(storage,
// storage_offset, size, stride, requires_grad, backward_hooks[, metadata]).
type rebuildTensor struct{}

func (rebuildTensor) Call(args ...interface{}) (interface{}, error) {
	if len(args) < 4 {
		return nil, fmt.Errorf("_rebuild_tensor_v2: %d arguments, want at least 4", len(args))
	}
	st, ok := args[0].(*storage)
	if !ok {
		return nil, fmt.Errorf("_rebuild_tensor_v2: first argument is %T, not a storage", args[0])
	}
	off, ok := args[1].(int)
	if !ok {
		return nil, fmt.Errorf("_rebuild_tensor_v2: storage offset is %T, not an int", args[1])
	}
	size, err := intTuple(args[2])
	if err != nil {
		return nil, fmt.Errorf("_rebuild_tensor_v2: size: %w", err)
	}
	stride, err := intTuple(args[3])
	if err != nil {
		return nil, fmt.Errorf("_rebuild_tensor_v2: stride: %w", err)
	}
	if len(size) != len(stride) {
		return nil, fmt.Errorf("_rebuild_tensor_v2: size %v and stride %v differ in rank", size, stride)
	}
	if len(size) > modelfile.MaxRank {
		return nil, fmt.Errorf("_rebuild_tensor_v2: rank %d exceeds %d", len(size), modelfile.MaxRank)
	}
	// Every element, the furthest included, must lie inside the storage, and
	// a state-dict tensor never has more elements than its storage. Each
	// term is checked before it is added, so nothing overflows.
	if off < 0 || off > st.numel {
		return nil, fmt.Errorf("_rebuild_tensor_v2: offset %d outside a storage of %d elements", off, st.numel)
	}
	last, n := off, 1
	for i := range size {
		if size[i] < 0 || stride[i] < 0 || size[i] > st.numel || stride[i] > st.numel {
			return nil, fmt.Errorf("_rebuild_tensor_v2: size %v / stride %v invalid for a storage of %d elements", size, stride, st.numel)
		}
		if size[i] == 0 {
			n = 0
			continue
		}
		n *= size[i]
		last += (size[i] - 1) * stride[i]
		if n > st.numel || last >= st.numel {
			return nil, fmt.Errorf("_rebuild_tensor_v2: tensor of size %v, stride %v at offset %d reaches beyond its storage of %d elements", size, stride, off, st.numel)
		}
	}
	return &tensorRef{st: st, offset: off, size: size, stride: stride}, nil
}

// rebuildParameter implements torch._utils._rebuild_parameter(data,
// requires_grad, backward_hooks): a Parameter is its data here.
type rebuildParameter struct{}

func (rebuildParameter) Call(args ...interface{}) (interface{}, error) {
	if len(args) < 1 {
		return nil, errors.New("_rebuild_parameter: no arguments")
	}
	if _, ok := args[0].(*tensorRef); !ok {
		return nil, fmt.Errorf("_rebuild_parameter: data is %T, not a tensor", args[0])
	}
	return args[0], nil
}

func intTuple(v interface{}) ([]int, error) {
	t, ok := v.(*types.Tuple)
	if !ok {
		return nil, fmt.Errorf("%T is not a tuple", v)
	}
	out := make([]int, t.Len())
	for i := range out {
		x, ok := t.Get(i).(int)
		if !ok {
			return nil, fmt.Errorf("element %d is %T, not an int", i, t.Get(i))
		}
		out[i] = x
	}
	return out, nil
}

// findClass allows only the globals a state dict pickle uses.
func findClass(module, name string) (interface{}, error) {
	switch module + "." + name {
	case "torch._utils._rebuild_tensor_v2":
		return rebuildTensor{}, nil
	case "torch._utils._rebuild_parameter":
		return rebuildParameter{}, nil
	}
	if module == "torch" {
		if st, ok := storageTypes[name]; ok {
			return st, nil
		}
	}
	return nil, fmt.Errorf("the pickle refers to %s.%s, which a state dict does not contain: "+
		"the file holds a pickled Python object (a whole module?) rather than a state dict; in Python, "+
		"re-save it as torch.save({'epoch': n, 'state_dict': netG.state_dict()}, 'netG.pth')", module, name)
}

// unpickle runs the pickle in b with the given persistent-id loader and
// turns any panic inside the third-party unpickler into an error.
func unpickle(b []byte, persistentLoad func(interface{}) (interface{}, error)) (result interface{}, err error) {
	if _, err := scanPickle(b); err != nil {
		return nil, err
	}
	defer func() {
		if r := recover(); r != nil {
			result, err = nil, fmt.Errorf("malformed pickle: %v", r)
		}
	}()
	u := pickle.NewUnpickler(bytes.NewReader(b))
	u.FindClass = findClass
	u.PersistentLoad = persistentLoad
	return u.Load()
}

// Read reads a PyTorch state dict from path (zip or legacy format).
func Read(path string) (*StateDict, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if fi.Size() > MaxBytes {
		return nil, fmt.Errorf("%s is %d bytes, more than the %d-byte limit for a GANomaly generator", path, fi.Size(), int64(MaxBytes))
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	sd, err := Parse(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return sd, nil
}

// legacyMagic starts every pre-1.6 torch file: pickle protocol 2 (0x80 0x02)
// and a 10-byte LONG1 (0x8a 0x0a) holding the magic number.
var legacyMagic = []byte{0x80, 0x02, 0x8a, 0x0a}

// zipMagic starts a zip archive, the torch >= 1.6 format.
const zipMagic = "PK\x03\x04"

// IsPyTorch reports whether head, the first 4 bytes of a file (or more),
// starts a PyTorch file of either format.
func IsPyTorch(head []byte) bool {
	return bytes.HasPrefix(head, []byte(zipMagic)) || bytes.HasPrefix(head, legacyMagic)
}

// Parse reads a PyTorch state dict held in memory.
func Parse(b []byte) (*StateDict, error) {
	var (
		obj interface{}
		err error
	)
	switch {
	case bytes.HasPrefix(b, []byte(zipMagic)):
		obj, err = loadZip(b)
	case bytes.HasPrefix(b, legacyMagic):
		obj, err = loadLegacy(b)
	default:
		return nil, errors.New("not a PyTorch file: neither a zip archive (torch >= 1.6) nor a legacy pickle (torch < 1.6)")
	}
	if err != nil {
		return nil, err
	}
	return toStateDict(obj)
}

// loadZip reads the torch >= 1.6 format: a zip archive (entries stored, not
// compressed) with <name>/data.pkl and one <name>/data/<key> per storage.
func loadZip(b []byte) (interface{}, error) {
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		return nil, fmt.Errorf("reading the zip archive: %w", err)
	}
	records := map[string]*zip.File{}
	var pkl *zip.File
	for _, f := range zr.File {
		records[f.Name] = f
		dir, base := path.Split(f.Name)
		switch {
		case base == "constants.pkl":
			return nil, errors.New("this is a TorchScript archive (torch.jit.save), not a state dict: save netG.state_dict() with torch.save")
		case base == "data.pkl" && strings.Count(dir, "/") == 1:
			if pkl != nil {
				return nil, errors.New("the archive holds more than one data.pkl")
			}
			pkl = f
		}
	}
	if pkl == nil {
		return nil, errors.New("the zip archive has no <name>/data.pkl: not a file written by torch.save")
	}
	prefix := path.Dir(pkl.Name) + "/"
	if bo, ok := records[prefix+"byteorder"]; ok {
		v, err := readRecord(bo, 16)
		if err != nil {
			return nil, err
		}
		if string(v) != "little" {
			return nil, fmt.Errorf("byteorder %q: only little-endian files are supported", v)
		}
	}
	pb, err := readRecord(pkl, len(b))
	if err != nil {
		return nil, err
	}
	storages := map[string]*storage{}
	var total int64
	load := func(pid interface{}) (interface{}, error) {
		st, err := storageFromPID(pid, storages, 5)
		if err != nil || st.data != nil {
			return st, err
		}
		rec, ok := records[prefix+"data/"+st.key]
		if !ok {
			return nil, fmt.Errorf("storage %q: the archive has no record %sdata/%s", st.key, prefix, st.key)
		}
		want := int64(st.numel) * int64(st.typ.elemSize)
		if rec.UncompressedSize64 != uint64(want) {
			return nil, fmt.Errorf("storage %q: record holds %d bytes, the pickle declares %d elements of %s (%d bytes)", st.key, rec.UncompressedSize64, st.numel, st.typ.name, want)
		}
		if total += want; total > int64(len(b)) {
			return nil, errors.New("the storages declare more bytes than the file holds")
		}
		if st.data, err = readRecord(rec, int(want)); err != nil {
			return nil, err
		}
		return st, nil
	}
	return unpickle(pb, load)
}

// readRecord reads a zip record of at most max bytes. torch writes records
// stored (uncompressed), so a record can never expand beyond the file size;
// compressed records are refused rather than inflated.
func readRecord(f *zip.File, max int) ([]byte, error) {
	if f.Method != zip.Store {
		return nil, fmt.Errorf("zip record %s is compressed (method %d): torch.save writes stored records; was the file re-zipped?", f.Name, f.Method)
	}
	if f.UncompressedSize64 > uint64(max) {
		return nil, fmt.Errorf("zip record %s declares %d bytes, more than expected (%d)", f.Name, f.UncompressedSize64, max)
	}
	rc, err := f.Open()
	if err != nil {
		return nil, fmt.Errorf("zip record %s: %w", f.Name, err)
	}
	defer rc.Close()
	out := make([]byte, f.UncompressedSize64)
	if _, err := io.ReadFull(rc, out); err != nil {
		return nil, fmt.Errorf("zip record %s: %w", f.Name, err)
	}
	return out, nil
}

// storageFromPID interprets a persistent id ('storage', type, key, location,
// numel[, view_metadata]) and returns the (possibly already seen) storage.
func storageFromPID(pid interface{}, seen map[string]*storage, minLen int) (*storage, error) {
	t, ok := pid.(*types.Tuple)
	if !ok || t.Len() < minLen {
		return nil, fmt.Errorf("persistent id %v: want a tuple ('storage', type, key, location, numel)", pid)
	}
	if s, _ := t.Get(0).(string); s != "storage" {
		return nil, fmt.Errorf("persistent id of kind %v: only storages are supported", t.Get(0))
	}
	typ, ok := t.Get(1).(storageType)
	if !ok {
		return nil, fmt.Errorf("persistent id: storage type %v is not supported", t.Get(1))
	}
	key, ok := t.Get(2).(string)
	if !ok {
		return nil, fmt.Errorf("persistent id: storage key %v is not a string", t.Get(2))
	}
	numel, ok := t.Get(4).(int)
	if !ok || numel < 0 || numel > MaxBytes {
		return nil, fmt.Errorf("persistent id: storage %q has an invalid element count %v", key, t.Get(4))
	}
	if t.Len() > 5 && t.Get(5) != nil {
		return nil, fmt.Errorf("storage %q is a view of another storage, which torch.save no longer writes and this reader does not support", key)
	}
	if s, ok := seen[key]; ok {
		if s.typ != typ || s.numel != numel {
			return nil, fmt.Errorf("storage %q is declared twice with different types or sizes", key)
		}
		return s, nil
	}
	s := &storage{typ: typ, key: key, numel: numel}
	seen[key] = s
	return s, nil
}

// loadLegacy reads the pre-1.6 format: pickles of the magic number, the
// protocol version and system info, then the object, then the list of
// storage keys, then for each key an 8-byte element count and the raw data.
func loadLegacy(b []byte) (interface{}, error) {
	pos := 0
	next := func(what string) ([]byte, error) {
		n, err := scanPickle(b[pos:])
		if err != nil {
			return nil, fmt.Errorf("legacy format, %s: %w", what, err)
		}
		p := b[pos : pos+n]
		pos += n
		return p, nil
	}
	plain := func(p []byte) (interface{}, error) {
		return unpickle(p, func(interface{}) (interface{}, error) {
			return nil, errors.New("unexpected persistent id in a header pickle")
		})
	}
	p, err := next("magic number")
	if err != nil {
		return nil, err
	}
	magic, err := plain(p)
	if err != nil {
		return nil, fmt.Errorf("legacy format: %w", err)
	}
	if m, ok := magic.(*big.Int); !ok || m.Text(16) != "1950a86a20f9469cfc6c" {
		return nil, errors.New("not a PyTorch file: a pickle, but without torch's magic number")
	}
	if p, err = next("protocol version"); err != nil {
		return nil, err
	}
	if v, err := plain(p); err != nil || v != 1001 {
		return nil, fmt.Errorf("legacy format: protocol version %v, want 1001", v)
	}
	if p, err = next("system info"); err != nil {
		return nil, err
	}
	sys, err := plain(p)
	if err != nil {
		return nil, fmt.Errorf("legacy format: system info: %w", err)
	}
	if d, ok := sys.(*types.Dict); ok {
		if le, ok := d.Get("little_endian"); ok && le == false {
			return nil, errors.New("legacy format: the file was written on a big-endian machine, which is not supported")
		}
	}
	if p, err = next("object"); err != nil {
		return nil, err
	}
	storages := map[string]*storage{}
	obj, err := unpickle(p, func(pid interface{}) (interface{}, error) {
		return storageFromPID(pid, storages, 6)
	})
	if err != nil {
		return nil, fmt.Errorf("legacy format: %w", err)
	}
	if p, err = next("storage keys"); err != nil {
		return nil, err
	}
	keysObj, err := plain(p)
	if err != nil {
		return nil, fmt.Errorf("legacy format: storage keys: %w", err)
	}
	keys, ok := keysObj.(*types.List)
	if !ok {
		return nil, fmt.Errorf("legacy format: storage keys are %T, not a list", keysObj)
	}
	for _, k := range *keys {
		key, ok := k.(string)
		if !ok {
			return nil, fmt.Errorf("legacy format: storage key %v is not a string", k)
		}
		st, ok := storages[key]
		if !ok {
			return nil, fmt.Errorf("legacy format: storage %q is listed but never used", key)
		}
		if len(b)-pos < 8 {
			return nil, fmt.Errorf("legacy format: storage %q: file truncated", key)
		}
		n := binary.LittleEndian.Uint64(b[pos:])
		pos += 8
		if n != uint64(st.numel) {
			return nil, fmt.Errorf("legacy format: storage %q holds %d elements, the pickle declares %d", key, n, st.numel)
		}
		nb := st.numel * st.typ.elemSize
		if nb > len(b)-pos {
			return nil, fmt.Errorf("legacy format: storage %q: %d bytes declared, %d remain (truncated file?)", key, nb, len(b)-pos)
		}
		st.data = b[pos : pos+nb]
		pos += nb
	}
	for key, st := range storages {
		if st.data == nil {
			return nil, fmt.Errorf("legacy format: storage %q has no data", key)
		}
	}
	return obj, nil
}

// toStateDict finds the state dict in a loaded object: either the original
// code's {'epoch': n, 'state_dict': OrderedDict} or a bare state dict.
func toStateDict(obj interface{}) (*StateDict, error) {
	epoch := -1
	if d, ok := obj.(*types.Dict); ok {
		if inner, ok := d.Get("state_dict"); ok {
			if e, ok := d.Get("epoch"); ok {
				if ei, ok := e.(int); ok {
					epoch = ei
				}
			}
			obj = inner
		}
	}
	var keys []interface{}
	var vals []interface{}
	switch d := obj.(type) {
	case *types.OrderedDict:
		for e := d.List.Front(); e != nil; e = e.Next() {
			ent := e.Value.(*types.OrderedDictEntry)
			keys = append(keys, ent.Key)
			vals = append(vals, ent.Value)
		}
	case *types.Dict:
		for _, ent := range *d {
			keys = append(keys, ent.Key)
			vals = append(vals, ent.Value)
		}
	default:
		return nil, fmt.Errorf("the file holds a %T, not a state dict or {'epoch': n, 'state_dict': ...}", obj)
	}
	sd := &StateDict{Tensors: map[string]*Tensor{}, Epoch: epoch}
	for i, k := range keys {
		name, ok := k.(string)
		if !ok {
			return nil, fmt.Errorf("state dict key %v is not a string", k)
		}
		tr, ok := vals[i].(*tensorRef)
		if !ok {
			return nil, fmt.Errorf("state dict entry %q is a %T, not a tensor (is this a netG.pth checkpoint?)", name, vals[i])
		}
		t, err := tr.materialise()
		if err != nil {
			return nil, fmt.Errorf("state dict entry %q: %w", name, err)
		}
		if _, dup := sd.Tensors[name]; dup {
			return nil, fmt.Errorf("state dict key %q appears twice", name)
		}
		sd.Names = append(sd.Names, name)
		sd.Tensors[name] = t
	}
	return sd, nil
}

// materialise copies the strided view into a dense row-major tensor.
func (r *tensorRef) materialise() (*Tensor, error) {
	if r.st.data == nil {
		return nil, fmt.Errorf("storage %q has no data", r.st.key)
	}
	n := 1
	for _, d := range r.size {
		n *= d
	}
	t := &Tensor{Shape: append([]int{}, r.size...)}
	idx := make([]int, len(r.size))
	read := func(i int) (float64, int64) {
		b := r.st.data[i*r.st.typ.elemSize:]
		switch r.st.typ.name {
		case "FloatStorage":
			return float64(math.Float32frombits(binary.LittleEndian.Uint32(b))), 0
		case "DoubleStorage":
			return math.Float64frombits(binary.LittleEndian.Uint64(b)), 0
		case "HalfStorage":
			return float64(float16.Frombits(binary.LittleEndian.Uint16(b)).Float32()), 0
		case "BFloat16Storage":
			return float64(math.Float32frombits(uint32(binary.LittleEndian.Uint16(b)) << 16)), 0
		case "LongStorage":
			return 0, int64(binary.LittleEndian.Uint64(b))
		case "IntStorage":
			return 0, int64(int32(binary.LittleEndian.Uint32(b)))
		case "ShortStorage":
			return 0, int64(int16(binary.LittleEndian.Uint16(b)))
		case "CharStorage":
			return 0, int64(int8(b[0]))
		default: // ByteStorage, BoolStorage
			return 0, int64(b[0])
		}
	}
	if r.st.typ.float {
		t.Floats = make([]float32, n)
	} else {
		t.Ints = make([]int64, n)
	}
	for k := 0; k < n; k++ {
		pos := r.offset
		for d := range idx {
			pos += idx[d] * r.stride[d]
		}
		f, i := read(pos)
		if t.Floats != nil {
			t.Floats[k] = float32(f)
		} else {
			t.Ints[k] = i
		}
		for d := len(idx) - 1; d >= 0; d-- {
			idx[d]++
			if idx[d] < r.size[d] {
				break
			}
			idx[d] = 0
		}
	}
	return t, nil
}

// SortedNames returns the state dict's names sorted, for messages.
func (sd *StateDict) SortedNames() []string {
	n := append([]string(nil), sd.Names...)
	sort.Strings(n)
	return n
}
