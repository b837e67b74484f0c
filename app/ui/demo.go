package ui

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"log/slog"
	"math"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/ganomaly-go/ganomaly/modelfile"
	"github.com/maxence-charriere/go-app/v9/pkg/app"
)

// Register declares the page's routes. Call it from both the wasm program
// and the static-site generator so that both render the same tree.
func Register() {
	app.Route("/", &Demo{})
}

// BundledModel is one entry of web/models/index.json, written by the site
// generator from each bundled model file's metadata.
type BundledModel struct {
	File    string  `json:"file"` // relative to web/models/
	Name    string  `json:"name"`
	Dataset string  `json:"dataset"`
	AUROC   float64 `json:"auroc"` // 0 when not measured
	ISize   int     `json:"isize"`
	NC      int     `json:"nc"`
	Bytes   int     `json:"bytes"`
	Default bool    `json:"default"`
	Random  bool    `json:"random"` // random weights (a placeholder)
}

// GalleryItem is one sample image (web/gallery/index.json) with its bytes,
// fetched at start so that scoring needs no network.
type GalleryItem struct {
	File    string `json:"file"`
	Dataset string `json:"dataset"`
	Class   string `json:"class"`
	Bytes   []byte `json:"-"`
	URL     string `json:"-"` // data URL of the original file
}

// Views of the page.
const (
	viewSingle = "single"
	viewBatch  = "batch"
	viewLab    = "lab"
)

// Demo is the whole page: model picker, input, single-image view, batch view
// and lab. Its fields are its state; Render draws them.
type Demo struct {
	app.Compo

	view  string
	large bool // projector mode: larger type

	models     []BundledModel
	sess       *Session
	modelBusy  string
	ready      bool
	startError string

	gallery []GalleryItem

	err       string // the message for the last bad input (data-testid=error)
	busy      string // what is running, shown with progress
	cur       *Analysis
	threshold float64
	userSetT  bool
	tLo, tHi  float64 // the threshold slider's range, as last drawn

	pool     *Pool
	poolNote string
	batch    *BatchView // the batch view, with its own state

	drawn   bool // the canvas has been cleared to black
	drawing bool
	lastX   float64
	lastY   float64

	lab labState

	mountCtx    app.Context // the component's own context, for updates from goroutines
	removePaste func()
	removeDraw  func()
	started     time.Time
}

// OnMount loads the default model, the gallery and the workers, then marks
// <body data-ready="true">.
func (d *Demo) OnMount(ctx app.Context) {
	d.started = time.Now()
	d.mountCtx = ctx
	d.view = viewSingle
	d.threshold = math.NaN()
	d.lab.layer = -1
	d.removePaste = app.Window().AddEventListener("paste", d.onPaste)
	d.removeDraw = d.listenDrawing(ctx)
	ctx.Async(func() { d.start(ctx) })
}

// OnDismount removes the window listeners.
func (d *Demo) OnDismount() {
	if d.removePaste != nil {
		d.removePaste()
	}
	if d.removeDraw != nil {
		d.removeDraw()
	}
}

// dispatch runs fn on the UI goroutine and redraws the page. It goes through
// the component's own context: an event's context belongs to the element
// that fired it, and updates sent through it are dropped once that element
// has been replaced (the "Score all" button of an empty batch view, say).
func (d *Demo) dispatch(fn func(app.Context)) {
	d.mountCtx.Dispatch(fn)
}

