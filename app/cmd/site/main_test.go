package main

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/json"
	"image"
	"image/png"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ganomaly-go/ganomaly/app/gallery"
	"github.com/ganomaly-go/ganomaly/app/ui"
	"github.com/ganomaly-go/ganomaly/engine"
	"github.com/ganomaly-go/ganomaly/modelfile"
)

func writeModel(t *testing.T, path string, ds *modelfile.Dataset, test *modelfile.TestResult, about ...modelfile.About) {
	t.Helper()
	f, err := engine.Fold(engine.Init(modelfile.Arch{ISize: 16, NC: 1, NZ: 4, NGF: 4}, 1))
	if err != nil {
		t.Fatal(err)
	}
	g := modelfile.New(f.Meta)
	g.Meta.Dataset = ds
	for _, a := range about {
		g.Meta.About = &a
	}
	if test != nil {
		g.Meta.Calibration = &modelfile.Calibration{Threshold: 1, Test: test}
		g.Meta.Training = nil
	}
	for _, tn := range f.Tensors() {
		g.Add(tn)
	}
	if err := g.Save(path); err != nil {
		t.Fatal(err)
	}
}

func TestModelIndex(t *testing.T) {
	dir := t.TempDir()
	writeModel(t, filepath.Join(dir, "a.safetensors"), nil, nil)
	writeModel(t, filepath.Join(dir, "mnist.safetensors"), &modelfile.Dataset{Name: "mnist", AbnormalClasses: []string{"2"}}, &modelfile.TestResult{AUROC: 0.9})
	writeModel(t, filepath.Join(dir, "fm.safetensors"), &modelfile.Dataset{Name: "folder", AbnormalClasses: []string{"1.abnormal"}}, nil, modelfile.About{Title: "Fabric"})
	tests := []struct {
		def      string
		wantDef  string
		wantName string
	}{
		{"mnist.safetensors", "mnist.safetensors", "mnist (anomaly: 2)"},
		{"fm.safetensors", "fm.safetensors", "Fabric (fm) [random weights]"},
		{"missing.safetensors", "a.safetensors", "a [random weights]"}, // falls back to the first
	}
	for _, tc := range tests {
		idx, err := modelIndex(dir, tc.def)
		if err != nil {
			t.Fatal(err)
		}
		if len(idx) != 3 {
			t.Fatalf("%d models, want 3", len(idx))
		}
		var def string
		names := map[string]bool{}
		for _, m := range idx {
			if m.Default {
				def = m.File
			}
			names[m.Name] = true
		}
		if def != tc.wantDef || !names[tc.wantName] {
			t.Errorf("default %q (want %q), names %v (want %q)", def, tc.wantDef, names, tc.wantName)
		}
		for _, m := range idx {
			if m.File == "mnist.safetensors" && (m.AUROC != 0.9 || m.Dataset != "mnist" || m.ISize != 16 || m.Random) {
				t.Errorf("mnist entry %+v", m)
			}
		}
	}
	if _, err := modelIndex(t.TempDir(), "x"); err == nil || !strings.Contains(err.Error(), "no model") {
		t.Errorf("empty folder: %v", err)
	}
	os.WriteFile(filepath.Join(dir, "bad.safetensors"), []byte("nope"), 0o644)
	if _, err := modelIndex(dir, "x"); err == nil || !strings.Contains(err.Error(), "bad.safetensors") {
		t.Errorf("a corrupt bundled model must stop the build and be named: %v", err)
	}
}

