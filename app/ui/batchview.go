package ui

import (
	"fmt"
	"github.com/ganomaly-go/ganomaly/modelfile"
	"math"
	"strings"
	"time"

	"github.com/maxence-charriere/go-app/v9/pkg/app"
)

// maxKeptBytes bounds the file bytes the batch view keeps so that a row can
// be opened in the single-image view (a thousand phone photos would not fit).
const maxKeptBytes = 256 << 20

// startBatch scores several images: in the worker pool when there is one,
// otherwise on the page one image at a time, yielding between images so the
// page keeps painting.
func (d *Demo) startBatch(ctx app.Context, names, labels []string, srcs [][]byte) {
	if d.sess == nil {
		d.err = "The model is still loading; try again in a moment."
		return
	}
	if !d.poolStarted {
		// The workers start on demand (see ensurePool); the batch follows.
		d.view = viewBatch
		d.ensurePool(ctx, func(ctx app.Context) { d.startBatch(ctx, names, labels, srcs) })
		return
	}
	d.batchGen++
	gen := d.batchGen
	d.view = viewBatch
	d.rows = make([]BatchRow, len(names))
	d.rowSrc = map[string][]byte{}
	d.batchDone = 0
	kept := 0
	for i, n := range names {
		d.rows[i] = BatchRow{Name: n, Label: labels[i], Score: math.NaN()}
		if srcs[i] == nil {
			d.rows[i].Done, d.rows[i].Err = true, "could not be read"
			d.batchDone++
			continue
		}
		if kept+len(srcs[i]) <= maxKeptBytes {
			d.rowSrc[n] = srcs[i]
			kept += len(srcs[i])
		}
	}
	sess := d.sess
	finish := func(name string, score float64, x []float32, errMsg string) {
		d.queueResult(batchResult{gen: gen, name: name, score: score, x: x, err: errMsg, meta: sess.Meta})
	}
	if d.pool != nil {
		for i, n := range names {
			if srcs[i] == nil {
				continue
			}
			d.pool.Score(n, srcs[i], func(r PoolResult) {
				msg := r.Err
				if msg != "" {
					msg = strings.TrimPrefix(msg, "preprocess: ")
				}
				finish(r.Name, r.Score, r.X, msg)
			})
		}
		return
	}
	ctx.Async(func() {
		for i, n := range names {
			if srcs[i] == nil {
				continue
			}
			x, err := sess.Prepare(srcs[i])
			if err != nil {
				finish(n, math.NaN(), nil, err.Error())
				continue
			}
			r, err := sess.Model.Forward(x)
			if err != nil {
				finish(n, math.NaN(), nil, err.Error())
			} else {
				finish(n, r.Score, x, "")
			}
			time.Sleep(time.Millisecond) // yield to the browser
		}
	})
}

// batchResult is one finished image waiting to be shown.
type batchResult struct {
	gen   int
	name  string
	score float64
	x     []float32
	err   string
	meta  modelfile.Metadata
}

// batchFlushEvery bounds how often results reach the table: redrawing a
// table of hundreds of rows for every image would cost more than scoring.
const batchFlushEvery = 100 * time.Millisecond

// queueResult collects a result (from any goroutine) and schedules one
// redraw for everything that arrives within batchFlushEvery.
func (d *Demo) queueResult(r batchResult) {
	d.pendingMu.Lock()
	d.pending = append(d.pending, r)
	schedule := !d.flushQueued
	d.flushQueued = true
	d.pendingMu.Unlock()
	if !schedule {
		return
	}
	go func() {
		time.Sleep(batchFlushEvery)
		d.dispatch(func(ctx app.Context) {
			d.pendingMu.Lock()
			results := d.pending
			d.pending, d.flushQueued = nil, false
			d.pendingMu.Unlock()
			index := map[string][]int{}
			for i, r := range d.rows {
				if !r.Done {
					index[r.Name] = append(index[r.Name], i)
				}
			}
			for _, res := range results {
				if res.gen != d.batchGen || len(index[res.name]) == 0 {
					continue
				}
				i := index[res.name][0]
				index[res.name] = index[res.name][1:]
				r := &d.rows[i]
				r.Done, r.Score, r.Err = true, res.score, res.err
				if res.err == "" {
					r.Thumb = TensorURL(res.x, res.meta)
				}
				d.batchDone++
			}
		})
	}()
}

func (d *Demo) onSort(col string) app.EventHandler {
	return func(ctx app.Context, e app.Event) {
		if d.sortBy == col {
			d.sortAsc = !d.sortAsc
		} else {
			d.sortBy, d.sortAsc = col, col == "name"
		}
	}
}