func (d *Demo) start(ctx app.Context) {
	fail := func(err error) {
		slog.Error("start", "err", err)
		d.dispatch(func(ctx app.Context) { d.startError = err.Error() })
	}
	idx, err := fetchBytes(ctx.ResolveStaticResource("/web/models/index.json"))
	if err != nil {
		fail(fmt.Errorf("cannot load the list of bundled models: %w", err))
		return
	}
	var models []BundledModel
	if err := json.Unmarshal(idx, &models); err != nil || len(models) == 0 {
		fail(fmt.Errorf("web/models/index.json is unreadable or empty (%v): rebuild the site with make site", err))
		return
	}
	def := models[0]
	for _, m := range models {
		if m.Default {
			def = m
		}
	}
	d.dispatch(func(ctx app.Context) { d.models = models; d.modelBusy = "loading " + def.Name + "…" })

	// The gallery, the model and the worker pool load side by side.
	galleryDone := make(chan []GalleryItem, 1)
	go func() { galleryDone <- d.loadGallery(ctx) }()
	poolDone := make(chan *Pool, 1)
	go func() {
		n := app.Window().Get("navigator").Get("hardwareConcurrency").Int()
		n = max(1, min(n, MaxWorkers))
		p, err := StartPool(n, ctx.ResolveStaticResource("/web/worker.js"), ctx.ResolveStaticResource("/web/worker.wasm"))
		if err != nil {
			slog.Warn("no worker pool; batches run on the page", "err", err)
			d.dispatch(func(ctx app.Context) {
				d.poolNote = "Web Workers unavailable (" + err.Error() + "): batches run on the page, one image at a time."
			})
		}
		poolDone <- p
	}()
	b, err := fetchBytes(ctx.ResolveStaticResource("/web/models/" + def.File))
	if err != nil {
		fail(err)
		return
	}
	sess, err := LoadSession(def.File, b)
	if err != nil {
		fail(err)
		return
	}
	gal := <-galleryDone
	pool := <-poolDone
	if pool != nil {
		if err := pool.Load(b); err != nil {
			slog.Warn("workers cannot load the model", "err", err)
			pool = nil
		}
	}
	d.dispatch(func(ctx app.Context) {
		d.gallery = gal
		d.pool = pool
		d.setSession(sess)
		d.modelBusy = ""
		d.ready = true
		d.exposeBench()
		setBodyData("ready", "true")
		slog.Info("ready", "ms", time.Since(d.started).Milliseconds(), "workers", pool.sizeOrZero())
	})
}

func (p *Pool) sizeOrZero() int {
	if p == nil {
		return 0
	}
	return p.Size()
}

func (d *Demo) loadGallery(ctx app.Context) []GalleryItem {
	base := ctx.ResolveStaticResource("/web/gallery/")
	idx, err := fetchBytes(base + "index.json")
	if err != nil {
		slog.Warn("no gallery", "err", err)
		return nil
	}
	var items []GalleryItem
	if err := json.Unmarshal(idx, &items); err != nil {
		slog.Warn("gallery index", "err", err)
		return nil
	}
	out := items[:0]
	for _, it := range items {
		b, err := fetchBytes(base + it.File)
		if err != nil {
			slog.Warn("gallery image", "err", err)
			continue
		}
		it.Bytes = b
		it.URL = "data:image/png;base64," + b64(b)
		out = append(out, it)
	}
	return out
}

// setSession switches to a loaded model: threshold from its calibration,
// the current image re-scored, the batch cleared.
func (d *Demo) setSession(s *Session) {
	d.sess = s
	d.threshold = s.DefaultThreshold()
	d.userSetT = false
	if math.IsNaN(d.threshold) {
		d.threshold = 0
	}
	d.batchView().reset()
	d.lab = labState{layer: -1}
	if d.cur != nil && d.cur.Source != nil {
		a, err := s.AnalyzeBytes(d.cur.Name, d.cur.Source)
		if err != nil {
			d.cur, d.err = nil, err.Error()
		} else {
			d.cur = a
		}
	} else {
		d.cur = nil
	}
}

// galleryLabel is "normal", "abnormal" or "" for a gallery item under the
// current model.
func (d *Demo) galleryLabel(it GalleryItem) string {
	if d.sess == nil {
		return ""
	}
	return ClassLabel(d.sess.Meta, it.Dataset, it.Class)
}