func TestFixIndex(t *testing.T) {
	p := filepath.Join(t.TempDir(), "index.html")
	// go-app's deferred scripts, which every page it renders has.
	scripts := func(prefix string) string {
		return "\n<script src=\"" + prefix + "/wasm_exec.js\" defer></script>\n<script defer src=\"" + prefix + "/app.js\"></script>\n"
	}
	goApp := "<head>\n  <meta property=\"og:url\" content=\"http://127.0.0.1:41234/\">\n" +
		"  <meta name=\"viewport\" content=\"width=device-width, initial-scale=1, maximum-scale=1, user-scalable=0, viewport-fit=cover\">\n  <title>x</title>" + scripts("")
	os.WriteFile(p, []byte(goApp), 0o644)
	if err := fixIndex(p, ""); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(p)
	if s := string(b); strings.Contains(s, "og:url") || !strings.Contains(s, "<title>x</title>") ||
		strings.Contains(s, "user-scalable") || strings.Contains(s, "maximum-scale") || !strings.Contains(s, zoomableViewport) ||
		strings.Contains(s, "<script") {
		t.Errorf("got %q", b)
	}
	// The same tags with their attributes the other way round, as go-app
	// writes them as often as not.
	os.WriteFile(p, []byte("<head>\n  <meta content=\"http://127.0.0.1:41234/\" property=\"og:url\">\n"+
		"  <meta content=\"width=device-width, initial-scale=1, maximum-scale=1, user-scalable=0, viewport-fit=cover\" name=\"viewport\">\n  <title>x</title>"+scripts("")), 0o644)
	if err := fixIndex(p, ""); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(p); strings.Contains(string(b), "og:url") || strings.Contains(string(b), "user-scalable") || strings.Count(string(b), `name="viewport"`) != 1 {
		t.Errorf("attributes in the other order: got %q", b)
	}
	os.WriteFile(p, []byte("<html><head><title>x</title>"+scripts("")), 0o644)
	if err := fixIndex(p, ""); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(p); !strings.Contains(string(b), "<head>\n"+zoomableViewport+"<title>") {
		t.Errorf("no viewport tag: ours must be added, got %q", b)
	}
	// go-app's app.css links go (with the site's prefix), the rest stays.
	for _, prefix := range []string{"", "/ganomaly"} {
		os.WriteFile(p, []byte("<head>\n<link type=\"text/css\" rel=\"preload\" href=\""+prefix+"/app.css\" as=\"style\">\n"+
			"<link rel=\"icon\" href=\""+prefix+"/web/icon.svg\">\n<link type=\"text/css\" href=\""+prefix+"/app.css\" rel=\"stylesheet\">\n"+
			"<link rel=\"stylesheet\" href=\""+prefix+"/web/app.css\">\n<title>x</title>"+scripts(prefix)), 0o644)
		if err := fixIndex(p, prefix); err != nil {
			t.Fatal(err)
		}
		b, _ := os.ReadFile(p)
		if s := string(b); strings.Contains(s, `"`+prefix+`/app.css"`) || !strings.Contains(s, prefix+"/web/icon.svg") || !strings.Contains(s, prefix+"/web/app.css") {
			t.Errorf("prefix %q: go-app's app.css must go, nothing else: %q", prefix, s)
		}
		if strings.Contains(string(b), "<script") {
			t.Errorf("prefix %q: go-app's scripts must go (boot.js loads them): %q", prefix, b)
		}
	}
	// A page without go-app's scripts is not one this build knows.
	os.WriteFile(p, []byte(goApp[:strings.Index(goApp, "<script")]), 0o644)
	if err := fixIndex(p, ""); err == nil || !strings.Contains(err.Error(), "wasm_exec.js") {
		t.Errorf("a page without go-app's scripts must be refused: %v", err)
	}
	os.WriteFile(p, []byte("404 page not found"), 0o644)
	if err := fixIndex(p, ""); err == nil || !strings.Contains(err.Error(), "404 page not found") {
		t.Errorf("a page that is not go-app's must be reported with its start: %v", err)
	}
}

func TestPageStyles(t *testing.T) {
	dir := t.TempDir()
	good, bad := filepath.Join(dir, "good.css"), filepath.Join(dir, "bad.css")
	os.WriteFile(good, []byte(".a { color: red; }"), 0o644)
	os.WriteFile(bad, []byte(".a::after { content: \"</STYLE>\"; }"), 0o644)
	if s, err := pageStyles(good); err != nil || s != ".a { color: red; }" {
		t.Errorf("pageStyles(good) = %q, %v", s, err)
	}
	if _, err := pageStyles(bad); err == nil || !strings.Contains(err.Error(), "bad.css") {
		t.Errorf("a stylesheet that would end the element must be refused, naming the file: %v", err)
	}
	if _, err := pageStyles(filepath.Join(dir, "none.css")); err == nil || !strings.Contains(err.Error(), "stylesheet") {
		t.Errorf("a missing stylesheet: %v", err)
	}
}

