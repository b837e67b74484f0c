// Command site writes the demo's static website and can serve it.
//
//	go run ./app/cmd/site -out build/site [-prefix /ganomaly] [-wasm build/wasm] [-serve localhost:8080]
//
// It copies web/ (styles, icons, gallery, worker.js and the bundled models in
// web/models/*.safetensors) into OUT/web, writes OUT/web/models/index.json
// from each model's metadata, copies the wasm programs built by
// scripts/site.sh (app.wasm, which the page's Web Workers run too, and the
// Train view's trainer.wasm) from -wasm, writes the early verdicts
// (web/gallery/early.json), runs
// app.GenerateStaticWebsite, and replaces go-app's wasm_exec.js with the one
// of the Go toolchain that built the wasm (they must match), followed by the
// loader of the engine's WebAssembly SIMD kernels (engine/wasmsimd).
//
// -gallery DIR makes the labelled folder DIR (0.normal/, 1.abnormal/) the
// default model's gallery, and a bundled NAME.safetensors with a folder
// NAME.gallery/ beside it gets that one (package app/gallery picks the
// samples and writes them to web/gallery/NAME.gallery/).
//
// -prefix makes the site work under a sub-path (GitHub Pages project sites:
// https://user.github.io/REPO/ needs -prefix /REPO). -serve serves OUT on
// that address (under the prefix) and prints the URL.
package main

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strings"

	"github.com/ganomaly-go/ganomaly/app/gallery"
	"github.com/ganomaly-go/ganomaly/app/ui"
	"github.com/ganomaly-go/ganomaly/engine/wasmsimd"
	"github.com/ganomaly-go/ganomaly/modelfile"
	"github.com/maxence-charriere/go-app/v9/pkg/app"
)

func main() {
	out := flag.String("out", "build/site", "output folder (replaced)")
	web := flag.String("web", "web", "source folder of the static assets")
	wasmDir := flag.String("wasm", "build/wasm", "folder holding app.wasm and trainer.wasm")
	prefix := flag.String("prefix", os.Getenv("SITE_PREFIX"), "URL path prefix, e.g. /ganomaly (default $SITE_PREFIX)")
	models := flag.String("models", "", "extra folder of model files to bundle besides WEB/models (scripts/site.sh puts a random-weight placeholder here when WEB/models has none)")
	def := flag.String("default", "mnist.safetensors", "file name of the default model in web/models")
	galleryDir := flag.String("gallery", "", "labelled folder (0.normal/, 1.abnormal/) that becomes the default model's gallery; any bundled NAME.safetensors may also have its own beside it as NAME.gallery/")
	galleryN := flag.Int("gallery-count", gallery.DefaultCount, "samples picked from each gallery folder")
	serve := flag.String("serve", "", "after writing, serve the site on this address (e.g. localhost:8080)")
	noBuild := flag.Bool("no-build", false, "with -serve: serve OUT as it is, without writing it")
	flag.Parse()
	p := "/" + strings.Trim(*prefix, "/")
	if p == "/" {
		p = ""
	}
	if !*noBuild {
		if err := build(*out, *web, *wasmDir, *models, p, *def, *galleryDir, *galleryN); err != nil {
			slog.Error("site", "err", err)
			os.Exit(1)
		}
		fmt.Printf("site written to %s (prefix %q)\n", *out, p)
	}
	if *serve != "" {
		if err := serveDir(*out, p, *serve); err != nil {
			slog.Error("serve", "err", err)
			os.Exit(1)
		}
	}
}

