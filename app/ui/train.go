package ui

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"math"
	"strings"

	"github.com/ganomaly-go/ganomaly/app/trainspec"
	"github.com/ganomaly-go/ganomaly/preprocess"
	"github.com/maxence-charriere/go-app/v9/pkg/app"
)

// The Train view trains GANomaly in a Web Worker of its own
// (web/train/worker.js booting web/train/trainer.wasm, built from
// wasm/trainworker). Nothing of it loads before the view is opened: the
// worker, its wasm and the bundled MNIST subset are fetched on the first
// visit, so the site's first load is unchanged.

const viewTrain = "train"

// Train view resources, relative to the site root (kept out of the service
// worker's start-up cache by the site generator).
const (
	trainWorkerJS   = "/web/train/worker.js"
	trainWorkerWasm = "/web/train/trainer.wasm"
	trainMNIST      = "/web/train/mnist-subset.bin.gz"
)

// Model sizes offered, with their widths (ngf = ndf).
var trainSizes = []struct {
	Name string
	NGF  int
}{{"tiny (ngf 8)", 8}, {"small (ngf 16)", 16}, {"larger (ngf 32)", 32}, {"paper size (ngf 64)", 64}}

// defaultMACsPerS is the trainer's speed assumed for the estimate before a
// run has measured it: 115 images/s at ngf 16 in one worker, as make
// bench-train measured on a busy 2-core machine (see README).
const defaultMACsPerS = 115 * 17.4e6

type lossPoint struct {
	Steps                   int
	G, Adv, Con, Enc, D, Ep float64
}

type aurocPoint struct {
	Steps int
	Epoch int
	AUROC float64
}

type trainFile struct {
	Name  string
	Bytes []byte
}

type trainExport struct {
	steps int
	bytes []byte
}

// trainState is the Train view's state.
type trainState struct {
	opened  bool
	booting string // what is loading, "" when ready
	worker  *trainWorker
	mnist   []byte

	st         trainspec.Settings
	folder     []trainFile // the person's images (Source "folder")
	folderNote string

	status   string
	ready    *trainspec.Ready
	prog     trainspec.Progress
	losses   []lossPoint
	aurocs   []aurocPoint
	eval     *trainspec.Eval // the last full evaluation
	strip    *trainspec.Eval // the last strip
	err      string
	note     string
	macsPerS float64

	dtype    string
	exported map[string]trainExport
	waiting  []func([]byte) // callbacks for the next model of the export asked for
}

func (t *trainState) init() {
	t.st = trainspec.DefaultSettings()
	t.status = trainspec.Idle
	t.dtype = "f32"
	t.macsPerS = defaultMACsPerS
	t.exported = map[string]trainExport{}
}

// trainWorker is the page's end of the training worker.
type trainWorker struct {
	js    app.Value
	onMsg app.Func
	msgs  chan app.Value
}

// onTrainTab opens the Train view; the first time it loads the worker and
// the bundled data.
func (d *Demo) onTrainTab(ctx app.Context, e app.Event) {
	d.view = viewTrain
	if d.train.opened {
		return
	}
	d.train.opened = true
	d.train.booting = "loading the trainer and the MNIST subset…"
	ctx.Async(func() {
		urls := []string{ctx.ResolveStaticResource(trainWorkerJS), ctx.ResolveStaticResource(trainWorkerWasm), ctx.ResolveStaticResource(trainMNIST)}
		w, err := startTrainWorker(urls[0], urls[1])
		var mnist []byte
		if err == nil {
			mnist, err = fetchBytes(urls[2])
		}
		if err == nil {
			keepOffline(urls)
		}
		d.dispatch(func(ctx app.Context) {
			d.train.booting = ""
			if err != nil {
				d.train.err = "The trainer could not start: " + err.Error()
				d.train.opened = false // a later visit tries again
				return
			}
			d.train.worker, d.train.mnist = w, mnist
		})
		if err == nil {
			go d.serveTrainWorker(w)
		}
	})
}

// keepOffline asks the service worker to keep the Train view's files, so
// that the view opens and trains offline after this visit (boot.js).
func keepOffline(urls []string) {
	f := app.Window().Get("ganomalyKeep")
	if !f.Truthy() {
		return
	}
	arr := app.Window().Get("Array").New()
	for _, u := range urls {
		arr.Call("push", u)
	}
	app.Window().Call("ganomalyKeep", arr)
}