func TestListWebVersionFollowsContent(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "models"), 0o755)
	os.WriteFile(filepath.Join(dir, "app.css"), []byte("a"), 0o644)
	os.WriteFile(filepath.Join(dir, "models", "m.safetensors"), []byte("m"), 0o644)
	os.WriteFile(filepath.Join(dir, ".hidden"), []byte("h"), 0o644)
	paths, v1, err := listWeb(dir)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(paths, ",") != "/web/app.css,/web/models/m.safetensors" {
		t.Errorf("paths %v", paths)
	}
	os.WriteFile(filepath.Join(dir, "models", "m.safetensors"), []byte("M"), 0o644)
	if _, v2, _ := listWeb(dir); v2 == v1 {
		t.Error("the version must change with the content")
	}
}

func writeGalleryFolder(t *testing.T, dir string, bad bool) {
	t.Helper()
	for _, rel := range []string{"0.normal/a.png", "0.normal/b.png", "1.abnormal/c.png"} {
		p := filepath.Join(dir, filepath.FromSlash(rel))
		os.MkdirAll(filepath.Dir(p), 0o755)
		f, err := os.Create(p)
		if err != nil {
			t.Fatal(err)
		}
		png.Encode(f, image.NewGray(image.Rect(0, 0, 20, 20)))
		f.Close()
	}
	if bad {
		os.WriteFile(filepath.Join(dir, "1.abnormal", "broken.png"), []byte("not a png"), 0o644)
	}
}

func TestGalleries(t *testing.T) {
	type want struct {
		model string
		n     int
	}
	tests := []struct {
		name    string
		own     []string // models (in the models folder) with NAME.gallery/ beside them
		flag    bool     // -gallery for the default model (b.safetensors)
		want    []want
		listed  string // in the build's output
		wantErr string
	}{
		{"beside the model", []string{"a"}, false, []want{{"a.safetensors", 3}}, "gallery of a.safetensors: 3 samples (2 normal, 1 anomalous)", ""},
		{"the default's from -gallery", nil, true, []want{{"b.safetensors", 3}}, "gallery of b.safetensors: 3 samples (2 normal, 1 anomalous)", ""},
		{"two models, two galleries", []string{"a"}, true, []want{{"a.safetensors", 3}, {"b.safetensors", 3}}, "", ""},
		{"two galleries for one model", []string{"b"}, true, nil, "", "b.safetensors has 2 galleries"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			site, models := t.TempDir(), t.TempDir()
			os.MkdirAll(filepath.Join(site, "models"), 0o755)
			writeModel(t, filepath.Join(site, "models", "a.safetensors"), nil, nil)
			writeModel(t, filepath.Join(site, "models", "b.safetensors"), nil, nil)
			for _, m := range tc.own {
				writeGalleryFolder(t, filepath.Join(models, m+".gallery"), true)
			}
			flagDir := ""
			if tc.flag {
				flagDir = filepath.Join(t.TempDir(), "g")
				writeGalleryFolder(t, flagDir, false)
			}
			os.MkdirAll(filepath.Join(site, "gallery"), 0o755)
			os.WriteFile(filepath.Join(site, "gallery", "index.json"), []byte(`[{"file":"mnist/digit-0-0.png","dataset":"mnist","class":"0"}]`), 0o644)
			idx, err := modelIndex(filepath.Join(site, "models"), "b.safetensors")
			if err != nil {
				t.Fatal(err)
			}
			var out strings.Builder
			err = galleries(filepath.Join(site, "gallery"), idx, []string{models}, flagDir, 30, &out)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(out.String(), tc.listed) {
				t.Errorf("output %q lacks %q", out.String(), tc.listed)
			}
			if len(tc.own) > 0 && !strings.Contains(out.String(), "broken.png: not usable") {
				t.Errorf("the bad file is not listed: %q", out.String())
			}
			b, _ := os.ReadFile(filepath.Join(site, "gallery", "index.json"))
			var entries []gallery.Entry
			if err := json.Unmarshal(b, &entries); err != nil {
				t.Fatal(err)
			}
			count := map[string]int{}
			for _, e := range entries {
				count[e.Model]++
				if e.Model != "" {
					if _, err := os.Stat(filepath.Join(site, "gallery", e.File)); err != nil {
						t.Error(err)
					}
					if strings.Contains(e.Source, "broken") {
						t.Errorf("the bad file made it in: %+v", e)
					}
				}
			}
			if count[""] != 1 {
				t.Errorf("the MNIST samples must stay: %v", count)
			}
			for _, w := range tc.want {
				if count[w.model] != w.n {
					t.Errorf("%s: %d samples, want %d (%v)", w.model, count[w.model], w.n, count)
				}
			}
		})
	}
}
func TestPrecompressAndServeGzip(t *testing.T) {
	dir := t.TempDir()
	big := []byte(strings.Repeat("ganomaly ", 2000)) // 18 kB, compresses well
	os.WriteFile(filepath.Join(dir, "app.wasm"), big, 0o644)
	os.WriteFile(filepath.Join(dir, "small.js"), []byte("x"), 0o644)
	os.WriteFile(filepath.Join(dir, "img.png"), big, 0o644)
	if err := precompress(dir); err != nil {
		t.Fatal(err)
	}
	for f, want := range map[string]bool{"app.wasm.gz": true, "small.js.gz": false, "img.png.gz": false} {
		if _, err := os.Stat(filepath.Join(dir, f)); (err == nil) != want {
			t.Errorf("%s exists: %v, want %v", f, err == nil, want)
		}
	}
	if paths, _, _ := listWeb(dir); strings.Contains(strings.Join(paths, ","), ".gz") {
		t.Errorf("the service worker must not list .gz files: %v", paths)
	}
	mime.AddExtensionType(".wasm", "application/wasm")
	srv := gzipFiles(dir, http.FileServer(http.Dir(dir)))
	tests := []struct {
		path, accept, wantEnc, wantType string
	}{
		{"/app.wasm", "gzip, br", "gzip", "application/wasm"},
		{"/app.wasm", "", "", "application/wasm"},
		{"/small.js", "gzip", "", ""},
	}
	for _, tc := range tests {
		req := httptest.NewRequest("GET", tc.path, nil)
		if tc.accept != "" {
			req.Header.Set("Accept-Encoding", tc.accept)
		}
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, req)
		if rec.Code != 200 || rec.Header().Get("Content-Encoding") != tc.wantEnc {
			t.Errorf("%s (Accept-Encoding %q): status %d, encoding %q, want %q", tc.path, tc.accept, rec.Code, rec.Header().Get("Content-Encoding"), tc.wantEnc)
			continue
		}
		if tc.wantType != "" && rec.Header().Get("Content-Type") != tc.wantType {
			t.Errorf("%s: Content-Type %q, want %q", tc.path, rec.Header().Get("Content-Type"), tc.wantType)
		}
		body := rec.Body.Bytes()
		if tc.wantEnc == "gzip" {
			zr, err := gzip.NewReader(bytes.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			body, _ = io.ReadAll(zr)
		}
		if tc.path == "/app.wasm" && !bytes.Equal(body, big) {
			t.Errorf("%s (Accept-Encoding %q): body differs from the file", tc.path, tc.accept)
		}
	}
}

