package pth

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// The fixtures were written by PyTorch 2.1.0 running the original GANomaly
// networks (tests/python/make_original_netg.py; see the exporter's tests,
// which export and score them): netG.pth is torch.save's zip format,
// netG_legacy.pth the pre-1.6 format of the same state dict, netD.pth the
// discriminator; reference.json lists torch's own names and shapes.
const fixtureDir = "../exporter/testdata/original-tiny"

type reference struct {
	Epoch     int              `json:"epoch"`
	StateDict map[string][]int `json:"state_dict"`
}

func loadReference(t *testing.T) *reference {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(fixtureDir, "reference.json"))
	if err != nil {
		t.Fatal(err)
	}
	var r reference
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	return &r
}

func TestReadPthMatchesTorchStateDict(t *testing.T) {
	ref := loadReference(t)
	for _, name := range []string{"netG.pth", "netG_legacy.pth"} {
		t.Run(name, func(t *testing.T) {
			sd, err := Read(filepath.Join(fixtureDir, name))
			if err != nil {
				t.Fatal(err)
			}
			if sd.Epoch != ref.Epoch {
				t.Errorf("epoch %d, want %d", sd.Epoch, ref.Epoch)
			}
			if len(sd.Names) != len(ref.StateDict) {
				t.Errorf("%d tensors, torch has %d", len(sd.Names), len(ref.StateDict))
			}
			for n, shape := range ref.StateDict {
				tn := sd.Tensors[n]
				if tn == nil {
					t.Errorf("tensor %s missing", n)
					continue
				}
				if !slices.Equal(tn.Shape, shape) {
					t.Errorf("%s: shape %v, torch has %v", n, tn.Shape, shape)
				}
				if strings.HasSuffix(n, "num_batches_tracked") != (tn.Ints != nil) {
					t.Errorf("%s: integer = %v", n, tn.Ints != nil)
				}
			}
		})
	}
}

// TestPthHostileInputs truncates and corrupts the fixture: every variant must
// give an error (or, for harmless changes, a valid state dict), never a panic
// or a huge allocation.
func TestPthHostileInputs(t *testing.T) {
	for _, name := range []string{"netG.pth", "netG_legacy.pth"} {
		b, err := os.ReadFile(filepath.Join(fixtureDir, name))
		if err != nil {
			t.Fatal(err)
		}
		t.Run(name+"/truncated", func(t *testing.T) {
			for _, n := range []int{0, 1, 2, 4, 10, 100, len(b) / 3, len(b) / 2, len(b) - 100, len(b) - 1} {
				if _, err := Parse(b[:n]); err == nil {
					t.Errorf("truncated to %d of %d bytes: no error", n, len(b))
				}
			}
		})
		t.Run(name+"/corrupted", func(t *testing.T) {
			for i := 0; i < len(b); i += 97 {
				c := append([]byte(nil), b...)
				c[i] ^= 0xff
				_, _ = Parse(c) // must not panic
			}
		})
	}
}

// TestPthRefusals covers files that are PyTorch but not a state dict we accept.
func TestPthRefusals(t *testing.T) {
	good, err := os.ReadFile(filepath.Join(fixtureDir, "netG.pth"))
	if err != nil {
		t.Fatal(err)
	}
	zr, err := zip.NewReader(bytes.NewReader(good), int64(len(good)))
	if err != nil {
		t.Fatal(err)
	}
	// rezip rewrites the archive, letting edit change or drop records.
	rezip := func(method uint16, edit func(name string, data []byte) []byte, extra ...string) []byte {
		var buf bytes.Buffer
		w := zip.NewWriter(&buf)
		for _, name := range extra {
			fw, err := w.CreateHeader(&zip.FileHeader{Name: name, Method: method})
			if err != nil {
				t.Fatal(err)
			}
			fw.Write([]byte("\x80\x02N."))
		}
		for _, f := range zr.File {
			rc, err := f.Open()
			if err != nil {
				t.Fatal(err)
			}
			data, _ := io.ReadAll(rc)
			rc.Close()
			if edit != nil {
				if data = edit(f.Name, data); data == nil {
					continue
				}
			}
			fw, err := w.CreateHeader(&zip.FileHeader{Name: f.Name, Method: method})
			if err != nil {
				t.Fatal(err)
			}
			fw.Write(data)
		}
		w.Close()
		return buf.Bytes()
	}
	for _, c := range []struct {
		name string
		data []byte
		msg  string
	}{
		{"not torch", []byte("just text"), "not a PyTorch file"},
		{"compressed records", rezip(zip.Deflate, nil), "compressed"},
		{"missing storage", rezip(zip.Store, func(n string, d []byte) []byte {
			if strings.HasSuffix(n, "/data/0") {
				return nil
			}
			return d
		}), "no record"},
		{"short storage", rezip(zip.Store, func(n string, d []byte) []byte {
			if strings.HasSuffix(n, "/data/0") {
				return d[:len(d)-4]
			}
			return d
		}), "declares"},
		{"torchscript", rezip(zip.Store, func(n string, d []byte) []byte {
			if strings.HasSuffix(n, "byteorder") {
				return nil // replaced by constants.pkl below
			}
			return d
		}, "netG/constants.pkl"), "TorchScript"},
		{"big endian", rezip(zip.Store, func(n string, d []byte) []byte {
			if strings.HasSuffix(n, "byteorder") {
				return []byte("big")
			}
			return d
		}), "little-endian"},
		{"module pickle", rezip(zip.Store, func(n string, d []byte) []byte {
			if strings.HasSuffix(n, "data.pkl") {
				return bytes.Replace(d, []byte("OrderedDict"), []byte("OrderedDicX"), 1)
			}
			return d
		}), "rather than a state dict"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse(c.data)
			switch {
			case c.msg == "" && err != nil:
				t.Errorf("unexpected error %v", err)
			case c.msg != "" && (err == nil || !strings.Contains(err.Error(), c.msg)):
				t.Errorf("error %v, want one containing %q", err, c.msg)
			}
		})
	}
}

func FuzzParsePth(f *testing.F) {
	for _, name := range []string{"netG.pth", "netG_legacy.pth", "netD.pth"} {
		b, err := os.ReadFile(filepath.Join(fixtureDir, name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
		// The pickle alone exercises the unpickler without the zip layer.
		if zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b))); err == nil {
			for _, zf := range zr.File {
				if strings.HasSuffix(zf.Name, "data.pkl") {
					rc, _ := zf.Open()
					p, _ := io.ReadAll(rc)
					rc.Close()
					f.Add(p)
				}
			}
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		sd, err := Parse(b)
		if err == nil && sd == nil {
			t.Fatal("nil state dict without an error")
		}
	})
}