func (d *Demo) onCSV(ctx app.Context, e app.Event) {
	download("ganomaly-scores.csv", "text/csv", BatchCSV(d.sortedRows(), d.threshold))
}

func (d *Demo) onOpenRow(name string) app.EventHandler {
	return func(ctx app.Context, e app.Event) {
		if b, ok := d.rowSrc[name]; ok {
			d.scoreOne(ctx, name, b)
		}
	}
}

func (d *Demo) sortedRows() []BatchRow {
	rows := append([]BatchRow(nil), d.rows...)
	SortRows(rows, d.sortBy, d.sortAsc)
	return rows
}

func (d *Demo) renderBatch() app.UI {
	if len(d.rows) == 0 {
		return app.Div().Class("panel").Body(
			app.H2().Text("Batch"),
			app.P().Text("Choose, drop or paste several images at once, or score every sample image. Folders named 0.normal and 1.abnormal (or normal/abnormal) give labels, and then the ROC curve and AUROC are computed live."),
			app.Button().Class("primary").Text("Score all sample images").OnClick(d.onGalleryBatch).Disabled(len(d.galleryFor()) == 0 || d.poolStarting),
			app.If(d.poolStarting, app.P().Class("muted").Text("Starting the Web Workers…")),
		)
	}
	rows := d.sortedRows()
	total := len(rows)
	arrow := func(col string) string {
		if d.sortBy != col {
			return ""
		}
		if d.sortAsc {
			return " ▲"
		}
		return " ▼"
	}
	th := func(col, label string) app.UI {
		return app.Th().Body(app.Button().Class("sort").Text(label+arrow(col)).OnClick(d.onSort(col), col).Aria("label", "sort by "+label))
	}
	var anomalous int
	for _, r := range rows {
		if r.Done && r.Err == "" && Verdict(r.Score, d.threshold) == "anomalous" {
			anomalous++
		}
	}
	progress := app.Div()
	if d.batchDone < total {
		workers := "on the page"
		if d.pool != nil {
			workers = fmt.Sprintf("in %d Web Workers", d.pool.Size())
		}
		progress = app.Div().Class("progress").Body(
			app.Progress().Max(total).Value(d.batchDone),
			app.Span().Text(fmt.Sprintf(" scoring %d of %d %s…", d.batchDone, total, workers)),
		)
	}
	var roc app.UI = app.Div()
	if pts, auc, ok := BatchROC(rows); ok {
		roc = app.Div().Class("roc-box").Body(
			app.Raw(ROCSVG(pts, auc, nil, "this batch:")),
			app.P().Class("muted").Text("Computed live from the labelled images of this batch."),
		)
	}
	return app.Div().Class("panel").Body(
		app.H2().Text("Batch"),
		progress,
		app.Div().Class("batch-head").Body(
			app.Span().Text(fmt.Sprintf("%d images · %d anomalous at threshold %s", total, anomalous, formatTick(d.threshold))),
			app.Button().Text("Download CSV").OnClick(d.onCSV),
			app.Button().Text("Score all sample images").OnClick(d.onGalleryBatch).Disabled(len(d.galleryFor()) == 0),
		),
		app.Div().Class("batch-body").Body(
			app.Table().Class("batch").DataSet("testid", "batch-table").Body(
				app.THead().Body(app.Tr().Body(
					app.Th().Text("image"), th("name", "name"), th("label", "label"), th("score", "score"), th("verdict", "verdict"),
				)),
				app.TBody().Body(app.Range(rows).Slice(func(i int) app.UI {
					r := rows[i]
					var thumb app.UI = app.Span().Class("thumb")
					if r.Thumb != "" {
						thumb = app.Img().Class("thumb").Src(r.Thumb).Alt("")
					}
					score, exact, verdict, cls := "…", "", "", ""
					switch {
					case r.Err != "":
						score, verdict, cls = "–", "error: "+r.Err, "error-row"
					case r.Done:
						score, exact, verdict = ShortScore(r.Score), FormatScore(r.Score), Verdict(r.Score, d.threshold)
						cls = verdict
					}
					name := app.Span().Text(r.Name)
					if _, ok := d.rowSrc[r.Name]; ok && r.Done && r.Err == "" {
						name = app.Span().Body(app.Button().Class("link").Text(r.Name).OnClick(d.onOpenRow(r.Name), r.Name).Title("open in the single-image view"))
					}
					return app.Tr().Class(cls).Body(
						app.Td().Body(thumb), app.Td().Body(name), app.Td().Text(r.Label),
						app.Td().Class("num").DataSet("score", exact).Title(exact).Text(score), app.Td().Class("verdict-cell").Text(verdict),
					)
				})),
			),
			roc,
		),
	)
}
