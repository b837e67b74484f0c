package ui

import (
	"math"
	"strings"
	"time"

	"github.com/maxence-charriere/go-app/v9/pkg/app"
)

// start scores a batch (replacing any batch still running): in the worker
// pool when there is one, otherwise on the page one image at a time,
// yielding between images so the page keeps painting. It runs on the UI
// goroutine. labels nil means the labels of the names' folders
// (LabelFromPath).
//
// Starting 10,000 images is split into tasks of the page's event loop so
// that none of them blocks it for long: here only the old batch is
// cancelled and its table dropped; the rows, their labels and their order are built on a
// goroutine that yields before and after (prepare), and the new table is
// drawn in a task of its own (begin), with only the rows in view at first
// (firstPaint).
func (b *BatchView) start(names, labels []string, srcs []batchSource) {
	if sess, _, _ := b.host.batchEnv(); sess == nil {
		return
	}
	b.cancel()
	b.gen++
	gen, started, sortBy, asc := b.gen, time.Now(), b.sortBy, b.sortAsc
	if !b.Mounted() { // (tests, and a view not drawn yet): no event loop to share
		b.begin(gen, started, prepare(names, labels, srcs, sortBy, asc), srcs)
		return
	}
	// The old table goes at once: until the new one is drawn the view says
	// it is reading the images (and nothing reads the old rows as new).
	b.tab, b.srcs, b.preparing = nil, nil, len(names)
	go func() {
		yieldTask()
		tab := prepare(names, labels, srcs, sortBy, asc)
		yieldTask()
		b.ctx.Dispatch(func(ctx app.Context) { b.begin(gen, started, tab, srcs) })
	}()
}

// prepare builds a batch's table: its rows (those that cannot be read are
// done already, with their error) in the sort order of the view.
func prepare(names, labels []string, srcs []batchSource, sortBy string, asc bool) *batchTable {
	rows := make([]BatchRow, len(names))
	for i, n := range names {
		var label string
		if labels != nil {
			label = labels[i]
		} else {
			label = LabelFromPath(n)
		}
		rows[i] = BatchRow{Name: n, Label: label, Score: math.NaN()}
		if srcs[i].err != "" || !srcs[i].readable() {
			rows[i].Done, rows[i].Err = true, orText(srcs[i].err, "could not be read")
		}
	}
	return newBatchTable(rows, sortBy, asc)
}

// yieldTask lets the page's event loop run (timers, input, a frame) before
// the goroutine goes on: Go's scheduler otherwise runs every ready
// goroutine in the task that woke it.
func yieldTask() { time.Sleep(time.Millisecond) }

// begin shows a prepared batch and sends its images to the workers, on the
// UI goroutine, unless another batch (or a new model) came since start.
func (b *BatchView) begin(gen int, started time.Time, tab *batchTable, srcs []batchSource) {
	sess, pool, _ := b.host.batchEnv()
	if gen != b.gen || sess == nil {
		return
	}
	if tab.sortBy != b.sortBy || tab.asc != b.sortAsc { // a header clicked meanwhile
		tab.resort(b.sortBy, b.sortAsc)
	}
	rows := tab.rows
	b.tab, b.preparing = tab, 0
	b.srcs = srcs
	b.filter = batchFilter{}
	b.scrollToTop()
	b.firstPaint = true
	b.rocPts, b.rocVersion = nil, 0
	b.state, b.started, b.workers = "running", started, pool.sizeOrZero()
	b.pendingMu.Lock()
	b.pending, b.pendingGen = nil, gen
	b.pendingMu.Unlock()
	switch {
	case b.tab.done == len(rows):
		b.finish()
	case pool != nil:
		jobs := make([]PoolJob, 0, len(rows))
		for i := range rows {
			if !rows[i].Done {
				jobs = append(jobs, PoolJob{ID: i, Name: rows[i].Name, Blob: srcs[i].blob, Bytes: srcs[i].bytes})
			}
		}
		pool.Run(jobs, func(r PoolResult) {
			b.queue(gen, batchUpdate{row: r.ID, score: r.Score, thumb: r.Thumb, err: strings.TrimPrefix(r.Err, "preprocess: ")})
		})
	default:
		go b.runOnPage(gen, sess, rows, srcs)
	}
	if b.Mounted() {
		b.Update() // started from the page's own handlers too
	}
}