func build(out, web, wasmDir, extraModels, prefix, def, galleryDir string, galleryN int) error {
	if _, err := os.Stat(filepath.Join(wasmDir, "app.wasm")); err != nil {
		return fmt.Errorf("%s: %w (build it first: scripts/site.sh does)", filepath.Join(wasmDir, "app.wasm"), err)
	}
	tmp := out + ".tmp"
	if err := os.RemoveAll(tmp); err != nil {
		return err
	}
	if err := copyTree(web, filepath.Join(tmp, "web")); err != nil {
		return err
	}
	// One program for the page and its Web Workers (wasm/app).
	if err := copyFile(filepath.Join(wasmDir, "app.wasm"), filepath.Join(tmp, "web", "app.wasm")); err != nil {
		return err
	}
	// The Train view's trainer, loaded only when that view is opened.
	if err := copyFile(filepath.Join(wasmDir, "trainer.wasm"), filepath.Join(tmp, "web", "train", "trainer.wasm")); err != nil {
		return fmt.Errorf("%w (build wasm/trainworker first: scripts/site.sh does)", err)
	}
	if extraModels != "" {
		extra, err := filepath.Glob(filepath.Join(extraModels, "*.safetensors"))
		if err != nil {
			return err
		}
		for _, f := range extra {
			if err := copyFile(f, filepath.Join(tmp, "web", "models", filepath.Base(f))); err != nil {
				return err
			}
		}
	}
	models, err := modelIndex(filepath.Join(tmp, "web", "models"), def)
	if err != nil {
		return err
	}
	js, err := json.MarshalIndent(models, "", " ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(tmp, "web", "models", "index.json"), js, 0o644); err != nil {
		return err
	}
	var modelDirs []string
	for _, d := range []string{filepath.Join(web, "models"), extraModels} {
		if d != "" {
			modelDirs = append(modelDirs, d)
		}
	}
	if err := galleries(filepath.Join(tmp, "web", "gallery"), models, modelDirs, galleryDir, galleryN, os.Stderr); err != nil {
		return err
	}
	site := ui.SiteData{Models: models, DefaultModel: def}
	for _, m := range models {
		if m.Default {
			site.DefaultModel = m.File
		}
	}
	if b, err := os.ReadFile(filepath.Join(tmp, "web", "gallery", "index.json")); err == nil {
		if err := json.Unmarshal(b, &site.Gallery); err != nil {
			return fmt.Errorf("web/gallery/index.json: %w", err)
		}
	}
	if err := readGallery(filepath.Join(tmp, "web"), site.Gallery); err != nil {
		return err
	}
	galleryInPage(site.Gallery)
	if b, ok := ui.GallerySprite(site.Gallery); ok {
		site.Sprite = base64.StdEncoding.EncodeToString(b)
	}
	if site.HasEarly, err = earlyResults(filepath.Join(tmp, "web"), site); err != nil {
		return err
	}
	// Everything under web/ is cached by the service worker for offline
	// use; the version is the hash of those files, so any change updates it.
	cache, version, err := listWeb(filepath.Join(tmp, "web"))
	if err != nil {
		return err
	}
	if site.Styles, err = pageStyles(filepath.Join(tmp, "web", "app.css")); err != nil {
		return err
	}
	ui.Register()
	h := ui.Handler(prefix, version, cache, site)
	if err := app.GenerateStaticWebsite(tmp, h); err != nil {
		return fmt.Errorf("generating the static website: %w", err)
	}
	if err := fixIndex(filepath.Join(tmp, "index.html"), prefix); err != nil {
		return err
	}
	appJS, err := os.ReadFile(filepath.Join(tmp, "app.js"))
	if err != nil {
		return err
	}
	if appJS, err = ui.PatchAppJS(appJS); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(tmp, "app.js"), appJS, 0o644); err != nil {
		return err
	}
	// go-app embeds a wasm_exec.js of its own time; the loader must match
	// the Go that compiled the wasm.
	goroot := runtime.GOROOT()
	if env := os.Getenv("GOROOT"); env != "" {
		goroot = env
	}
	src := filepath.Join(goroot, "lib", "wasm", "wasm_exec.js")
	if _, err := os.Stat(src); err != nil {
		src = filepath.Join(goroot, "misc", "wasm", "wasm_exec.js")
	}
	goJS, err := os.ReadFile(src)
	if err != nil {
		return fmt.Errorf("reading Go's wasm_exec.js: %w", err)
	}
	// Then the loader of the SIMD kernels that app.wasm and trainer.wasm
	// import (built with the wasmsimd tag): every page and worker that
	// loads wasm_exec.js has them, go-app's own loader included.
	goJS = append(append(goJS, '\n'), wasmsimd.LoaderJS()...)
	if err := os.WriteFile(filepath.Join(tmp, "wasm_exec.js"), goJS, 0o644); err != nil {
		return fmt.Errorf("writing wasm_exec.js: %w", err)
	}
	if err := precompress(tmp); err != nil {
		return err
	}
	if err := os.RemoveAll(out); err != nil {
		return err
	}
	return os.Rename(tmp, out)
}

// maxGalleryInPage is the most gallery bytes written into the page itself
// (30 MNIST samples are about 8 KB): then the page requests no image before
// its first paint, where 30 requests cost the page's thread about 80 ms.
const maxGalleryInPage = 64 << 10