func startTrainWorker(js, wasm string) (*trainWorker, error) {
	w := app.Window()
	if !w.Get("Worker").Truthy() {
		return nil, fmt.Errorf("this browser has no Web Workers")
	}
	mod, err := compileWasm(wasm)
	if err != nil {
		return nil, err
	}
	tw := &trainWorker{msgs: make(chan app.Value, 1024)}
	tw.onMsg = app.FuncOf(func(this app.Value, args []app.Value) any {
		tw.msgs <- args[0].Get("data")
		return nil
	})
	tw.js = w.Get("Worker").New(js)
	tw.js.Call("addEventListener", "message", tw.onMsg)
	msg := w.Get("Object").New()
	msg.Set("op", "boot")
	msg.Set("module", mod)
	tw.js.Call("postMessage", msg)
	r := <-tw.msgs
	if e := r.Get("error"); e.Truthy() {
		return nil, fmt.Errorf("%s", e.String())
	}
	return tw, nil
}

func (w *trainWorker) post(op string, set func(m app.Value)) {
	m := app.Window().Get("Object").New()
	m.Set("op", op)
	if set != nil {
		set(m)
	}
	w.js.Call("postMessage", m)
}

// serveTrainWorker turns the worker's messages into state updates.
func (d *Demo) serveTrainWorker(w *trainWorker) {
	for v := range w.msgs {
		op := v.Get("op").String()
		switch op {
		case "model":
			b := jsBytes(v.Get("bytes"))
			dtype, steps := v.Get("dtype").String(), v.Get("steps").Int()
			d.dispatch(func(ctx app.Context) { d.onTrainModel(ctx, dtype, steps, b) })
			continue
		case "error":
			msg := v.Get("error").String()
			d.dispatch(func(ctx app.Context) {
				t := &d.train
				t.err, t.waiting = msg, nil
				if t.ready == nil && t.status == trainspec.Running {
					t.status = trainspec.Idle // the worker refused to start (bad data or settings)
				}
			})
			continue
		}
		js := v.Get("json").String()
		d.dispatch(func(ctx app.Context) { d.onTrainMessage(op, js) })
	}
}

func (d *Demo) onTrainMessage(op, js string) {
	t := &d.train
	switch op {
	case "ready":
		var r trainspec.Ready
		if json.Unmarshal([]byte(js), &r) == nil {
			t.ready = &r
		}
	case "progress":
		var p trainspec.Progress
		if json.Unmarshal([]byte(js), &p) != nil {
			return
		}
		if p.Steps > t.prog.Steps || len(t.losses) == 0 {
			if p.Steps > 0 && (len(t.losses) == 0 || t.losses[len(t.losses)-1].Steps < p.Steps) {
				t.losses = append(t.losses, lossPoint{Steps: p.Steps, G: p.ErrG, Adv: p.ErrGAdv, Con: p.ErrGCon, Enc: p.ErrGEnc, D: p.ErrD})
			}
		}
		t.prog, t.status, t.note = p, p.Status, p.Note
		if p.ImagesPerS > 0 {
			t.macsPerS = p.ImagesPerS * float64(trainspec.Cost(t.st))
		}
	case "eval":
		var ev trainspec.Eval
		if json.Unmarshal([]byte(js), &ev) != nil {
			return
		}
		t.strip = &ev
		if !ev.StripOnly {
			t.eval = &ev
			if ev.AUROC != nil {
				t.aurocs = append(t.aurocs, aurocPoint{Steps: ev.Steps, Epoch: ev.Epoch, AUROC: *ev.AUROC})
			}
		}
	}
}