func orText(s, alt string) string {
	if s == "" {
		return alt
	}
	return s
}

// runOnPage is the batch without workers: each image read, decoded and
// scored on the page's thread, with a pause between images.
func (b *BatchView) runOnPage(gen int, sess *Session, rows []BatchRow, srcs []batchSource) {
	for i := range rows {
		if rows[i].Done {
			continue
		}
		if b.currentGen() != gen {
			return
		}
		u := batchUpdate{row: i, score: math.NaN()}
		src := srcs[i].bytes
		var err error
		if src == nil {
			src, err = readFile(srcs[i].blob)
		}
		if err == nil {
			u.score, u.thumb, err = sess.ScoreThumb(src)
		}
		if err != nil {
			u.err = err.Error()
		}
		b.queue(gen, u)
		time.Sleep(time.Millisecond) // yield to the browser
	}
}

// currentGen reads the batch generation from another goroutine.
func (b *BatchView) currentGen() int {
	b.pendingMu.Lock()
	defer b.pendingMu.Unlock()
	return b.pendingGen
}

// cancel stops the running batch: queued images are dropped, results still
// in flight are ignored.
func (b *BatchView) cancel() {
	if b.state != "running" {
		return
	}
	if _, pool, _ := b.host.batchEnv(); pool != nil {
		pool.Cancel()
	}
	b.pendingMu.Lock()
	b.pendingGen = -1
	b.pending = nil
	b.pendingMu.Unlock()
	b.state, b.finished, b.firstPaint = "cancelled", time.Now(), false
	b.rocVersion = -1
}

// flushEvery is the shortest time between two updates of the table while
// a batch runs: redrawing the rows in view at 60 frames a second would cost
// the page more than the images themselves (the rows shift as results
// arrive, so every update rewrites all of them).
const flushEvery = 150 * time.Millisecond

// queue collects a result (in a worker's message callback or the on-page
// loop) and asks for one flush: in the first animation frame once
// flushEvery has passed since the last one.
func (b *BatchView) queue(gen int, u batchUpdate) {
	b.pendingMu.Lock()
	if gen != b.pendingGen {
		b.pendingMu.Unlock()
		return
	}
	b.pending = append(b.pending, u)
	schedule := !b.flushQueued
	b.flushQueued = true
	wait := flushEvery - time.Since(b.lastFlush)
	b.pendingMu.Unlock()
	if schedule {
		app.Window().Call("setTimeout", b.onTimer, max(0, wait.Milliseconds()))
	}
}

// frameSoon waits for the next frame, or, should frames not come (a hidden
// tab), flush anyway a little later.
func (b *BatchView) frameSoon() {
	w := app.Window()
	w.Call("requestAnimationFrame", b.onFrame)
	w.Call("setTimeout", b.onFrame, 250)
}

// flushSoon runs in the frame (or timer) callback: the results queued since
// the last frame go to the table in one update of this component.
func (b *BatchView) flushSoon() {
	b.pendingMu.Lock()
	// A fallback timer of an earlier frame may fire early: the results
	// queued since then have their own frame coming.
	if !b.flushQueued || time.Since(b.lastFlush) < flushEvery-10*time.Millisecond {
		b.pendingMu.Unlock()
		return
	}
	us, gen := b.pending, b.pendingGen
	b.pending, b.flushQueued, b.lastFlush = nil, false, time.Now()
	b.pendingMu.Unlock()
	b.ctx.Dispatch(func(ctx app.Context) {
		if gen != b.gen || b.tab == nil || b.state != "running" {
			return
		}
		b.tab.apply(us)
		b.firstPaint = false
		if b.tab.done == len(b.tab.rows) {
			b.finish()
		}
	})
}

func (b *BatchView) finish() {
	b.state, b.finished, b.firstPaint = "done", time.Now(), false
}