// readGallery sets every item's Bytes from its file under web/gallery.
func readGallery(web string, items []ui.GalleryItem) error {
	for i, it := range items {
		b, err := os.ReadFile(filepath.Join(web, "gallery", filepath.FromSlash(it.File)))
		if err != nil {
			return fmt.Errorf("the gallery: %w", err)
		}
		items[i].Bytes = b
	}
	return nil
}

// galleryInPage sets every item's Data (its Bytes, base64) when all files
// together are at most maxGalleryInPage bytes.
func galleryInPage(items []ui.GalleryItem) {
	total := 0
	for _, it := range items {
		total += len(it.Bytes)
	}
	if total > maxGalleryInPage {
		return
	}
	for i := range items {
		items[i].Data = base64.StdEncoding.EncodeToString(items[i].Bytes)
	}
}

// earlyResults writes web/gallery/early.json: the result panels of the
// default model's gallery samples (ui.BuildEarlyResults), which the page
// shows for a click before its model has loaded. false when there is no
// gallery for the default model. The items need their Bytes (readGallery).
func earlyResults(web string, site ui.SiteData) (bool, error) {
	if len(site.Gallery) == 0 {
		return false, nil
	}
	b, err := os.ReadFile(filepath.Join(web, "models", site.DefaultModel))
	if err != nil {
		return false, err
	}
	early, err := ui.BuildEarlyResults(site.DefaultModel, b, site.Gallery)
	if err != nil {
		return false, fmt.Errorf("scoring the gallery with %s: %w", site.DefaultModel, err)
	}
	if len(early.Results) == 0 {
		return false, nil
	}
	var js bytes.Buffer
	enc := json.NewEncoder(&js)
	enc.SetEscapeHTML(false) // HTML as it is: a third of the size of \u003c escapes
	if err := enc.Encode(early); err != nil {
		return false, err
	}
	fmt.Fprintf(os.Stderr, "early verdicts of %s: %d samples, web/gallery/early.json %d KB\n", site.DefaultModel, len(early.Results), js.Len()/1024)
	return true, os.WriteFile(filepath.Join(web, "gallery", "early.json"), js.Bytes(), 0o644)
}

var (
	// go-app writes a tag's attributes in no fixed order.
	ogURL    = regexp.MustCompile(`\s*<meta (?:property="og:url" content="http://127\.0\.0\.1:[0-9]+[^"]*"|content="http://127\.0\.0\.1:[0-9]+[^"]*" property="og:url")>`)
	viewport = regexp.MustCompile(`<meta (?:name="viewport" content="[^"]*"|content="[^"]*" name="viewport")>`)
)

// zoomableViewport replaces go-app's viewport (maximum-scale=1,
// user-scalable=0): people who need to zoom, and a projector in class,
// must be able to.
const zoomableViewport = `<meta name="viewport" content="width=device-width, initial-scale=1, viewport-fit=cover">`

// pageStyles reads the stylesheet the page carries in its head (see
// ui.SiteData.Styles).
func pageStyles(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("the page's stylesheet: %w", err)
	}
	if bytes.Contains(bytes.ToLower(b), []byte("</style")) {
		return "", fmt.Errorf("%s holds \"</style\", which would end the page's <style> element: take it out", path)
	}
	return string(b), nil
}

// fixIndex corrects four things in the index.html GenerateStaticWebsite
// writes: its og:url is the address of the temporary local server it renders
// through (a static site does not know its own URL: dropped); its viewport
// forbids zooming; it links go-app's app.css, whose rules style only
// go-app's own loader, which this page hides, while holding up the first
// paint by a request (dropped; prefix is the site's URL path); and its
// deferred scripts run before the page answers a click (boot.js loads them
// later, ui.DeferScripts).
func fixIndex(path, prefix string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	b = ogURL.ReplaceAll(b, nil)
	goappCSS := regexp.MustCompile(`<link [^>]*href="` + regexp.QuoteMeta(strings.TrimSuffix(prefix, "/")+"/app.css") + `"[^>]*>\n?`)
	b = goappCSS.ReplaceAll(b, nil)
	switch i := bytes.Index(b, []byte("<head>")); {
	case viewport.Match(b):
		b = viewport.ReplaceAll(b, []byte(zoomableViewport))
	case i >= 0:
		// go-app wrote no viewport tag (another version): add ours.
		i += len("<head>")
		b = append(b[:i:i], append([]byte("\n"+zoomableViewport), b[i:]...)...)
	default:
		head := b[:min(len(b), 200)]
		return fmt.Errorf("%s is not the page go-app renders (%d bytes, starting %q): run the build again", path, len(b), head)
	}
	if b, err = ui.DeferScripts(b, prefix); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return os.WriteFile(path, b, 0o644)
}

