package ui

import (
	"errors"
	"fmt"
	"sync"

	"github.com/maxence-charriere/go-app/v9/pkg/app"
)

// Pool runs the engine in Web Workers, one per core (at most MaxWorkers):
// Go's WebAssembly has no threads, so workers are how a batch uses several
// cores and how the page stays responsive while it runs. Each worker is the
// engine-only wasm built from wasm/worker; it loads the same model file and
// answers with the score and a thumbnail of the model's input.
//
// A batch is a queue the workers pull from: each worker keeps PoolWindow
// images in flight, so it never waits for the page between two images, and
// the page's work per image is one file read (asynchronous, its bytes
// transferred to the worker, never copied into Go) and one message out and
// one back, handled in the callbacks themselves (no goroutine hop). Cancelling empties the
// queue; the few images already in flight are dropped when they return.
type Pool struct {
	workers []*worker
	model   []byte

	mu    sync.Mutex // guards batch, seq and every worker's inFlight
	batch *poolBatch
	seq   int // message ids are unique across batches
}

// MaxWorkers bounds the pool: beyond 4 the transfer of results and the
// memory of each worker's model copy cost more than they bring.
const MaxWorkers = 4

// PoolWindow is the number of images each worker holds at once: one being
// scored, the next ones already read, so a busy page (a long frame) does not
// leave the worker idle.
const PoolWindow = 3

type worker struct {
	js       app.Value
	onMsg    app.Func
	onRead   app.Func // (msg, ArrayBuffer): a File was read, send it
	onFail   app.Func // (msg, error): it could not be read
	inFlight int
	loaded   chan error // the answer to a model load
}

// PoolJob is one image of a batch: a File or Blob the worker reads itself
// (Blob), or the file's bytes.
type PoolJob struct {
	ID    int
	Name  string
	Blob  app.Value
	Bytes []byte
}

// PoolResult is a worker's answer for one image.
type PoolResult struct {
	ID    int
	Score float64
	Thumb []byte // PNG of the model's input, small (wasm/worker ThumbSide)
	Err   string
}

type poolBatch struct {
	jobs []PoolJob
	next int
	base int // message id of jobs[0]
	done func(PoolResult)
}

// StartPool starts n workers running the page's own program (wasm/app runs
// as the engine alone in a worker) and waits until each has booted. module is
// the page's compiled WebAssembly.Module, or a promise of it (boot.js's);
// when it is not a usable one, the program is compiled again from wasmURL.
// workerJS is the URL of web/worker.js.
func StartPool(n int, workerJS string, module app.Value, wasmURL string) (*Pool, error) {
	w := app.Window()
	if !w.Get("Worker").Truthy() {
		return nil, errors.New("this browser has no Web Workers")
	}
	var mod app.Value
	if module != nil && module.Truthy() {
		if m, err := await(w.Get("Promise").Call("resolve", module)); err == nil && m.InstanceOf(w.Get("WebAssembly").Get("Module")) {
			mod = m
		}
	}
	if mod == nil {
		m, err := compileWasm(wasmURL)
		if err != nil {
			return nil, err
		}
		mod = m
	}
	p := &Pool{}
	for i := 0; i < n; i++ {
		wk := &worker{loaded: make(chan error, 1)}
		booted := make(chan app.Value, 1)
		wk.onMsg = app.FuncOf(func(this app.Value, args []app.Value) any {
			data := args[0].Get("data")
			if booted != nil {
				booted <- data
				booted = nil
				return nil
			}
			p.onReply(wk, data)
			return nil
		})
		wk.onRead = app.FuncOf(func(this app.Value, args []app.Value) any {
			msg, buf := args[0], args[1]
			msg.Set("bytes", w.Get("Uint8Array").New(buf))
			wk.js.Call("postMessage", msg, w.Get("Array").New(buf)) // transferred, not copied
			return nil
		})
		wk.onFail = app.FuncOf(func(this app.Value, args []app.Value) any {
			msg := args[0]
			msg.Set("readError", args[1].Call("toString"))
			wk.js.Call("postMessage", msg)
			return nil
		})
		wk.js = w.Get("Worker").New(workerJS)
		wk.js.Call("addEventListener", "message", wk.onMsg)
		msg := w.Get("Object").New()
		msg.Set("op", "boot")
		msg.Set("module", mod)
		wk.js.Call("postMessage", msg)
		r := <-booted
		if e := r.Get("error"); e.Truthy() {
			return nil, fmt.Errorf("starting worker %d: %s", i, e.String())
		}
		p.workers = append(p.workers, wk)
	}
	return p, nil
}

// Size is the number of workers.
func (p *Pool) Size() int { return len(p.workers) }

// Load sends a model file to every worker and waits for all of them. It
// cancels the running batch: its images would be scored by either model.
func (p *Pool) Load(model []byte) error {
	p.Cancel()
	w := app.Window()
	for _, wk := range p.workers {
		msg := w.Get("Object").New()
		msg.Set("op", "load")
		msg.Set("bytes", toJSBytes(model))
		wk.js.Call("postMessage", msg)
	}
	var first error
	for _, wk := range p.workers {
		if err := <-wk.loaded; err != nil && first == nil {
			first = err
		}
	}
	p.model = model
	return first
}

// Run starts a batch, replacing (cancelling) any batch still running: the
// workers take jobs in order and done is called, in the page's message
// callback, once for every job whose result arrives while this batch is
// current. done must not block.
func (p *Pool) Run(jobs []PoolJob, done func(PoolResult)) {
	p.mu.Lock()
	p.batch = &poolBatch{jobs: jobs, done: done, base: p.seq}
	p.seq += len(jobs)
	for _, wk := range p.workers {
		p.fill(wk)
	}
	p.mu.Unlock()
}

// Cancel drops the queued images of the running batch; the results of
// those in flight are not reported.
func (p *Pool) Cancel() {
	p.mu.Lock()
	p.batch = nil
	p.mu.Unlock()
}

// fill sends the current batch's next jobs to wk until its window is full.
// p.mu is held.
func (p *Pool) fill(wk *worker) {
	b := p.batch
	w := app.Window()
	for b != nil && wk.inFlight < PoolWindow && b.next < len(b.jobs) {
		j := &b.jobs[b.next]
		msg := w.Get("Object").New()
		msg.Set("op", "score")
		msg.Set("id", b.base+b.next)
		b.next++
		msg.Set("name", j.Name)
		if j.Blob != nil && j.Blob.Truthy() {
			// Read here, asynchronously, and the bytes transferred: posting
			// the File itself costs the page milliseconds per image (the
			// browser registers every cloned Blob).
			j.Blob.Call("arrayBuffer").Call("then", wk.onRead.Call("bind", nil, msg), wk.onFail.Call("bind", nil, msg))
		} else {
			u8 := toJSBytes(j.Bytes)
			msg.Set("bytes", u8)
			wk.js.Call("postMessage", msg, w.Get("Array").New(u8.Get("buffer")))
		}
		// The queue forgets the job once sent: its File and bytes are the
		// batch view's to keep or drop.
		*j = PoolJob{ID: j.ID}
		wk.inFlight++
	}
}

// onReply handles one message from a worker (in its message callback).
func (p *Pool) onReply(wk *worker, r app.Value) {
	if r.Get("op").String() == "load" {
		var err error
		if e := r.Get("error"); e.Truthy() {
			err = errors.New(e.String())
		}
		wk.loaded <- err
		return
	}
	id := r.Get("id").Int()
	var res PoolResult
	if e := r.Get("error"); e.Truthy() {
		res.Err = e.String()
	} else {
		res.Score = r.Get("score").Float()
		res.Thumb = jsBytes(r.Get("thumb"))
	}
	p.mu.Lock()
	wk.inFlight--
	b := p.batch
	p.fill(wk)
	p.mu.Unlock()
	if b != nil && id >= b.base && id < b.base+len(b.jobs) {
		res.ID = b.jobs[id-b.base].ID
		b.done(res)
	}
}
