package ui

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/ganomaly-go/ganomaly/modelfile"
	"github.com/ganomaly-go/ganomaly/preprocess"
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
	// The model's words (modelfile.Metadata.Words), so that the page can
	// show them before the model itself is loaded.
	Words *modelfile.About `json:"words,omitempty"`
}

// GalleryItem is one sample image (web/gallery/index.json, written by the
// site generator; see package app/gallery) with its bytes, fetched at start
// so that scoring needs no network.
type GalleryItem struct {
	File    string `json:"file"`
	Dataset string `json:"dataset"`
	Class   string `json:"class"`
	Model   string `json:"model"`  // the bundled model whose own sample this is; "" for the MNIST samples
	Label   string `json:"label"`  // "normal" or "anomalous" for a model's own sample
	Source  string `json:"source"` // the original file, relative to its gallery folder
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
	curImages struct {
		of   *Analysis // the analysis urls were drawn from
		urls [4]string // x, x̂, heat map, overlay as data URLs
	}
	threshold float64
	userSetT  bool
	tLo, tHi  float64 // the threshold slider's range, as last drawn

	live bool   // mounted in the browser (false while pre-rendering: controls that need the Go program are disabled)
	pick string // gallery file clicked before the model was ready, scored when it is

	pool         *Pool
	poolNote     string
	poolStarting bool
	poolStarted  bool                // started, or failed (then pool is nil and batches run on the page)
	poolWaiting  []func(app.Context) // run once the pool has started
	verdictShown chan struct{}       // closed at the first verdict
	batch        *BatchView          // the batch view, with its own state

	drawn   bool // the canvas has been cleared to black
	drawing bool
	lastX   float64
	lastY   float64

	lab   labState
	train trainState

	mountCtx    app.Context // the component's own context, for updates from goroutines
	removePaste func()
	removeDraw  func()
	started     time.Time
}

// OnInit takes the site data (SiteData): the models and the gallery are
// drawn from the first render on, on the server side (the pre-rendered page)
// as in the browser, before anything is loaded.
func (d *Demo) OnInit() {
	d.view = viewSingle
	d.threshold = math.NaN()
	d.lab.layer = -1
	d.train.init()
	d.verdictShown = make(chan struct{})
	site, ok := siteData()
	if !ok {
		return
	}
	d.models = site.Models
	d.modelBusy = "loading " + defaultModel(site.Models).Name + "…"
	d.gallery = nil
	for _, it := range site.Gallery {
		it.URL = "/web/gallery/" + it.File
		d.gallery = append(d.gallery, it)
	}
}

// OnMount loads the default model and the gallery's images, then marks
// <body data-ready="true"> and scores the sample clicked before that, if
// any. The Web Workers start when the page is idle after that.
func (d *Demo) OnMount(ctx app.Context) {
	mark("mounted") // go-app has drawn the page (its first render replaces the pre-rendered one)
	d.live = true
	if e := app.Window().Get("ganomalyEarly"); e.Truthy() && e.Get("pick").Truthy() {
		d.pick = e.Get("pick").String()
	}
	app.Window().Set("ganomalyMounted", true)
	d.started = time.Now()
	d.mountCtx = ctx
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
	models, items := d.models, d.gallery
	if len(models) == 0 {
		// A page without site data: read the index files.
		idx, err := fetchBytes(ctx.ResolveStaticResource("/web/models/index.json"))
		if err != nil {
			fail(fmt.Errorf("cannot load the list of bundled models: %w", err))
			return
		}
		if err := json.Unmarshal(idx, &models); err != nil || len(models) == 0 {
			fail(fmt.Errorf("web/models/index.json is unreadable or empty (%v): rebuild the site with make site", err))
			return
		}
		d.dispatch(func(ctx app.Context) { d.models = models })
		items = nil
	}
	def := defaultModel(models)
	d.dispatch(func(ctx app.Context) { d.modelBusy = "loading " + def.Name + "…" })

	// The gallery's images and the model load side by side (boot.js has
	// started the model's download before the Go program ran). The Web
	// Workers start later (startPoolWhenIdle): they are needed for batches
	// only, and compiling them now would compete with the page for the cores.
	galleryDone := make(chan []GalleryItem, 1)
	go func() { galleryDone <- d.loadGallery(ctx, items) }()
	b, err := modelBytes(def.File, ctx.ResolveStaticResource("/web/models/"+def.File))
	if err != nil {
		fail(err)
		return
	}
	sess, err := LoadSession(def.File, b)
	if err != nil {
		fail(err)
		return
	}
	sess.Bundled = true
	mark("model-loaded")
	gal := <-galleryDone
	d.dispatch(func(ctx app.Context) {
		d.gallery = gal
		d.setSession(sess)
		d.modelBusy = ""
		d.ready = true
		d.exposeBench()
		setBodyData("ready", "true")
		mark("ready")
		slog.Info("ready", "ms", time.Since(d.started).Milliseconds())
		if d.pick != "" {
			for _, it := range d.galleryFor() {
				if it.File == d.pick {
					d.scoreOne(ctx, "gallery/"+it.File, it.Bytes)
				}
			}
			d.pick = ""
		}
	})
	d.startPoolWhenIdle()
}