// galleries builds each bundled model's own gallery into galDir (web/gallery
// of the site) and adds its samples to galDir/index.json: galleryDir for the
// default model, and NAME.gallery/ found beside NAME.safetensors in one of
// modelDirs for any model. What a gallery folder left out is listed on w.
func galleries(galDir string, models []ui.BundledModel, modelDirs []string, galleryDir string, n int, w io.Writer) error {
	var index []gallery.Entry
	if b, err := os.ReadFile(filepath.Join(galDir, "index.json")); err == nil {
		if err := json.Unmarshal(b, &index); err != nil {
			return fmt.Errorf("%s: %w", filepath.Join(galDir, "index.json"), err)
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	built := 0
	for _, m := range models {
		name := strings.TrimSuffix(m.File, ".safetensors")
		var src []string
		for _, d := range modelDirs {
			if st, err := os.Stat(filepath.Join(d, name+".gallery")); err == nil && st.IsDir() {
				src = append(src, filepath.Join(d, name+".gallery"))
			}
		}
		if m.Default && galleryDir != "" {
			src = append(src, galleryDir)
		}
		switch len(src) {
		case 0:
			continue
		case 1:
		default:
			return fmt.Errorf("%s has %d galleries (%s): keep one", m.File, len(src), strings.Join(src, ", "))
		}
		mf, err := modelfile.Open(filepath.Join(galDir, "..", "models", m.File))
		if err != nil {
			return err
		}
		entries, skipped, err := gallery.Build(src[0], galDir, name+".gallery", m.File, mf.Meta, n)
		for _, s := range skipped {
			fmt.Fprintf(w, "gallery %s: left out %s\n", src[0], s)
		}
		if err != nil {
			return fmt.Errorf("the gallery of %s: %w", m.File, err)
		}
		counts := map[string]int{}
		for _, e := range entries {
			counts[e.Label]++
		}
		fmt.Fprintf(w, "gallery of %s: %d samples (%d normal, %d anomalous) from %s, %d file(s) left out\n",
			m.File, len(entries), counts[gallery.Normal], counts[gallery.Anomalous], src[0], len(skipped))
		index = append(index, entries...)
		built++
	}
	if galleryDir != "" && built == 0 {
		return fmt.Errorf("-gallery %s: no default model to give it to", galleryDir)
	}
	js, err := json.MarshalIndent(index, "", " ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(galDir, 0o755); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(galDir, "index.json"), append(js, '\n'), 0o644)
}

// modelIndex describes every bundled model for the picker.
func modelIndex(dir, def string) ([]ui.BundledModel, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.safetensors"))
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("no model in %s: put a model file there (make default-model, or ganomaly init for a random placeholder)", dir)
	}
	sort.Strings(files)
	var out []ui.BundledModel
	found := false
	for _, f := range files {
		mf, err := modelfile.Open(f)
		if err != nil {
			return nil, fmt.Errorf("bundled model: %w", err) // the error names the file
		}
		st, err := os.Stat(f)
		if err != nil {
			return nil, err
		}
		m := mf.Meta
		b := ui.BundledModel{
			File: filepath.Base(f), Name: strings.TrimSuffix(filepath.Base(f), ".safetensors"),
			ISize: m.Arch.ISize, NC: m.Arch.NC, Bytes: int(st.Size()),
			Default: filepath.Base(f) == def, Random: ui.IsRandomInit(m),
		}
		w := m.Words()
		b.Words = &w
		if m.Dataset != nil {
			b.Dataset = m.Dataset.Name
		}
		switch {
		case m.About != nil && m.About.Title != "":
			b.Name = m.About.Title + " (" + b.Name + ")"
		case m.Dataset != nil && len(m.Dataset.AbnormalClasses) > 0:
			b.Name += " (anomaly: " + m.Words().AbnormalName + ")"
		}
		if m.Calibration != nil && m.Calibration.Test != nil {
			b.AUROC = m.Calibration.Test.AUROC
		}
		if b.Random {
			b.Name += " [random weights]"
		}
		found = found || b.Default
		out = append(out, b)
	}
	if !found {
		out[0].Default = true
	}
	return out, nil
}

// listWeb returns the "/web/..." paths of every file under dir but web/train/
// (precached by the service worker) and a hash of all their contents.
func listWeb(dir string) ([]string, string, error) {
	var paths []string
	h := sha256.New()
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		if strings.HasPrefix(filepath.Base(rel), ".") || strings.HasSuffix(rel, ".gz") {
			return nil
		}
		// The Train view's files (trainer wasm, MNIST subset) are not
		// precached: the start of the site must not fetch them.
		if !strings.HasPrefix(rel, "train/") {
			paths = append(paths, "/web/"+rel)
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		io.WriteString(h, rel+"\x00")
		_, err = io.Copy(h, f)
		return err
	})
	sort.Strings(paths)
	return paths, hex.EncodeToString(h.Sum(nil))[:16], err
}

func copyTree(src, dst string) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		// Hidden files, and a bundled model's gallery folder (its source
		// images: the site gets the samples made from them).
		if rel != "." && (strings.HasPrefix(d.Name(), ".") || d.IsDir() && strings.HasSuffix(d.Name(), ".gallery") && filepath.Base(filepath.Dir(p)) == "models") {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		// Wasm files in web/ are build outputs of older layouts: the
		// fresh ones come from -wasm.
		if strings.HasSuffix(d.Name(), ".wasm") {
			return nil
		}
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		return copyFile(p, target)
	})
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return fmt.Errorf("copying %s: %w", src, err)
	}
	return out.Close()
}

