package wasmsimd

import (
	"bytes"
	"encoding/base64"
	"regexp"
	"slices"
	"testing"
)

// TestLoaderCarriesTheModule: the loader script holds exactly Module's
// bytes, and the module's sections are well formed (each section's size
// ends where the next begins; WebAssembly.validate checks the rest under
// node, wasmsimd_js_test.go).
func TestLoaderCarriesTheModule(t *testing.T) {
	js := LoaderJS()
	m := regexp.MustCompile(`atob\("([A-Za-z0-9+/=]+)"\)`).FindStringSubmatch(js)
	if m == nil {
		t.Fatal("LoaderJS has no atob(\"…\") of the module")
	}
	got, err := base64.StdEncoding.DecodeString(m[1])
	if err != nil {
		t.Fatal(err)
	}
	mod := Module()
	if !bytes.Equal(got, mod) {
		t.Fatal("LoaderJS's bytes are not Module()'s")
	}
	if !bytes.HasPrefix(mod, []byte("\x00asm\x01\x00\x00\x00")) {
		t.Fatalf("module starts % x, want the wasm magic and version 1", mod[:8])
	}
	var ids []byte
	for p := 8; p < len(mod); {
		id := mod[p]
		p++
		size, shift := 0, 0
		for {
			c := mod[p]
			p++
			size |= int(c&0x7f) << shift
			shift += 7
			if c&0x80 == 0 {
				break
			}
		}
		if p+size > len(mod) {
			t.Fatalf("section %d of %d bytes runs past the module's end", id, size)
		}
		ids = append(ids, id)
		p += size
	}
	if !bytes.Equal(ids, []byte{1, 2, 3, 7, 10}) {
		t.Fatalf("sections %v, want type, import, function, export, code", ids)
	}
	if !bytes.Contains(mod, []byte("\x04gemm\x00")) {
		t.Fatal("no function export named gemm")
	}
}

func TestLEB(t *testing.T) {
	for _, c := range []struct {
		u    uint32
		want []byte
	}{{0, []byte{0}}, {127, []byte{0x7f}}, {128, []byte{0x80, 0x01}}, {624485, []byte{0xe5, 0x8e, 0x26}}} {
		if got := uleb(c.u); !bytes.Equal(got, c.want) {
			t.Errorf("uleb(%d) = % x, want % x", c.u, got, c.want)
		}
	}
	for _, c := range []struct {
		s    int64
		want []byte
	}{{0, []byte{0}}, {-1, []byte{0x7f}}, {63, []byte{0x3f}}, {64, []byte{0xc0, 0x00}}, {-4, []byte{0x7c}}, {-123456, []byte{0xc0, 0xbb, 0x78}}} {
		if got := sleb(c.s); !bytes.Equal(got, c.want) {
			t.Errorf("sleb(%d) = % x, want % x", c.s, got, c.want)
		}
	}
}

// TestExportsAreTheModules: Exports names exactly the module's exported
// functions (the loader makes an import of each, and calls it with at most
// 12 arguments).
func TestExportsAreTheModules(t *testing.T) {
	var got []string
	for _, f := range functions() {
		if f.export {
			got = append(got, f.name)
			if len(f.params) > 12 {
				t.Errorf("%s takes %d parameters; the loader passes 12", f.name, len(f.params))
			}
		}
	}
	if want := Exports(); !slices.Equal(got, want) {
		t.Fatalf("module exports %v, Exports() %v", got, want)
	}
}
