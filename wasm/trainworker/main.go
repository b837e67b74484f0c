//go:build js && wasm

// Command trainworker is the WebAssembly program of the page's Train view:
// it runs inside a Web Worker (web/train/worker.js boots it), so that
// training never blocks the page. It holds one run (package app/trainjob)
// and answers messages of the page:
//
//	{op: "start", settings: JSON, mnist: Uint8Array}           the bundled subset
//	{op: "start", settings: JSON, names: [...], files: [...]}  the person's images
//	{op: "pause"} {op: "resume"} {op: "step"} {op: "stop"}
//	{op: "export", dtype: "f32"|"i8"}
//
// with {op: "ready", json}, {op: "progress", json}, {op: "eval", json}
// (package app/trainspec), {op: "model", dtype, steps, bytes} and
// {op: "error", error} (bad input; nothing started). Training runs one
// batch at a time and yields to the worker's event loop between batches, so
// pause, step and stop take effect after the current batch.
package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"syscall/js"
	"time"

	"github.com/ganomaly-go/ganomaly/app/trainjob"
	"github.com/ganomaly-go/ganomaly/app/trainspec"
	"github.com/ganomaly-go/ganomaly/engine"
	"github.com/ganomaly-go/ganomaly/train"
)

var cmds = make(chan js.Value, 256)

func main() {
	js.Global().Set("ganomalyTrain", js.FuncOf(func(this js.Value, args []js.Value) any {
		select {
		case cmds <- args[0]:
		default:
			post(map[string]any{"op": "error", "error": "the training worker is busy; try again"})
		}
		return nil
	}))
	post(map[string]any{"op": "booted"})
	(&worker{status: trainspec.Idle}).run()
}

func post(m map[string]any) { js.Global().Call("postMessage", m) }

func postJSON(op string, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		post(map[string]any{"op": "error", "error": "encoding " + op + ": " + err.Error()})
		return
	}
	post(map[string]any{"op": op, "json": string(b)})
}

func bytesOf(v js.Value) []byte {
	b := make([]byte, v.Get("length").Int())
	js.CopyBytesToGo(b, v)
	return b
}

type worker struct {
	job     *trainjob.Job
	status  string
	note    string
	last    train.Losses
	started time.Time
	// recent step times for the images/s figure
	recent []time.Duration
}

// stripEvery is how many steps apart the reconstruction strip is redrawn
// while running (it is also redrawn at a pause and after each Step).
const stripEvery = 8

func (w *worker) run() {
	for {
		var msg js.Value
		if w.status == trainspec.Running {
			select {
			case msg = <-cmds:
			default:
			}
		} else {
			msg = <-cmds
		}
		step := false
		if msg.Truthy() {
			step = w.handle(msg)
		}
		step = step || w.status == trainspec.Running
		if !step || w.job == nil {
			continue
		}
		w.step()
		// Yield to the event loop so that the page's messages arrive.
		time.Sleep(time.Millisecond)
	}
}

// handle runs one command; it reports whether one step is to be taken now.
func (w *worker) handle(msg js.Value) (step bool) {
	defer func() {
		if p := recover(); p != nil {
			w.fail(fmt.Sprintf("the training worker failed: %v", p))
			step = false
		}
	}()
	switch op := msg.Get("op").String(); op {
	case "start":
		w.start(msg)
	case "pause":
		if w.status == trainspec.Running {
			w.status = trainspec.Paused
			if w.job.Steps() > 0 {
				w.evaluate(true) // a pause shows the reconstructions of now
			}
			w.progress()
		}
	case "resume":
		if w.status == trainspec.Paused {
			w.status = trainspec.Running
			w.progress()
		}
	case "step":
		return w.status == trainspec.Paused
	case "stop":
		if w.status == trainspec.Running || w.status == trainspec.Paused {
			w.status, w.note = trainspec.Done, fmt.Sprintf("stopped after %d steps", w.job.Steps())
			w.evaluate(false)
			w.progress()
		}
	case "export":
		w.export(msg.Get("dtype").String())
	default:
		post(map[string]any{"op": "error", "error": "unknown message " + op})
	}
	return false
}

