package ui

import (
	"log/slog"
	"strconv"
	"time"

	"github.com/maxence-charriere/go-app/v9/pkg/app"
)

// When the Web Workers start. They are needed for batches only, and
// starting them (each worker starting the page's program and loading the
// model) costs the two cores of a small machine hundreds of
// milliseconds: so not before the first verdict. They start when the page
// is idle after its first verdict (or a few seconds after data-ready when
// nobody picks an image, and the Train view has not been opened), or at
// once when a batch needs them.

// idleAfterReady bounds the wait for a first verdict before the workers
// start anyway.
const idleAfterReady = 3 * time.Second

// firstVerdict is called on the UI goroutine whenever a verdict is shown.
func (d *Demo) firstVerdict() {
	select {
	case <-d.verdictShown:
	default:
		close(d.verdictShown)
		mark("first-verdict")
	}
}

// startPoolWhenIdle runs on a goroutine after data-ready.
func (d *Demo) startPoolWhenIdle() {
	select {
	case <-d.verdictShown:
	case <-time.After(idleAfterReady):
	}
	idle()
	// The service worker fills its cache (the whole site) from now on.
	if f := app.Window().Get("ganomalyIdle"); f.Truthy() {
		app.Window().Call("ganomalyIdle")
	}
	d.dispatch(func(ctx app.Context) {
		// Once the Train view is open the two cores belong to training (and
		// training makes no network request): the workers then start only
		// when a batch needs them.
		if d.train.opened {
			return
		}
		d.ensurePool(ctx, nil)
	})
}

// idle waits until the browser has nothing urgent to do (at most 1 s).
func idle() {
	w := app.Window()
	if !w.Get("requestIdleCallback").Truthy() {
		time.Sleep(50 * time.Millisecond)
		return
	}
	var exec app.Func
	exec = app.FuncOf(func(this app.Value, args []app.Value) any {
		opts := w.Get("Object").New()
		opts.Set("timeout", 1000)
		w.Call("requestIdleCallback", args[0], opts)
		return nil
	})
	defer exec.Release()
	await(w.Get("Promise").New(exec))
}

// ensurePool starts the worker pool unless it has started or is starting,
// and calls then (when not nil) on the UI goroutine once it has started or
// failed to start (d.pool is nil then: batches run on the page). It runs on
// the UI goroutine.
func (d *Demo) ensurePool(ctx app.Context, then func(app.Context)) {
	if d.poolStarted {
		if then != nil {
			then(ctx)
		}
		return
	}
	if then != nil {
		d.poolWaiting = append(d.poolWaiting, then)
	}
	if d.poolStarting || d.sess == nil {
		return
	}
	d.poolStarting = true
	model := d.sess.Bytes
	workerJS, wasmURL := ctx.ResolveStaticResource("/web/worker.js"), ctx.ResolveStaticResource("/web/app.wasm")
	var module app.Value
	if e := app.Window().Get("ganomalyEarly"); e.Truthy() {
		module = e.Get("module")
	}
	go func() {
		n := app.Window().Get("navigator").Get("hardwareConcurrency").Int()
		n = max(1, min(n, MaxWorkers))
		p, err := StartPool(n, workerJS, module, wasmURL)
		if err == nil {
			if err = p.Load(model); err != nil {
				slog.Warn("workers cannot load the model", "err", err)
				d.dispatch(func(ctx app.Context) { d.poolNote = "workers could not load the model: " + err.Error() })
				p = nil
			}
		} else {
			slog.Warn("no worker pool; batches run on the page", "err", err)
			d.dispatch(func(ctx app.Context) {
				d.poolNote = "Web Workers unavailable (" + err.Error() + "): batches run on the page, one image at a time."
			})
		}
		d.dispatch(func(ctx app.Context) {
			d.pool, d.poolStarting, d.poolStarted = p, false, true
			if p != nil && d.sess != nil && !sameBytes(d.sess.Bytes, model) {
				// The model changed while the workers started.
				b := d.sess.Bytes
				go func() {
					if err := p.Load(b); err != nil {
						d.dispatch(func(ctx app.Context) { d.poolNote = "workers could not load the model: " + err.Error(); d.pool = nil })
					}
				}()
			}
			mark("workers-ready")
			setBodyData("workers", strconv.Itoa(p.sizeOrZero()))
			waiting := d.poolWaiting
			d.poolWaiting = nil
			for _, f := range waiting {
				f(ctx)
			}
		})
	}()
}

// sameBytes reports whether a and b are the same slice (not just equal).
func sameBytes(a, b []byte) bool {
	return len(a) == len(b) && (len(a) == 0 || &a[0] == &b[0])
}