// onTrainStart sends the settings and the data to the worker.
func (d *Demo) onTrainStart(ctx app.Context, e app.Event) {
	t := &d.train
	if t.worker == nil {
		return
	}
	if err := t.st.Validate(); err != nil {
		t.err = err.Error()
		return
	}
	if t.st.Source == "folder" && len(t.folder) == 0 {
		t.err = "Choose or drop a folder of normal images first (or train on the bundled MNIST digits)."
		return
	}
	if t.st.Source == "folder" {
		if err := trainspec.CheckNormals(t.folderNormals(), t.st); err != nil {
			t.err = err.Error() + "."
			return
		}
	}
	t.err, t.note = "", ""
	t.ready, t.eval, t.strip, t.losses, t.aurocs = nil, nil, nil, nil, nil
	t.prog = trainspec.Progress{}
	t.exported = map[string]trainExport{}
	t.status = trainspec.Running
	settings, _ := json.Marshal(t.st)
	t.worker.post("start", func(m app.Value) {
		m.Set("settings", string(settings))
		if t.st.Source == "folder" {
			names := app.Window().Get("Array").New()
			files := app.Window().Get("Array").New()
			for _, f := range t.folder {
				names.Call("push", f.Name)
				files.Call("push", toJSBytes(f.Bytes))
			}
			m.Set("names", names)
			m.Set("files", files)
		} else {
			m.Set("mnist", toJSBytes(t.mnist))
		}
	})
}

func (d *Demo) onTrainPause(ctx app.Context, e app.Event) {
	t := &d.train
	switch t.status {
	case trainspec.Running: // the status changes when the worker confirms
		t.worker.post("pause", nil)
	case trainspec.Paused:
		t.worker.post("resume", nil)
	}
}

func (d *Demo) onTrainStep(ctx app.Context, e app.Event) {
	if d.train.status == trainspec.Paused {
		d.train.worker.post("step", nil)
	}
}

func (d *Demo) onTrainStop(ctx app.Context, e app.Event) {
	if s := d.train.status; s == trainspec.Running || s == trainspec.Paused {
		d.train.worker.post("stop", nil)
	}
}

// exportModel asks the worker for the current weights as a model file of
// the chosen dtype, reusing the last one while the weights are unchanged
// (so that the model used on the page and the one downloaded are the same
// bytes).
func (d *Demo) exportModel(then func([]byte)) {
	t := &d.train
	if ex, ok := t.exported[t.dtype]; ok && ex.steps == t.prog.Steps {
		then(ex.bytes)
		return
	}
	t.waiting = append(t.waiting, then)
	if len(t.waiting) == 1 {
		dt := t.dtype
		t.worker.post("export", func(m app.Value) { m.Set("dtype", dt) })
	}
}

func (d *Demo) onTrainModel(ctx app.Context, dtype string, steps int, b []byte) {
	t := &d.train
	t.exported[dtype] = trainExport{steps: steps, bytes: b}
	w := t.waiting
	t.waiting = nil
	for _, f := range w {
		f(b)
	}
}

// trainedName is the file name of the exported model.
func (t *trainState) trainedName() string {
	ds := "folder"
	if t.ready != nil && t.ready.Dataset.Name != "" {
		ds = t.ready.Dataset.Name
	}
	ab := ""
	if t.ready != nil && len(t.ready.Dataset.AbnormalClasses) > 0 {
		ab = "-anomaly-" + strings.Join(t.ready.Dataset.AbnormalClasses, "")
	}
	return fmt.Sprintf("trained-%s%s-ngf%d-%s.safetensors", ds, ab, t.st.NGF, t.dtype)
}

// onTrainUse makes the trained model the page's current model: the
// single-image view, the batch view and the lab.
func (d *Demo) onTrainUse(ctx app.Context, e app.Event) {
	d.exportModel(func(b []byte) {
		name := d.train.trainedName()
		sess, err := LoadSession(name, b)
		if err != nil {
			d.train.err = err.Error()
			return
		}
		d.setSession(sess)
		d.view = viewSingle
		if p := d.pool; p != nil {
			go func() {
				if err := p.Load(b); err != nil {
					slog.Warn("workers cannot load the trained model", "err", err)
				}
			}()
		}
	})
}

func (d *Demo) onTrainDownload(ctx app.Context, e app.Event) {
	d.exportModel(func(b []byte) { download(d.train.trainedName(), "application/octet-stream", b) })
}

