package modelfile

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func testMeta() Metadata {
	return Metadata{FormatVersion: FormatVersion, Kind: KindModel,
		Arch: Arch{ISize: 32, NC: 1, NZ: 100, NGF: 64}, Norm: DefaultNorm(1),
		Calibration: &Calibration{Threshold: 0.5, ThresholdFPR: 0.05, ScoreScale: ScoreScale{0, 1}}}
}

func encode(t *testing.T, f *File) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := f.Encode(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestRoundTripDTypes(t *testing.T) {
	w := []float32{0.5, -1.25, 3, 0.001, -0.02, 7, 0, 1e-3}
	f := New(testMeta())
	f.Add(NewF32("a.weight", []int{2, 4}, w))
	f.Add(NewF16("b.weight", []int{8}, w))
	q, s := Quantize("c.weight", []int{2, 1, 2, 2}, w, 0)
	f.Add(q)
	f.Add(s)
	qt, st := Quantize("d.weight", []int{1, 2, 2, 2}, w, 1)
	f.Add(qt)
	f.Add(st)
	f.Add(NewI64("e.num_batches_tracked", []int{}, []int64{12345}))
	g, err := Parse(encode(t, f))
	if err != nil {
		t.Fatal(err)
	}
	if g.Meta.Calibration == nil || g.Meta.Calibration.Threshold != 0.5 || g.Meta.Arch != f.Meta.Arch {
		t.Fatalf("metadata did not round-trip: %+v", g.Meta)
	}
	tol := map[string]float64{"a.weight": 0, "b.weight": 1e-3, "c.weight": 7.0 / 127 / 2, "d.weight": 7.0 / 127 / 2}
	for name, tl := range tol {
		got, shape, err := g.Float32s(name)
		if err != nil {
			t.Fatal(err)
		}
		if len(shape) == 0 || len(got) != len(w) {
			t.Fatalf("%s: shape %v len %d", name, shape, len(got))
		}
		for i := range w {
			if d := math.Abs(float64(got[i] - w[i])); d > tl*math.Max(1, math.Abs(float64(w[i]))) {
				t.Errorf("%s[%d] = %g, want %g ± %g", name, i, got[i], w[i], tl)
			}
		}
	}
	// Per-channel scales: channel 0 of c holds {0.5,-1.25,3,0.001} → max 3.
	sc, _, _ := g.Float32s("c.weight_scale")
	if math.Abs(float64(sc[0])-3.0/127) > 1e-9 || math.Abs(float64(sc[1])-7.0/127) > 1e-9 {
		t.Errorf("scales %v", sc)
	}
	n, _ := g.Tensor("e.num_batches_tracked").Float32s()
	if n[0] != 12345 {
		t.Errorf("I64 %v", n)
	}
	// Deterministic encoding.
	if !bytes.Equal(encode(t, f), encode(t, g)) {
		t.Error("re-encoding a parsed file changed its bytes")
	}
}

func TestSaveAtomicAndOpen(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "m.safetensors")
	f := New(testMeta())
	f.Add(NewF32("x", []int{3}, []float32{1, 2, 3}))
	if err := f.Save(p); err != nil {
		t.Fatal(err)
	}
	g, err := Open(p)
	if err != nil {
		t.Fatal(err)
	}
	if v, _, _ := g.Float32s("x"); v[2] != 3 {
		t.Errorf("got %v", v)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("temporary files left behind: %v", entries)
	}
	if _, err := Open(filepath.Join(dir, "missing")); err == nil {
		t.Error("opening a missing file succeeded")
	}
}

// raw builds a safetensors file from a header string and n data bytes.
func raw(header string, n int) []byte {
	b := make([]byte, 8+len(header)+n)
	binary.LittleEndian.PutUint64(b, uint64(len(header)))
	copy(b[8:], header)
	return b
}

