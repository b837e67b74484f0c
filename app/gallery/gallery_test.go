package gallery

import (
	"fmt"
	"image"
	"image/color"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ganomaly-go/ganomaly/modelfile"
	"github.com/ganomaly-go/ganomaly/preprocess"
)

// folder writes a labelled folder: files maps a path relative to the
// folder to its content ("png" for a small valid image).
func folder(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for rel, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if content == "png" {
			img := image.NewNRGBA(image.Rect(0, 0, 40, 24))
			for i := range img.Pix {
				img.Pix[i] = uint8(len(rel)*37 + i*11)
			}
			if err := writePNG(p, img); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func images(label string, n int) map[string]string {
	m := map[string]string{}
	for i := range n {
		m[fmt.Sprintf("%s/img%03d.png", label, i)] = "png"
	}
	return m
}

func merge(ms ...map[string]string) map[string]string {
	out := map[string]string{}
	for _, m := range ms {
		for k, v := range m {
			out[k] = v
		}
	}
	return out
}

func TestPick(t *testing.T) {
	tests := []struct {
		name    string
		files   map[string]string
		n       int
		want    []string // picked, relative
		skipped []string // relative paths left out
		err     string
	}{
		{"both labels, half each, spread evenly", merge(images("0.normal", 6), images("1.abnormal", 4)), 4,
			[]string{"0.normal/img001.png", "0.normal/img004.png", "1.abnormal/img001.png", "1.abnormal/img003.png"}, nil, ""},
		{"few anomalies: normals fill in", merge(images("0.normal", 10), images("1.abnormal", 1)), 5,
			[]string{"0.normal/img001.png", "0.normal/img003.png", "0.normal/img006.png", "0.normal/img008.png", "1.abnormal/img000.png"}, nil, ""},
		{"fewer files than asked: all of them", merge(images("0.normal", 2), images("1.abnormal", 1)), 30,
			[]string{"0.normal/img000.png", "0.normal/img001.png", "1.abnormal/img000.png"}, nil, ""},
		{"nested folders count, hidden ones are left out", merge(images("0.normal/a", 1), images("1.abnormal", 1),
			map[string]string{"0.normal/.thumbs/x.png": "png", "0.normal/.DS_Store": "x"}), 30,
			[]string{"0.normal/a/img000.png", "1.abnormal/img000.png"}, []string{"0.normal/.DS_Store", "0.normal/.thumbs"}, ""},
		{"an image by content without an extension", merge(images("0.normal", 1), map[string]string{"1.abnormal/scan": "png"}), 30,
			[]string{"0.normal/img000.png", "1.abnormal/scan"}, nil, ""},
		{"bad files are listed and left out", merge(images("0.normal", 4), images("1.abnormal", 2), map[string]string{
			"0.normal/img000.png": "not a png", "1.abnormal/broken.jpg": "\xff\xd8 truncated", "0.normal/notes.txt": "hello", "loose.png": "png", "2.other/x.png": "png"}), 4,
			[]string{"0.normal/img001.png", "0.normal/img003.png", "1.abnormal/img000.png", "1.abnormal/img001.png"},
			[]string{"0.normal/img000.png", "0.normal/notes.txt", "1.abnormal/broken.jpg", "2.other/x.png", "loose.png"}, ""},
		{"one label all bad: the other makes up", merge(images("0.normal", 4), map[string]string{"1.abnormal/a.png": "x", "1.abnormal/b.png": "y"}), 4,
			[]string{"0.normal/img000.png", "0.normal/img001.png", "0.normal/img002.png", "0.normal/img003.png"},
			[]string{"1.abnormal/a.png", "1.abnormal/b.png"}, ""},
		{"only normals", images("0.normal", 3), 2, []string{"0.normal/img000.png", "0.normal/img002.png"}, nil, ""},
		{"wrong layout", images("normal", 3), 2, nil, []string{"normal/img000.png", "normal/img001.png", "normal/img002.png"}, "holds no images in 0.normal/ or 1.abnormal/"},
		{"nothing decodes", map[string]string{"0.normal/a.png": "x"}, 2, nil, []string{"0.normal/a.png"}, "none of its images could be decoded"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := folder(t, tc.files)
			got, skipped, err := pick(dir, tc.n)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err %v, want %q", err, tc.err)
				}
			} else if err != nil {
				t.Fatal(err)
			}
			var rels []string
			for _, c := range got {
				rels = append(rels, c.rel)
				if wantLabel := map[bool]string{true: Normal, false: Anomalous}[strings.HasPrefix(c.rel, "0.normal/")]; c.label != wantLabel {
					t.Errorf("%s labelled %s", c.rel, c.label)
				}
			}
			if !slices.Equal(rels, tc.want) {
				t.Errorf("picked %v\nwant   %v", rels, tc.want)
			}
			var srels []string
			for _, s := range skipped {
				r, _ := filepath.Rel(dir, s.Path)
				srels = append(srels, filepath.ToSlash(r))
				if s.Reason == "" {
					t.Errorf("%s left out without a reason", s.Path)
				}
			}
			if !slices.Equal(srels, tc.skipped) {
				t.Errorf("skipped %v\nwant    %v", srels, tc.skipped)
			}
			again, _, _ := pick(dir, tc.n)
			if !slices.Equal(got, again) {
				t.Error("the pick is not deterministic")
			}
		})
	}
	if _, _, err := pick(filepath.Join(t.TempDir(), "missing"), 3); err == nil {
		t.Error("a missing folder must be an error")
	}
}