// earlyGallery returns the gallery images boot.js has fetched (nil for one
// that failed), or nil when it has not fetched n of them.
func earlyGallery(n int) [][]byte {
	e := app.Window().Get("ganomalyEarly")
	if n == 0 || !e.Truthy() || !e.Get("gallery").Truthy() {
		return nil
	}
	arr, err := await(e.Get("gallery"))
	if err != nil || arr.Length() != n {
		return nil
	}
	out := make([][]byte, n)
	for i := range out {
		if v := arr.Index(i); v.Truthy() {
			out[i] = jsBytes(v)
		}
	}
	return out
}

// defaultModel is the entry marked default (the first one otherwise).
func defaultModel(models []BundledModel) BundledModel {
	for _, m := range models {
		if m.Default {
			return m
		}
	}
	return models[0]
}

// modelBytes returns the bytes of a bundled model: those boot.js has been
// downloading since the page started, when it is that file, else a fetch.
func modelBytes(file, url string) ([]byte, error) {
	if e := app.Window().Get("ganomalyEarly"); e.Truthy() && e.Get("model").Truthy() && e.Get("modelFile").String() == file {
		if buf, err := await(e.Get("model")); err == nil {
			return jsBytes(buf), nil
		}
		// Fetch again: its error says what went wrong.
	}
	return fetchBytes(url)
}

func (p *Pool) sizeOrZero() int {
	if p == nil {
		return 0
	}
	return p.Size()
}