func TestReaderRejectsBadFiles(t *testing.T) {
	meta := `"__metadata__":{"ganomaly":"{}"}`
	cases := []struct {
		name string
		b    []byte
		want string
	}{
		{"empty", nil, "too short"},
		{"huge header length", func() []byte { b := make([]byte, 16); binary.LittleEndian.PutUint64(b, 1<<40); return b }(), "exceeds"},
		{"header past end", func() []byte { b := raw(`{}`, 0); binary.LittleEndian.PutUint64(b, 100); return b }(), "past the end"},
		{"not json", raw(`{"a":`, 0), "not a JSON object"},
		{"bad dtype", raw(`{"a":{"dtype":"F64","shape":[1],"data_offsets":[0,8]}}`, 8), "not supported"},
		{"negative dim", raw(`{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}`, 4), "negative"},
		{"shape overflow", raw(`{"a":{"dtype":"F32","shape":[1000000,1000000,1000000,1000000],"data_offsets":[0,4]}}`, 4), "more elements"},
		{"size mismatch", raw(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}`, 4), "needs 8 bytes"},
		{"offsets outside", raw(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`, 4), "outside"},
		{"overlap", raw(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`, 4), "overlap"},
		{"trailing bytes", raw(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`, 8), "trailing"},
		{"unknown field", raw(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4],"x":1}}`, 4), "bad entry"},
		{"metadata not strings", raw(`{"__metadata__":{"a":1}}`, 0), "map strings"},
		{"no ganomaly metadata", raw(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`, 4), "not written by ganomaly"},
		{"bad metadata", raw(`{`+meta+`}`, 0), "metadata"},
		{"newer version", raw(`{"__metadata__":{"ganomaly":"{\"format_version\":99,\"kind\":\"model\"}"}}`, 0), "newer"},
	}
	for _, c := range cases {
		_, err := Parse(c.b)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one containing %q", c.name, err, c.want)
		}
	}
	var fe *FormatError
	if _, err := Parse(raw(`{"a":`, 0)); !errors.As(err, &fe) {
		t.Errorf("error %T is not a *FormatError", err)
	}
}

func TestTruncatedFiles(t *testing.T) {
	f := New(testMeta())
	f.Add(NewF32("x", []int{4}, []float32{1, 2, 3, 4}))
	b := encode(t, f)
	for n := 0; n < len(b); n++ {
		if _, err := Parse(b[:n]); err == nil {
			t.Fatalf("a file truncated to %d of %d bytes parsed", n, len(b))
		}
	}
}

func TestArchValidate(t *testing.T) {
	for _, c := range []struct {
		a  Arch
		ok bool
	}{
		{Arch{32, 1, 100, 64, 0}, true},
		{Arch{128, 3, 100, 64, 2}, true},
		{Arch{80, 1, 100, 64, 0}, false},
		{Arch{8, 1, 100, 64, 0}, false},
		{Arch{256, 1, 100, 64, 0}, false},
		{Arch{32, 2, 100, 64, 0}, false},
		{Arch{32, 1, 0, 64, 0}, false},
		{Arch{32, 1, 100, 0, 0}, false},
		{Arch{32, 1, 100, 64, -1}, false},
	} {
		if err := c.a.Validate(); (err == nil) != c.ok {
			t.Errorf("%+v: err %v, want ok=%v", c.a, err, c.ok)
		}
	}
}