// TestBuild: the thumbnails are the model's input view, so scoring one
// sees the original's tensor up to 8-bit rounding.
func TestBuild(t *testing.T) {
	dir := folder(t, merge(images("0.normal", 3), images("1.abnormal", 2)))
	for _, arch := range []modelfile.Arch{{ISize: 16, NC: 1}, {ISize: 32, NC: 3}} {
		meta := modelfile.Metadata{Arch: arch, Norm: modelfile.DefaultNorm(arch.NC)}
		out := t.TempDir()
		entries, skipped, err := Build(dir, out, "own", "own.safetensors", meta, 4)
		if err != nil || len(skipped) != 0 {
			t.Fatal(err, skipped)
		}
		var files []string
		for _, e := range entries {
			files = append(files, e.File)
			if e.Model != "own.safetensors" || e.Label != e.Class || e.Source == "" {
				t.Errorf("entry %+v", e)
			}
		}
		if want := []string{"own/normal-00.png", "own/normal-01.png", "own/anomalous-00.png", "own/anomalous-01.png"}; !slices.Equal(files, want) {
			t.Errorf("files %v, want %v", files, want)
		}
		for _, e := range entries {
			thumb := filepath.Join(out, filepath.FromSlash(e.File))
			f, _ := os.Open(thumb)
			cfg, _, err := image.DecodeConfig(f)
			f.Close()
			if err != nil || cfg.Width != arch.ISize || cfg.Height != arch.ISize {
				t.Fatalf("%s: %v %dx%d", e.File, err, cfg.Width, cfg.Height)
			}
			if grey := cfg.ColorModel == color.GrayModel; grey != (arch.NC == 1) {
				t.Errorf("%s: colour model %T for nc %d", e.File, cfg.ColorModel, arch.NC)
			}
			a, err := preprocess.LoadFile(filepath.Join(dir, filepath.FromSlash(e.Source)), arch.ISize, arch.NC, meta.Norm)
			if err != nil {
				t.Fatal(err)
			}
			b, err := preprocess.LoadFile(thumb, arch.ISize, arch.NC, meta.Norm)
			if err != nil {
				t.Fatal(err)
			}
			// Half an 8-bit level in pixels, in the [-1, 1] units of the norm.
			const tol = 0.5 / 255 / 0.5 * 1.0001
			for i := range a {
				if d := math.Abs(float64(a[i] - b[i])); d > tol {
					t.Fatalf("%s: tensor[%d] %v vs the original's %v", e.File, i, b[i], a[i])
				}
			}
		}
	}
}
