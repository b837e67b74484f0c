package ui

import (
	"encoding/json"
	"fmt"
	"log/slog"
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

// Views of the page.
const (
	viewSingle = "single"
	viewBatch  = "batch"
	viewLab    = "lab"
)

// Demo is the page's shell: the model picker and the current model, the
// tabs, the input strip, the error banner, and what the views share (the
// gallery, the Web Workers). The views are components with their own state
// (SingleView with its Canvas, BatchView, LabView), made on first use and
// kept here so that their state outlives a change of tab; the Train view's
// state (train) is kept here too. Its fields are its state; Render draws
// them.
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

	err  string // the message for the last bad input (data-testid=error)
	live bool   // mounted in the browser (false while pre-rendering: controls that need the Go program are disabled)

	single *SingleView
	batch  *BatchView
	lab    *LabView
	train  trainState

	pool         *Pool
	poolNote     string
	poolStarting bool
	poolStarted  bool                // started, or failed (then pool is nil and batches run on the page)
	poolWaiting  []func(app.Context) // run once the pool has started
	verdictShown chan struct{}       // closed at the first verdict

	mountCtx    app.Context // the component's own context, for updates from goroutines
	removePaste func()
	started     time.Time
}

// OnInit takes the site data (SiteData): the models and the gallery are
// drawn from the first render on, on the server side (the pre-rendered page)
// as in the browser, before anything is loaded.
func (d *Demo) OnInit() {
	d.view = viewSingle
	d.train.init()
	d.verdictShown = make(chan struct{})
	site, ok := siteData()
	if !ok {
		return
	}
	d.models = site.Models
	d.modelBusy = "loading " + defaultModel(site.Models).Name + "…"
	if app.IsClient {
		// Before the first render, which replaces the pre-rendered page with
		// boot.js's answer on it.
		if e := app.Window().Get("ganomalyEarly"); e.Truthy() && e.Get("pick").Truthy() {
			d.singleView().setPick(e.Get("pick").String())
		}
	}
	d.gallery = nil
	for _, it := range site.Gallery {
		it.URL = "/web/gallery/" + it.File
		if it.Data != "" {
			it.URL = pngPrefix + it.Data
		}
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
		d.singleView().setPick(e.Get("pick").String())
	}
	app.Window().Set("ganomalyMounted", true)
	d.started = time.Now()
	d.mountCtx = ctx
	if e := app.Window().Get("ganomalyEarly"); e.Truthy() && e.Get("arrived").Truthy() && !e.Get("results").Truthy() {
		// The early verdicts arrive after the first render: show the one
		// for a sample clicked meanwhile.
		go func() {
			await(e.Get("arrived"))
			d.dispatch(func(ctx app.Context) { d.singleView().changed() })
		}()
	}
	d.removePaste = app.Window().AddEventListener("paste", d.onPaste)
	ctx.Async(func() { d.start(ctx) })
}

// OnDismount removes the window listener.
func (d *Demo) OnDismount() {
	if d.removePaste != nil {
		d.removePaste()
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
		d.dispatch(func(ctx app.Context) {
			d.startError = err.Error()
			d.singleView().takePick() // its early verdict or note would stay
			d.singleView().changed()
		})
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
		if pick := d.singleView().takePick(); pick != "" {
			for _, it := range d.galleryFor() {
				if it.File == pick {
					d.show("gallery/"+it.File, it.Bytes, nil)
				}
			}
		}
	})
	d.startPoolWhenIdle()
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

// setSession switches to a loaded model: the single view takes it (its
// threshold, the current image re-scored), the batch and the lab are
// cleared.
func (d *Demo) setSession(s *Session) {
	d.sess = s
	d.batchView().reset()
	d.labView().reset()
	if err := d.singleView().setModel(s); err != nil {
		d.err = err.Error()
	}
	d.changed()
}

// changed redraws the page after a change made from a view's handler or a
// goroutine (a view's events redraw that view only).
func (d *Demo) changed() {
	if d.Mounted() {
		d.Update()
	}
}

// current is the image the single view shows (nil before the first): the
// lab looks inside the model for it.
func (d *Demo) current() *Analysis { return d.singleView().current() }

// singleView is the single-image view's component, made on first use.
func (d *Demo) singleView() *SingleView {
	if d.single == nil {
		d.single = newSingleView(d, d)
	}
	return d.single
}

// show analyses one image on the page (an image takes tens of
// milliseconds) and shows it in the single-image view; err says why the
// image could not be read. It is the single view's and the canvas's
// singleHost.show and canvasHost.show.
func (d *Demo) show(name string, b []byte, err error) {
	defer d.changed()
	switch {
	case err != nil:
		d.err = err.Error()
		return
	case d.sess == nil:
		d.err = "The model is still loading; try again in a moment."
		return
	}
	if err := d.singleView().show(d.sess, name, b); err != nil {
		d.err = err.Error()
		return
	}
	d.err = ""
	d.view = viewSingle
	d.labView().reset()
	d.firstVerdict()
}

// labView is the lab's component, made on first use.
func (d *Demo) labView() *LabView {
	if d.lab == nil {
		d.lab = newLabView(d)
	}
	return d.lab
}

// session, samples, sampleLabel, fail, openLab and batchScores are, with
// show, what the single view asks of the page (singleHost); the lab asks
// for some of them and current (labHost).
func (d *Demo) session() *Session { return d.sess }

func (d *Demo) samples() []GalleryItem { return d.galleryFor() }

func (d *Demo) sampleLabel(it GalleryItem) string { return d.galleryLabel(it) }

func (d *Demo) fail(msg string) {
	d.err = msg
	d.changed()
}

func (d *Demo) openLab() {
	d.view = viewLab
	d.changed()
}

func (d *Demo) batchScores() (lo, hi float64) { return d.batch.scoreRange() }

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
			d.dispatch(func(ctx app.Context) { d.show(names[0], b, err) })
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
func (d *Demo) batchEnv() (*Session, *Pool, float64) {
	return d.sess, d.pool, d.singleView().Threshold()
}

func (d *Demo) workersStarting() bool { return d.poolStarting }

func (d *Demo) sampleBatch() (names, labels []string, srcs []batchSource) {
	for _, it := range d.galleryFor() {
		names = append(names, "gallery/"+it.File)
		labels = append(labels, d.galleryLabel(it))
		srcs = append(srcs, batchSource{bytes: it.Bytes})
	}
	return names, labels, srcs
}

func (d *Demo) openRow(ctx app.Context, name string, b []byte, err error) { d.show(name, b, err) }