// FuzzRead: the reader never panics, and whatever it accepts re-encodes.
func FuzzRead(f *testing.F) {
	m := New(testMeta())
	m.Add(NewF32("a", []int{2, 2}, []float32{1, 2, 3, 4}))
	m.Add(NewF16("b", []int{3}, []float32{1, 2, 3}))
	q, s := Quantize("c", []int{2, 2}, []float32{1, -2, 3, 4}, 0)
	m.Add(q)
	m.Add(s)
	var buf bytes.Buffer
	m.Encode(&buf)
	f.Add(buf.Bytes())
	f.Add(raw(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`, 4))
	f.Add(raw(`{}`, 0))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		ts, kv, err := Decode(b)
		if err != nil {
			return
		}
		for _, tt := range ts {
			if _, err := tt.Float32s(); err != nil {
				t.Fatal(err)
			}
		}
		var out bytes.Buffer
		if err := Encode(&out, ts, kv); err != nil {
			t.Fatalf("accepted file does not re-encode: %v", err)
		}
		if _, _, err := Decode(out.Bytes()); err != nil {
			t.Fatalf("re-encoded file does not parse: %v", err)
		}
		if file, err := Parse(b); err == nil {
			for _, n := range file.Names() {
				file.Float32s(n)
			}
		}
	})
}

// FuzzFloat32s: any parsed file's tensors dequantise without panicking.
func FuzzFloat32s(f *testing.F) {
	f.Add([]byte{4, 0, 1, 0}, []byte{1, 1, 1, 1})
	f.Fuzz(func(t *testing.T, wshape, sshape []byte) {
		if len(wshape) > 4 || len(sshape) > 4 {
			return
		}
		dims := func(b []byte) []int {
			d := make([]int, len(b))
			for i, x := range b {
				d[i] = int(x % 4)
			}
			return d
		}
		ws, ss := dims(wshape), dims(sshape)
		m := New(testMeta())
		n := 1
		for _, d := range ws {
			n *= d
		}
		m.Add(NewI8("w", ws, make([]int8, n)))
		k := 1
		for _, d := range ss {
			k *= d
		}
		m.Add(NewF32("w"+ScaleSuffix, ss, make([]float32, k)))
		m.Float32s("w")
	})
}

func TestWordsDefaults(t *testing.T) {
	mnist := &Dataset{Name: "mnist", NormalClasses: []string{"0", "1"}, AbnormalClasses: []string{"2"}}
	folder := &Dataset{Name: "folder", NormalClasses: []string{"0.normal"}, AbnormalClasses: []string{"1.abnormal"}}
	tests := []struct {
		name  string
		ds    *Dataset
		about *About
		want  About
	}{
		{"nothing recorded", nil, nil, About{Title: "GANomaly model", NormalName: "normal", AbnormalName: "anomalous"}},
		{"mnist classes", mnist, nil, About{Title: "GANomaly model of mnist", NormalName: "0, 1", AbnormalName: "2"}},
		{"folder names are the last resort", folder, nil, About{Title: "GANomaly model", NormalName: "normal", AbnormalName: "abnormal"}},
		{"chosen words win", folder, &About{Title: "Fabric", Description: "Scratches on cloth.", NormalName: "good part", AbnormalName: "scratched"},
			About{Title: "Fabric", Description: "Scratches on cloth.", NormalName: "good part", AbnormalName: "scratched"}},
		{"partly chosen", mnist, &About{AbnormalName: "the digit two"}, About{Title: "GANomaly model of mnist", NormalName: "0, 1", AbnormalName: "the digit two"}},
	}
	for _, tc := range tests {
		m := testMeta()
		m.Dataset, m.About = tc.ds, tc.about
		got := m.Words()
		if tc.want.Description == "" {
			if !strings.Contains(got.Description, tc.want.NormalName) || !strings.Contains(got.Description, tc.want.AbnormalName) {
				t.Errorf("%s: default description %q does not name the classes", tc.name, got.Description)
			}
			got.Description = ""
		}
		if got != tc.want {
			t.Errorf("%s: Words() = %+v, want %+v", tc.name, got, tc.want)
		}
	}
}

func TestAboutRoundTripsAndOldFilesRead(t *testing.T) {
	m := testMeta()
	m.About = &About{Title: "Fabric", Description: "Scratches.", NormalName: "good part", AbnormalName: "scratched"}
	f := New(m)
	f.Add(NewF32("a.weight", []int{1}, []float32{1}))
	g, err := Parse(encode(t, f))
	if err != nil {
		t.Fatal(err)
	}
	if g.Meta.About == nil || *g.Meta.About != *m.About {
		t.Errorf("about did not round-trip: %+v", g.Meta.About)
	}
	if g.Meta.FormatVersion != 1 {
		t.Errorf("format_version %d: the words are an addition within version 1", g.Meta.FormatVersion)
	}
	// A file written before the words existed has no "about" key.
	old := encode(t, New(testMeta()))
	if bytes.Contains(old, []byte("about")) {
		t.Fatal("an empty About is written")
	}
	h, err := Parse(old)
	if err != nil || h.Meta.About != nil || h.Meta.Words().NormalName != "normal" {
		t.Errorf("old file: %v, about %+v", err, h.Meta.About)
	}
}