func (w *worker) start(msg js.Value) {
	if w.status == trainspec.Running || w.status == trainspec.Paused {
		post(map[string]any{"op": "error", "error": "a run is in progress: stop it first"})
		return
	}
	var st trainspec.Settings
	if err := json.Unmarshal([]byte(msg.Get("settings").String()), &st); err != nil {
		post(map[string]any{"op": "error", "error": "settings: " + err.Error()})
		return
	}
	if err := st.Validate(); err != nil {
		post(map[string]any{"op": "error", "error": err.Error()})
		return
	}
	var d *trainjob.Data
	var err error
	if st.Source == "folder" {
		names, files := msg.Get("names"), msg.Get("files")
		fs := make([]trainjob.File, names.Length())
		for i := range fs {
			fs[i] = trainjob.File{Name: names.Index(i).String(), Bytes: bytesOf(files.Index(i))}
		}
		d, err = trainjob.FolderData(fs, st, msg.Get("dataset").String())
	} else {
		var sub *trainjob.Subset
		if sub, err = trainjob.DecodeSubset(bytesOf(msg.Get("mnist"))); err == nil {
			d, err = trainjob.MNISTData(sub, st)
		}
	}
	if err != nil {
		post(map[string]any{"op": "error", "error": err.Error()})
		return
	}
	j, err := trainjob.New(st, d)
	if err != nil {
		post(map[string]any{"op": "error", "error": err.Error()})
		return
	}
	w.job, w.status, w.note, w.started, w.recent, w.last = j, trainspec.Running, "", time.Now(), nil, train.Losses{}
	tr, val, nn, na := d.Counts()
	postJSON("ready", trainspec.Ready{Train: tr, Val: val, Normals: nn, Anomalies: na, StepsPerEpoch: j.StepsPerEpoch(),
		Skipped: d.Skipped, Dataset: d.Dataset})
	w.progress()
}

func (w *worker) step() {
	j := w.job
	before := j.StepTime
	ls, err := j.Step()
	if err != nil {
		if errors.Is(err, train.ErrDiverged) {
			w.status = trainspec.Failed
			w.note = fmt.Sprintf("training diverged at step %d (a loss became NaN or infinite); the weights of step %d are kept: you can still use or download them, or start again with another seed", j.Steps()+1, j.Steps())
		} else {
			w.status, w.note = trainspec.Failed, err.Error()
		}
		w.progress()
		return
	}
	w.last = ls
	w.recent = append(w.recent, j.StepTime-before)
	if len(w.recent) > 10 {
		w.recent = w.recent[1:]
	}
	// The evaluation goes out before the progress that says done, so that
	// the page shows the final AUROC together with the status.
	switch {
	case j.EvalDue() || j.Done():
		w.evaluate(false)
	case j.Steps()%stripEvery == 0 || w.status == trainspec.Paused: // and after each Step
		w.evaluate(true)
	}
	if j.Done() {
		w.status = trainspec.Done
	}
	w.progress()
}

func (w *worker) evaluate(stripOnly bool) {
	var ev *trainjob.Eval
	var err error
	if stripOnly {
		ev, err = w.job.Strip()
	} else {
		ev, err = w.job.Evaluate()
	}
	if err != nil {
		post(map[string]any{"op": "error", "error": "evaluation: " + err.Error()})
		return
	}
	postJSON("eval", ev.Wire(stripOnly))
}

func (w *worker) progress() {
	j := w.job
	if j == nil {
		return
	}
	var t time.Duration
	for _, d := range w.recent {
		t += d
	}
	ips := 0.0
	if t > 0 {
		ips = float64(len(w.recent)*j.Settings().Batch) / t.Seconds()
	}
	st := j.Settings()
	p := trainspec.Progress{Status: w.status, Epoch: j.Epoch(), Steps: j.Steps(), Images: j.Images(),
		Total: st.Epochs * j.StepsPerEpoch() * st.Batch, ImagesPerS: ips, Elapsed: time.Since(w.started).Seconds(),
		ErrG: w.last.ErrG, ErrGAdv: w.last.ErrGAdv, ErrGCon: w.last.ErrGCon, ErrGEnc: w.last.ErrGEnc, ErrD: w.last.ErrD, Note: w.note,
		SIMD: engine.HostKernels()}
	for _, v := range []*float64{&p.ErrG, &p.ErrGAdv, &p.ErrGCon, &p.ErrGEnc, &p.ErrD} {
		if math.IsNaN(*v) || math.IsInf(*v, 0) {
			*v = 0 // JSON has no NaN; a diverged step is reported by Status and Note
		}
	}
	postJSON("progress", p)
}

func (w *worker) fail(note string) {
	w.status, w.note = trainspec.Failed, note
	if w.job != nil {
		w.progress()
	} else {
		post(map[string]any{"op": "error", "error": note})
	}
}

func (w *worker) export(dtype string) {
	if w.job == nil {
		post(map[string]any{"op": "error", "error": "nothing trained yet"})
		return
	}
	b, err := w.job.Export(dtype)
	if err != nil {
		post(map[string]any{"op": "error", "error": "export: " + err.Error()})
		return
	}
	u8 := js.Global().Get("Uint8Array").New(len(b))
	js.CopyBytesToJS(u8, b)
	post(map[string]any{"op": "model", "dtype": dtype, "steps": w.job.Steps(), "bytes": u8})
}