func TestGalleryInPage(t *testing.T) {
	for _, tc := range []struct {
		name   string
		sizes  []int
		inPage bool
	}{
		{"small", []int{300, 400}, true},
		{"at the limit", []int{maxGalleryInPage / 2, maxGalleryInPage / 2}, true},
		{"too big", []int{maxGalleryInPage, 1}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			web := t.TempDir()
			if err := os.MkdirAll(filepath.Join(web, "gallery", "m"), 0o755); err != nil {
				t.Fatal(err)
			}
			var items []ui.GalleryItem
			for i, n := range tc.sizes {
				f := "m/" + string(rune('a'+i)) + ".png"
				if err := os.WriteFile(filepath.Join(web, "gallery", f), bytes.Repeat([]byte{byte(i + 1)}, n), 0o644); err != nil {
					t.Fatal(err)
				}
				items = append(items, ui.GalleryItem{File: f})
			}
			if err := readGallery(web, items); err != nil {
				t.Fatal(err)
			}
			galleryInPage(items)
			for i, it := range items {
				file := bytes.Repeat([]byte{byte(i + 1)}, tc.sizes[i])
				want := ""
				if tc.inPage {
					want = base64.StdEncoding.EncodeToString(file)
				}
				if !bytes.Equal(it.Bytes, file) || it.Data != want {
					t.Errorf("%s: %d bytes, Data of %d chars, want %d", it.File, len(it.Bytes), len(it.Data), len(want))
				}
			}
		})
	}
	if err := readGallery(t.TempDir(), []ui.GalleryItem{{File: "missing.png"}}); err == nil {
		t.Error("a missing gallery file must fail")
	}
}