// loadGallery fetches the bytes of the gallery's images (items, or those
// listed in web/gallery/index.json when items is empty) and returns a new
// slice with Bytes and a data URL set, so that showing and scoring them needs
// no network once the page is ready.
func (d *Demo) loadGallery(ctx app.Context, items []GalleryItem) []GalleryItem {
	base := ctx.ResolveStaticResource("/web/gallery/")
	if len(items) == 0 {
		idx, err := fetchBytes(base + "index.json")
		if err != nil {
			slog.Warn("no gallery", "err", err)
			return nil
		}
		if err := json.Unmarshal(idx, &items); err != nil {
			slog.Warn("gallery index", "err", err)
			return nil
		}
	}
	if early := earlyGallery(len(items)); early != nil {
		var out []GalleryItem
		for i, it := range items {
			if early[i] == nil {
				slog.Warn("gallery image", "file", it.File, "err", "could not be fetched")
				continue
			}
			it.Bytes = early[i]
			it.URL = "data:image/png;base64," + b64(it.Bytes)
			out = append(out, it)
		}
		return out
	}
	var out []GalleryItem
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
	switch {
	case it.Label == "normal":
		return "normal"
	case it.Label == "anomalous":
		return "abnormal"
	case d.sess == nil:
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
	if items[0].Model != "" {
		w := meta.Words()
		return "Sample images chosen for this model, labelled by their folders: green = normal (" + w.NormalName + "), red = anomalous (" + w.AbnormalName + ")."
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

// galleryFor lists the gallery items that suit the current model: a bundled
// model's own samples when it has some; otherwise the shared samples of the
// model's dataset, or, when it names none we have, all shared samples.
func (d *Demo) galleryFor() []GalleryItem {
	var ds, name string
	bundled := false
	switch {
	case d.sess != nil:
		if d.sess.Meta.Dataset != nil {
			ds = d.sess.Meta.Dataset.Name
		}
		name, bundled = d.sess.Name, d.sess.Bundled
	case len(d.models) > 0:
		def := defaultModel(d.models) // before the model is loaded
		ds, name, bundled = def.Dataset, def.File, true
	default:
		return nil
	}
	var own, same, shared []GalleryItem
	for _, it := range d.gallery {
		switch {
		case it.Model != "":
			if bundled && it.Model == name {
				own = append(own, it)
			}
		case strings.EqualFold(ds, it.Dataset):
			same = append(same, it)
		default:
			shared = append(shared, it)
		}
	}
	switch {
	case len(own) > 0:
		return own
	case len(same) > 0:
		return same
	}
	return shared
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
	d.firstVerdict()
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
// dropped folder). A folder's files go through preprocess.Classify, the
// rules of every folder scan: what it leaves out is named in a notice.
func (d *Demo) takeFileList(ctx app.Context, all []app.Value, allNames []string, folder bool) {
	if !folder {
		d.takeChecked(ctx, all, allNames, false, nil)
		return
	}
	ctx.Async(func() {
		var list []app.Value
		var names, skipped []string
		for i, f := range all {
			if i%listChunk == listChunk-1 {
				yieldTask()
			}
			if ok, why := preprocess.Classify(allNames[i], func() ([]byte, error) { return readHead(f, preprocess.SniffLen) }); ok {
				list, names = append(list, f), append(names, allNames[i])
			} else {
				skipped = append(skipped, allNames[i]+" ("+why+")")
			}
		}
		d.dispatch(func(ctx app.Context) { d.takeChecked(ctx, list, names, true, skipped) })
	})
}

// takeChecked opens the files: one in the single-image view, several (or a
// folder's) in the batch view.
func (d *Demo) takeChecked(ctx app.Context, list []app.Value, names []string, folder bool, skipped []string) {
	n := len(list)
	if n == 0 {
		if folder {
			d.err = "The folder holds no images: " + preprocess.NoImagesText() + "."
			if len(skipped) > 0 {
				d.err += " Skipped: " + strings.Join(skipped, "; ")
			}
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
	// The batch view takes the File objects themselves: each is read only
	// when a worker is about to score it. Labels come from the folders
	// (nil: the batch view reads them off the names, off the UI goroutine).
	srcs := make([]batchSource, n)
	for i := range list {
		srcs[i] = batchSource{blob: list[i]}
	}
	d.err = ""
	if len(skipped) > 0 {
		d.err = fmt.Sprintf("skipped %d files that are not images: %s", len(skipped), strings.Join(skipped, "; "))
	}
	d.runBatch(ctx, names, nil, srcs)
}

// runBatch shows the batch view and starts a batch there, once the Web
// Workers have started (they start on demand, see ensurePool).
func (d *Demo) runBatch(ctx app.Context, names, labels []string, srcs []batchSource) {
	if d.sess == nil {
		d.err = "The model is still loading; try again in a moment."
		return
	}
	d.view = viewBatch
	if !d.poolStarted {
		d.ensurePool(ctx, func(ctx app.Context) { d.runBatch(ctx, names, labels, srcs) })
		d.batchView().Update()
		return
	}
	d.batchView().start(names, labels, srcs)
}

// batchView is the batch view's component, made on first use.
func (d *Demo) batchView() *BatchView {
	if d.batch == nil {
		d.batch = newBatchView(d)
	}
	return d.batch
}

// batchEnv, poolStarting, sampleBatch, runBatch and openRow are what the
// batch view asks of the page (batchHost).
func (d *Demo) batchEnv() (*Session, *Pool, float64) { return d.sess, d.pool, d.threshold }

func (d *Demo) workersStarting() bool { return d.poolStarting }

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

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }
