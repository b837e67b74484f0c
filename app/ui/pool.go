package ui

import (
	"errors"
	"fmt"

	"github.com/maxence-charriere/go-app/v9/pkg/app"
)

// Pool runs the engine in Web Workers, one per core (at most MaxWorkers):
// Go's WebAssembly has no threads, so workers are how a batch uses several
// cores and how the page stays responsive while it runs. Each worker is the
// engine-only wasm built from wasm/worker; it loads the same model file and
// answers with the score and the model's input (for the thumbnail).
type Pool struct {
	workers []*worker
	jobs    chan poolJob
	model   []byte
}

// MaxWorkers bounds the pool: beyond 4 the transfer of results and the
// memory of each worker's model copy cost more than they bring.
const MaxWorkers = 4

type worker struct {
	js      app.Value
	replies chan app.Value
	direct  chan poolJob // jobs for this worker only (model loads)
	onMsg   app.Func
}

type poolJob struct {
	name  string
	bytes []byte
	done  func(PoolResult)
}

// PoolResult is a worker's answer for one image.
type PoolResult struct {
	Name  string
	Score float64
	X     []float32
	Err   string
}

// StartPool compiles the worker wasm once, starts n workers and waits until
// each has booted. workerJS and workerWasm are URLs of the site.
func StartPool(n int, workerJS, workerWasm string) (*Pool, error) {
	w := app.Window()
	if !w.Get("Worker").Truthy() {
		return nil, errors.New("this browser has no Web Workers")
	}
	mod, err := await(w.Get("WebAssembly").Call("compileStreaming", w.Call("fetch", workerWasm)))
	if err != nil {
		// Servers that send the wrong MIME type break compileStreaming.
		b, ferr := fetchBytes(workerWasm)
		if ferr != nil {
			return nil, ferr
		}
		if mod, err = await(w.Get("WebAssembly").Call("compile", toJSBytes(b))); err != nil {
			return nil, fmt.Errorf("compiling %s: %w", workerWasm, err)
		}
	}
	p := &Pool{jobs: make(chan poolJob, 1<<16)}
	for i := 0; i < n; i++ {
		wk := &worker{replies: make(chan app.Value, 4), direct: make(chan poolJob, 1)}
		wk.onMsg = app.FuncOf(func(this app.Value, args []app.Value) any {
			wk.replies <- args[0].Get("data")
			return nil
		})
		wk.js = w.Get("Worker").New(workerJS)
		wk.js.Call("addEventListener", "message", wk.onMsg)
		msg := w.Get("Object").New()
		msg.Set("op", "boot")
		msg.Set("module", mod)
		wk.js.Call("postMessage", msg)
		r := <-wk.replies
		if e := r.Get("error"); e.Truthy() {
			return nil, fmt.Errorf("starting worker %d: %s", i, e.String())
		}
		p.workers = append(p.workers, wk)
	}
	for _, wk := range p.workers {
		go p.serve(wk)
	}
	return p, nil
}

// Size is the number of workers.
func (p *Pool) Size() int { return len(p.workers) }

// Load sends a model file to every worker and waits for all of them.
func (p *Pool) Load(model []byte) error {
	errs := make(chan error, len(p.workers))
	for _, wk := range p.workers {
		wk.direct <- poolJob{name: "\x00load", bytes: model, done: func(r PoolResult) {
			if r.Err != "" {
				errs <- errors.New(r.Err)
			} else {
				errs <- nil
			}
		}}
	}
	var first error
	for range p.workers {
		if err := <-errs; err != nil && first == nil {
			first = err
		}
	}
	p.model = model
	return first
}

// Score queues one image; done is called (on a worker goroutine) with the
// result.
func (p *Pool) Score(name string, b []byte, done func(PoolResult)) {
	p.jobs <- poolJob{name: name, bytes: b, done: done}
}

// serve feeds one worker: its own jobs (model loads) first, then the shared
// queue of images.
func (p *Pool) serve(wk *worker) {
	w := app.Window()
	for {
		var j poolJob
		select {
		case j = <-wk.direct:
		default:
			select {
			case j = <-wk.direct:
			case j = <-p.jobs:
			}
		}
		msg := w.Get("Object").New()
		if j.name == "\x00load" {
			msg.Set("op", "load")
		} else {
			msg.Set("op", "score")
			msg.Set("name", j.name)
		}
		msg.Set("bytes", toJSBytes(j.bytes))
		wk.js.Call("postMessage", msg)
		r := <-wk.replies
		res := PoolResult{Name: j.name}
		if e := r.Get("error"); e.Truthy() {
			res.Err = e.String()
		} else if j.name != "\x00load" {
			res.Score = r.Get("score").Float()
			res.X = bytesToFloat32s(jsBytes(r.Get("x")))
		}
		j.done(res)
	}
}