// precompress writes FILE.gz (gzip -9) beside every file of the site that
// is worth it (at least 4 KiB and a tenth smaller compressed; PNGs are
// compressed already), for static hosts that serve precompressed files
// (nginx gzip_static, Caddy precompressed, serveDir below). .gz files are
// left out of the service worker's list.
func precompress(dir string) error {
	return filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasSuffix(p, ".gz") || strings.HasSuffix(p, ".png") {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil || len(b) < 4<<10 {
			return err
		}
		var buf bytes.Buffer
		zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
		if err != nil {
			return err
		}
		if _, err := zw.Write(b); err != nil {
			return err
		}
		if err := zw.Close(); err != nil {
			return err
		}
		if buf.Len() > len(b)*9/10 {
			return nil
		}
		return os.WriteFile(p+".gz", buf.Bytes(), 0o644)
	})
}

// gzipFiles serves FILE.gz with Content-Encoding: gzip in place of FILE
// when the client accepts gzip and the site has one (see precompress).
func gzipFiles(dir string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := r.URL.Path
		if strings.HasSuffix(p, "/") {
			p += "index.html"
		}
		gz := filepath.Join(dir, filepath.FromSlash(path.Clean("/"+p))) + ".gz"
		if !strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") || strings.HasSuffix(p, ".gz") {
			next.ServeHTTP(w, r)
			return
		}
		f, err := os.Open(gz)
		if err != nil {
			next.ServeHTTP(w, r)
			return
		}
		defer f.Close()
		st, err := f.Stat()
		if err != nil {
			next.ServeHTTP(w, r)
			return
		}
		if t := mime.TypeByExtension(path.Ext(p)); t != "" {
			w.Header().Set("Content-Type", t)
		}
		w.Header().Set("Content-Encoding", "gzip")
		w.Header().Add("Vary", "Accept-Encoding")
		http.ServeContent(w, r, p, st.ModTime(), f)
	})
}

// serveDir serves dir under prefix with the MIME types browsers insist on
// (application/wasm for instantiateStreaming) and no caching headers beyond
// the file server's own, and prints the URL.
func serveDir(dir, prefix, addr string) error {
	if _, err := os.Stat(filepath.Join(dir, "index.html")); err != nil {
		return fmt.Errorf("%s has no index.html: build the site first (make site)", dir)
	}
	mime.AddExtensionType(".wasm", "application/wasm")
	mime.AddExtensionType(".webmanifest", "application/manifest+json")
	mime.AddExtensionType(".js", "text/javascript")
	fsrv := gzipFiles(dir, http.FileServer(http.Dir(dir)))
	mux := http.NewServeMux()
	root := prefix + "/"
	mux.Handle(root, http.StripPrefix(prefix, fsrv))
	if prefix != "" {
		mux.Handle("/", http.RedirectHandler(root, http.StatusFound))
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listening on %s: %w (another demo running? try -serve localhost:0)", addr, err)
	}
	fmt.Printf("serving %s at http://%s%s\n", dir, ln.Addr(), root)
	err = http.Serve(ln, mux)
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}
