package preprocess

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func readTestdata(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestClassify(t *testing.T) {
	png := readTestdata(t, "base.png")
	tests := []struct {
		rel    string
		head   []byte
		ok     bool
		reason string // a word the reason must hold, "" when taken
	}{
		{"a.png", []byte("garbage"), true, ""}, // the name decides; decoding reports the damage
		{"A.JPEG", nil, true, ""},
		{"sub/b.WebP", nil, true, ""},
		{"noext", png, true, ""},
		{"wrong.txt", png, true, ""},
		{"tiff-without-ext", readTestdata(t, "base.tiff"), true, ""},
		{"bmp.dat", readTestdata(t, "base.bmp"), true, ""},
		{"webp.bin", readTestdata(t, "base.webp"), true, ""},
		{"gif.bin", []byte("GIF89a\x01\x00\x01\x00"), true, ""},
		{"jpeg.bin", []byte("\xff\xd8\xff\xe0\x00\x10JFIF"), true, ""},
		{"truncated-png", []byte("\x89PNG\r\n\x1a\n"), true, ""}, // a PNG by its signature
		{".DS_Store", png, false, "hidden"},
		{".hidden.png", png, false, "hidden"},
		{".git/x.png", png, false, "hidden"},
		{"./ok.png", nil, true, ""},
		{"../up/ok.png", nil, true, ""},
		{"README.txt", []byte("not an image"), false, "not an image"},
		{"logo.svg", []byte("<svg xmlns='http://www.w3.org/2000/svg'/>"), false, "SVG"},
		{"logo", []byte("<?xml version='1.0'?>\n<SVG>"), false, "SVG"},
		{"photo.heic", []byte("\x00\x00\x00\x18ftypheic\x00\x00\x00\x00"), false, "HEIC"},
		{"photo", []byte("\x00\x00\x00\x18ftypavif\x00\x00\x00\x00"), false, "AVIF"},
		{"empty", []byte{}, false, "empty"},
	}
	for _, tc := range tests {
		read := false
		ok, why := Classify(tc.rel, func() ([]byte, error) { read = true; return tc.head, nil })
		if ok != tc.ok || !strings.Contains(why, tc.reason) || (tc.ok && why != "") {
			t.Errorf("Classify(%q) = %v, %q; want %v and a reason with %q", tc.rel, ok, why, tc.ok, tc.reason)
		}
		if read && (IsImageName(tc.rel) || strings.HasPrefix(tc.rel, ".")) {
			t.Errorf("Classify(%q) read the content although the name decides", tc.rel)
		}
	}
	ok, why := Classify("locked", func() ([]byte, error) { return nil, &os.PathError{Op: "open", Path: "locked", Err: os.ErrPermission} })
	if ok || !strings.Contains(why, "cannot be read: permission denied") || strings.Contains(why, "locked") {
		t.Errorf("unreadable file: %v %q (the reason must not repeat the path)", ok, why)
	}
}

func TestSniff(t *testing.T) {
	for name, want := range map[string]string{
		"base.png": "png", "base.tiff": "tiff", "base.bmp": "bmp", "base.webp": "webp", "cmyk.jpg": "jpeg",
	} {
		if got := Sniff(readTestdata(t, name)); got != want {
			t.Errorf("Sniff(%s) = %q, want %q", name, got, want)
		}
	}
	for _, b := range [][]byte{nil, []byte("hello"), []byte("<svg/>")} {
		if got := Sniff(b); got != "" {
			t.Errorf("Sniff(%q) = %q, want \"\"", b, got)
		}
	}
}

func TestLabelOf(t *testing.T) {
	tests := []struct{ path, want string }{
		{"data/test/0.normal/a.png", Normal},
		{"data/test/1.abnormal/sub/a.png", Anomalous},
		{"data/1.abnormal/0.normal/a.png", Normal}, // the nearest folder wins
		{`C:\data\1.abnormal\f.png`, Anomalous},
		{"drop/0.normal/n.png", Normal},
		{"data/test/a.png", ""},
		{"0.normal.png", ""},
		{"0.normal", ""},
		{"normal/a.png", ""}, // only the original layout's names
		{"0.Normal/a.png", ""},
	}
	for _, tc := range tests {
		if got := LabelOf(filepath.FromSlash(tc.path)); got != tc.want {
			t.Errorf("LabelOf(%s) = %q, want %q", tc.path, got, tc.want)
		}
	}
}

func TestListDir(t *testing.T) {
	dir := t.TempDir()
	png := readTestdata(t, "base.png")
	files := map[string][]byte{
		"0.normal/a.png":        png,
		"0.normal/b":            png, // no extension: taken by content
		"0.normal/sub/c.jpg":    readTestdata(t, "cmyk.jpg"),
		"1.abnormal/d.txt":      png, // wrong extension: taken by content
		"1.abnormal/broken.png": []byte("not a png"),
		"1.abnormal/notes.txt":  []byte("hello"),
		"1.abnormal/logo.svg":   []byte("<svg/>"),
		".DS_Store":             []byte("\x00\x00\x00\x01Bud1"),
		".git/objects/e.png":    png,
		"top.webp":              readTestdata(t, "base.webp"),
	}
	for name, b := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	l, err := ListDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	j := func(s string) string { return filepath.Join(dir, filepath.FromSlash(s)) }
	wantImages := []Image{
		{j("0.normal/a.png"), Normal}, {j("0.normal/b"), Normal}, {j("0.normal/sub/c.jpg"), Normal},
		{j("1.abnormal/broken.png"), Anomalous}, {j("1.abnormal/d.txt"), Anomalous},
		{j("top.webp"), ""},
	}
	if !reflect.DeepEqual(l.Images, wantImages) {
		t.Errorf("images\n%v\nwant\n%v", l.Images, wantImages)
	}
	var skipped []string
	for _, s := range l.Skipped {
		skipped = append(skipped, strings.TrimPrefix(filepath.ToSlash(s.Path), filepath.ToSlash(dir)+"/"))
		if s.Reason == "" {
			t.Errorf("%s skipped without a reason", s.Path)
		}
	}
	wantSkipped := []string{".DS_Store", ".git", "1.abnormal/logo.svg", "1.abnormal/notes.txt"}
	if !reflect.DeepEqual(skipped, wantSkipped) {
		t.Errorf("skipped %v, want %v", skipped, wantSkipped)
	}
	if len(l.Unreadable) != 0 {
		t.Errorf("unreadable %v", l.Unreadable)
	}
	if got := l.Paths(); len(got) != len(wantImages) || got[0] != wantImages[0].Path {
		t.Errorf("Paths() = %v", got)
	}

	if _, err := ListDir(j("top.webp")); err == nil || !strings.Contains(err.Error(), "not a folder") {
		t.Errorf("a file: %v", err)
	}
	if _, err := ListDir(j("nope")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a missing folder: %v", err)
	}
	empty := j("empty")
	os.Mkdir(empty, 0o755)
	if l, err := ListDir(empty); err != nil || len(l.Images)+len(l.Skipped) != 0 {
		t.Errorf("an empty folder: %v %v", l, err)
	}
}

func TestListDirUnreadableFolder(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root reads every folder")
	}
	dir := t.TempDir()
	locked := filepath.Join(dir, "locked")
	os.Mkdir(locked, 0o755)
	os.WriteFile(filepath.Join(locked, "a.png"), readTestdata(t, "base.png"), 0o644)
	os.Chmod(locked, 0)
	defer os.Chmod(locked, 0o755)
	l, err := ListDir(dir)
	if err != nil || len(l.Unreadable) != 1 || l.Unreadable[0].Path != locked {
		t.Errorf("ListDir = %+v, %v: want the locked folder as unreadable", l, err)
	}
}