// onTrainFolder takes a picked folder of the person's images: image files
// by the shared folder rules (preprocess.Classify), the rest listed. Files
// and folders dropped on the page while the Train view is open come here
// too (onDrop).
func (d *Demo) onTrainFolder(ctx app.Context, e app.Event) {
	in := ctx.JSSrc()
	d.takeTrainFileList(ctx, in.Get("files"))
	in.Set("value", "")
}

// takeTrainFileList takes a FileList (picked, or loose files dropped on the
// Train view) as the Train view's own images.
func (d *Demo) takeTrainFileList(ctx app.Context, files app.Value) {
	var list []app.Value
	var names []string
	for i := 0; i < files.Length(); i++ {
		list, names = append(list, files.Index(i)), append(names, fileName(files.Index(i)))
	}
	d.takeTrainFiles(ctx, list, names)
}

// takeTrainFiles reads picked or dropped files (names are their paths
// inside the folder) as the Train view's own images.
func (d *Demo) takeTrainFiles(ctx app.Context, list []app.Value, names []string) {
	if d.train.status == trainspec.Running || d.train.status == trainspec.Paused {
		d.train.err = "A run is in progress: stop it before choosing other images."
		return
	}
	d.train.folderNote = fmt.Sprintf("reading %d files…", len(list))
	ctx.Async(func() {
		var got []trainFile
		var skipped []string
		for i, f := range list {
			name := names[i]
			ok, why := preprocess.Classify(name, func() ([]byte, error) { return readHead(f, preprocess.SniffLen) })
			if !ok {
				skipped = append(skipped, name+": "+why)
				continue
			}
			b, err := readFile(f)
			if err != nil {
				skipped = append(skipped, name+": "+err.Error())
				continue
			}
			got = append(got, trainFile{Name: name, Bytes: b})
		}
		d.dispatch(func(ctx app.Context) { d.train.setFolder(got, skipped) })
	})
}

// folderNormals counts the chosen images outside 0.normal/ and 1.abnormal/:
// the normal training images and the held-out ones.
func (t *trainState) folderNormals() int {
	n := 0
	for _, f := range t.folder {
		if preprocess.LabelOf(f.Name) == "" {
			n++
		}
	}
	return n
}

// setFolder makes the checked files the run's data and says what they are:
// how many train and test images, which files were skipped and why, and,
// when there are too few, what to do.
func (t *trainState) setFolder(got []trainFile, skipped []string) {
	t.folder = got
	t.st.Source = "folder"
	t.err = ""
	normal := t.folderNormals()
	labelled := len(got) - normal
	t.folderNote = fmt.Sprintf("%d normal images for training, %d labelled test images (0.normal/, 1.abnormal/)", normal, labelled)
	if labelled == 0 {
		t.folderNote += ": without a labelled test folder, held-out normals give the score histogram and the threshold, but no AUROC"
	}
	if len(skipped) > 0 {
		t.folderNote += fmt.Sprintf("; %d files skipped: %s", len(skipped), strings.Join(skipped[:min(5, len(skipped))], "; "))
		if len(skipped) > 5 {
			t.folderNote += "; …"
		}
	}
	if len(got) == 0 {
		t.folder = nil
		t.err = fmt.Sprintf("No images among the %d files: %s. Choose or drop a folder of normal images.", len(skipped), preprocess.NoImagesText())
	} else if err := trainspec.CheckNormals(normal, t.st); err != nil {
		t.err = err.Error() + "."
	}
}

// estimate is the expected training time in seconds for the settings.
func (t *trainState) estimate() (seconds float64, images int) {
	images = t.st.Images
	if t.st.Source == "folder" {
		n := t.folderNormals()
		images = max(0, n-trainspec.HeldOut(n))
		if t.st.Images > 0 {
			images = min(images, t.st.Images)
		}
	}
	if images == 0 && t.st.Source != "folder" {
		images = 3000
	}
	seconds = float64(images) * float64(t.st.Epochs) * float64(trainspec.Cost(t.st)) / t.macsPerS
	return seconds, images
}

func fmtDuration(s float64) string {
	if math.IsNaN(s) || math.IsInf(s, 0) || s < 0 {
		return "–"
	}
	if s < 90 {
		return fmt.Sprintf("%.0f s", s)
	}
	return fmt.Sprintf("%.0f min %02.0f s", math.Floor(s/60), math.Mod(s, 60))
}