// GalleryCaption explains the sample images shown for a model: coloured by
// whether the model saw their class in training, or, when none of them comes
// from the model's own dataset (a model trained on a folder of your images),
// that they are only foreign examples.
func GalleryCaption(meta modelfile.Metadata, items []GalleryItem) string {
	if len(items) == 0 {
		return ""
	}
	var names []string
	for _, it := range items {
		if ClassLabel(meta, it.Dataset, it.Class) != "" {
			return "Sample images from the test set; green = a class the model was trained on, red = the class it never saw."
		}
		if n := strings.ToUpper(it.Dataset); !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	return "Sample images from " + strings.Join(names, " and ") + ", not from the images this model was trained on, so how it scores them says little: drop your own images to judge it."
}

// galleryFor lists the gallery items that suit the current model (same
// dataset, or every item when the model does not name one).
func (d *Demo) galleryFor() []GalleryItem {
	if d.sess == nil {
		return nil
	}
	var out []GalleryItem
	ds := ""
	if d.sess.Meta.Dataset != nil {
		ds = d.sess.Meta.Dataset.Name
	}
	for _, it := range d.gallery {
		if strings.EqualFold(ds, it.Dataset) {
			out = append(out, it)
		}
	}
	if len(out) == 0 {
		// The model names no dataset we have samples of: offer them all.
		return d.gallery
	}
	return out
}

// scoreOne analyses one image on the page (an image takes tens of
// milliseconds) and shows it in the single-image view.
func (d *Demo) scoreOne(ctx app.Context, name string, b []byte) {
	if d.sess == nil {
		d.err = "The model is still loading; try again in a moment."
		return
	}
	a, err := d.sess.AnalyzeBytes(name, b)
	if err != nil {
		d.err = err.Error()
		return
	}
	d.err = ""
	d.cur = a
	d.view = viewSingle
	d.lab.reset()
	if !d.userSetT && !d.sess.HasCalibration() && d.threshold == 0 {
		// Leave an uncalibrated model's threshold at 0 until the user moves it.
		d.threshold = 0
	}
}

// takeFiles handles files from the input, a drop or the clipboard: one file
// goes to the single-image view, several to the batch view.
//
// A folder (folder picker) always goes to the batch view, and only its image
// files are taken (a folder may hold notes, .DS_Store and the like).
func (d *Demo) takeFiles(ctx app.Context, files app.Value, folder bool) {
	// A copy taken now: the input is cleared after the event. The names are
	// read on a goroutine that pauses every few hundred files, so that a
	// folder of 10,000 images does not freeze the page while it is listed.
	arr := app.Window().Get("Array").Call("from", files)
	ctx.Async(func() {
		n := arr.Length()
		list, names := make([]app.Value, n), make([]string, n)
		for i := range n {
			list[i] = arr.Index(i)
			names[i] = fileName(list[i])
			if i%listChunk == listChunk-1 {
				time.Sleep(time.Millisecond)
			}
		}
		d.dispatch(func(ctx app.Context) { d.takeFileList(ctx, list, names, folder) })
	})
}

// listChunk is the number of files listed between two pauses.
const listChunk = 500

// takeFileList is takeFiles for files with known names (paths inside a
// dropped folder).
func (d *Demo) takeFileList(ctx app.Context, all []app.Value, allNames []string, folder bool) {
	var list []app.Value
	var names []string
	for i, f := range all {
		if folder && !isImageName(allNames[i]) {
			continue
		}
		list, names = append(list, f), append(names, allNames[i])
	}
	n := len(list)
	if n == 0 {
		if folder {
			d.err = "The folder holds no PNG, JPEG, GIF, BMP, TIFF or WebP images."
		}
		return
	}
	if n == 1 && !folder {
		ctx.Async(func() {
			b, err := readFile(list[0])
			d.dispatch(func(ctx app.Context) {
				if err != nil {
					d.err = err.Error()
					return
				}
				d.scoreOne(ctx, names[0], b)
			})
		})
		return
	}
	// The batch view takes the File objects themselves: the workers read
	// them, so the page never holds a batch's files.
	srcs := make([]batchSource, n)
	labels := make([]string, n)
	for i := range list {
		srcs[i] = batchSource{blob: list[i]}
		labels[i] = LabelFromPath(names[i])
	}
	if d.sess == nil {
		d.err = "The model is still loading; try again in a moment."
		return
	}
	d.err = ""
	d.view = viewBatch
	d.batchView().start(names, labels, srcs)
}

// batchView is the batch view's component, made on first use.
func (d *Demo) batchView() *BatchView {
	if d.batch == nil {
		d.batch = newBatchView(d)
	}
	return d.batch
}

// batchEnv, sampleBatch and openRow are what the batch view asks of the page
// (batchHost).
func (d *Demo) batchEnv() (*Session, *Pool, float64) { return d.sess, d.pool, d.threshold }

func (d *Demo) sampleBatch() (names, labels []string, srcs []batchSource) {
	for _, it := range d.galleryFor() {
		names = append(names, "gallery/"+it.File)
		labels = append(labels, d.galleryLabel(it))
		srcs = append(srcs, batchSource{bytes: it.Bytes})
	}
	return names, labels, srcs
}

func (d *Demo) openRow(ctx app.Context, name string, b []byte, err error) {
	// The page, not the batch view, changes: dispatch through its context.
	d.dispatch(func(ctx app.Context) {
		if err != nil {
			d.err = err.Error()
			return
		}
		d.scoreOne(ctx, name, b)
	})
}

// isImageName reports a file name with an image extension the decoders know.
func isImageName(name string) bool {
	switch strings.ToLower(path.Ext(name)) {
	case ".png", ".jpg", ".jpeg", ".gif", ".bmp", ".tif", ".tiff", ".webp":
		return true
	}
	return false
}

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }
