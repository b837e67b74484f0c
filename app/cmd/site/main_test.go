package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ganomaly-go/ganomaly/engine"
	"github.com/ganomaly-go/ganomaly/modelfile"
)

func writeModel(t *testing.T, path string, ds *modelfile.Dataset, test *modelfile.TestResult) {
	t.Helper()
	f, err := engine.Fold(engine.Init(modelfile.Arch{ISize: 16, NC: 1, NZ: 4, NGF: 4}, 1))
	if err != nil {
		t.Fatal(err)
	}
	g := modelfile.New(f.Meta)
	g.Meta.Dataset = ds
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
	tests := []struct {
		def      string
		wantDef  string
		wantName string
	}{
		{"mnist.safetensors", "mnist.safetensors", "mnist (anomaly: 2)"},
		{"missing.safetensors", "a.safetensors", "a [random weights]"}, // falls back to the first
	}
	for _, tc := range tests {
		idx, err := modelIndex(dir, tc.def)
		if err != nil {
			t.Fatal(err)
		}
		if len(idx) != 2 {
			t.Fatalf("%d models, want 2", len(idx))
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
	goApp := "<head>\n  <meta property=\"og:url\" content=\"http://127.0.0.1:41234/\">\n" +
		"  <meta name=\"viewport\" content=\"width=device-width, initial-scale=1, maximum-scale=1, user-scalable=0, viewport-fit=cover\">\n  <title>x</title>"
	os.WriteFile(p, []byte(goApp), 0o644)
	if err := fixIndex(p); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(p)
	if s := string(b); strings.Contains(s, "og:url") || !strings.Contains(s, "<title>x</title>") ||
		strings.Contains(s, "user-scalable") || strings.Contains(s, "maximum-scale") || !strings.Contains(s, zoomableViewport) {
		t.Errorf("got %q", b)
	}
	// The same tags with their attributes the other way round, as go-app
	// writes them as often as not.
	os.WriteFile(p, []byte("<head>\n  <meta content=\"http://127.0.0.1:41234/\" property=\"og:url\">\n"+
		"  <meta content=\"width=device-width, initial-scale=1, maximum-scale=1, user-scalable=0, viewport-fit=cover\" name=\"viewport\">\n  <title>x</title>"), 0o644)
	if err := fixIndex(p); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(p); strings.Contains(string(b), "og:url") || strings.Contains(string(b), "user-scalable") || strings.Count(string(b), `name="viewport"`) != 1 {
		t.Errorf("attributes in the other order: got %q", b)
	}
	os.WriteFile(p, []byte("<html><head><title>x</title>"), 0o644)
	if err := fixIndex(p); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(p); !strings.Contains(string(b), "<head>\n"+zoomableViewport+"<title>") {
		t.Errorf("no viewport tag: ours must be added, got %q", b)
	}
	os.WriteFile(p, []byte("404 page not found"), 0o644)
	if err := fixIndex(p); err == nil || !strings.Contains(err.Error(), "404 page not found") {
		t.Errorf("a page that is not go-app's must be reported with its start: %v", err)
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
