package ui

import (
	"fmt"
	"math"
	"strconv"
	"sync"
	"time"

	"github.com/ganomaly-go/ganomaly/modelfile"
	"github.com/maxence-charriere/go-app/v9/pkg/app"
)

// BatchView is the batch view: a component with its own state (rows, sort,
// filter, scroll position, the run in progress), always mounted so that a
// batch keeps running while another view is shown. It reaches the rest of
// the page through batchHost only.
//
// The table is virtualised: only the rows in view (and a margin) are
// rendered, so a frame costs the same at 30 rows and at 10,000. Results are
// queued by the workers' message callbacks and applied in an animation frame
// at most every flushEvery (batchrun.go).
type BatchView struct {
	app.Compo

	host    batchHost
	ctx     app.Context // the component's own context, for updates from callbacks
	visible bool

	tab     *batchTable
	srcs    []batchSource // per row: where to read it to open it in the single view
	sortBy  string
	sortAsc bool
	filter  batchFilter
	top     int // first row in view (virtual scrolling)
	inView  int // rows that fit in the scroll box
	// firstPaint: a new batch's table is drawn with the rows in view only,
	// its margins (rowMargin) come with the first results, a scroll or the
	// end: mounting rows is most of the cost of that first frame.
	firstPaint bool
	preparing  int // images of a batch being prepared (its table is not drawn yet)

	gen      int    // bumps on every new batch so late results of an old one are dropped
	state    string // "", "running", "done", "cancelled"
	workers  int    // Web Workers of the run (0: on the page)
	started  time.Time
	finished time.Time

	pendingMu   sync.Mutex // guards pending and flushQueued (written in message callbacks)
	pending     []batchUpdate
	pendingGen  int
	flushQueued bool
	lastFlush   time.Time
	onFrame     app.Func // flushes (in an animation frame)
	onTimer     app.Func // asks for the frame
	scrolled    app.Func // the table's scroll listener
	clicked     app.Func // the rows' click listener (opening a row)

	rocPts     []modelfile.ROCPoint
	rocAt      time.Time
	rocVersion int
}

// batchHost is what the batch view needs from the page.
type batchHost interface {
	// batchEnv is the loaded model, the worker pool (nil: score on the page)
	// and the threshold of the verdicts.
	batchEnv() (sess *Session, pool *Pool, threshold float64)
	// workersStarting reports Web Workers still starting (a batch waits).
	workersStarting() bool
	// sampleBatch is the labelled sample images suited to the model.
	sampleBatch() (names, labels []string, srcs []batchSource)
	// runBatch starts a batch once the workers are there (start; labels
	// nil: those of the names' folders).
	runBatch(ctx app.Context, names, labels []string, srcs []batchSource)
	// openRow shows one image in the single-image view, or says why it
	// could not be read.
	openRow(ctx app.Context, name string, b []byte, err error)
}

// batchSource is where a row's image comes from: a File or Blob of the
// page (read by the worker, never copied into the page), or bytes already in
// memory (the sample images), or nothing when it could not be read.
type batchSource struct {
	blob  app.Value
	bytes []byte
	err   string
}

func (s batchSource) readable() bool { return s.bytes != nil || s.blob != nil && s.blob.Truthy() }

// Rows in view and rendering margins: every row is rowHeight pixels high
// (web/app.css), and margin rows are rendered above and below the visible
// ones so that scrolling shows rows already drawn.
const (
	rowHeight   = 44
	rowMargin   = 20
	defaultView = 15
)

func newBatchView(h batchHost) *BatchView {
	return &BatchView{host: h, sortBy: "score", inView: defaultView}
}

// OnMount keeps the component's context and creates the frame callbacks.
func (b *BatchView) OnMount(ctx app.Context) {
	b.ctx = ctx
	b.onFrame = app.FuncOf(func(app.Value, []app.Value) any { b.flushSoon(); return nil })
	b.onTimer = app.FuncOf(func(app.Value, []app.Value) any { b.frameSoon(); return nil })
	// Scroll events do not bubble: listen in the capture phase.
	b.scrolled = app.FuncOf(func(this app.Value, args []app.Value) any {
		if t := args[0].Get("target"); t.Truthy() && t.Get("id").String() == "batch-scroll" {
			b.onScroll(t)
		}
		return nil
	})
	app.Window().Get("document").Call("addEventListener", "scroll", b.scrolled, true)
	// One listener for every row's name button instead of a go-app handler
	// on each: a handler is bound to its row, and the rows in view change at
	// every update while a batch runs (results are sorted in), so go-app
	// would unbind and bind one JavaScript function per row every time.
	b.clicked = app.FuncOf(func(this app.Value, args []app.Value) any {
		t := args[0].Get("target")
		if !t.Truthy() || !t.Get("closest").Truthy() {
			return nil
		}
		if btn := t.Call("closest", "#batch-scroll button[data-open]"); btn.Truthy() {
			if k, err := strconv.Atoi(btn.Get("dataset").Get("open").String()); err == nil {
				b.ctx.Dispatch(func(ctx app.Context) { b.openRow(ctx, k) })
			}
		}
		return nil
	})
	app.Window().Get("document").Call("addEventListener", "click", b.clicked)
}

// OnDismount releases the callbacks.
func (b *BatchView) OnDismount() {
	if b.onFrame != nil {
		app.Window().Get("document").Call("removeEventListener", "scroll", b.scrolled, true)
		app.Window().Get("document").Call("removeEventListener", "click", b.clicked)
		b.clicked.Release()
		b.onFrame.Release()
		b.onTimer.Release()
		b.scrolled.Release()
	}
}

// setVisible shows or hides the view (the page's tabs); showing redraws it
// with the page's current threshold.
func (b *BatchView) setVisible(v bool) {
	if b.visible == v {
		return
	}
	b.visible = v
	if b.Mounted() {
		b.Update()
	}
}

// reset drops the batch (a new model was loaded).
func (b *BatchView) reset() {
	b.cancel()
	b.gen++ // a batch still being prepared is dropped too
	b.tab, b.srcs, b.state, b.preparing = nil, nil, "", 0
	if b.Mounted() {
		b.Update()
	}
}

// Render draws the view; while hidden, only the run's state (the root's
// data-state, data-done and data-total, as on batch-progress).
func (b *BatchView) Render() app.UI {
	root := app.Div().Class("batch-view").Hidden(!b.visible)
	if b.tab != nil {
		root = root.DataSet("state", b.state).DataSet("done", b.tab.done).DataSet("total", len(b.tab.rows))
	}
	if !b.visible {
		return root
	}
	sess, pool, threshold := b.host.batchEnv()
	if b.tab == nil && b.preparing > 0 {
		return root.Body(app.Div().Class("panel").Body(
			app.H2().Text("Batch"),
			app.P().Aria("live", "polite").Text(fmt.Sprintf("Reading %d images…", b.preparing)),
		))
	}
	if b.tab == nil || len(b.tab.rows) == 0 {
		return root.Body(app.Div().Class("panel").Body(
			app.H2().Text("Batch"),
			app.P().Text("Choose, drop or paste several images at once, or a folder, or score every sample image. Folders named 0.normal and 1.abnormal (or normal/abnormal) give labels, and then the ROC curve and AUROC are computed live."),
			app.Button().Class("primary").Text("Score all sample images").OnClick(b.onSamples).Disabled(sess == nil || b.host.workersStarting()),
			app.If(b.host.workersStarting(), app.P().Class("muted").Text("Starting the Web Workers…")),
		))
	}
	t := b.tab
	total := len(t.rows)
	view := t.filtered(b.filter, threshold)
	margin := rowMargin
	if b.firstPaint {
		margin = 0
	}
	top := max(0, min(b.top, len(view)-1))
	first := max(0, top-margin)
	last := min(len(view), top+b.inView+margin)
	return root.Body(app.Div().Class("panel").Body(
		app.H2().Text("Batch"),
		b.renderProgress(pool),
		app.Div().Class("batch-head").Body(
			app.Span().Text(fmt.Sprintf("%d images · %d anomalous at threshold %s", total, t.anomalous(threshold), formatTick(threshold))),
			app.Label().Class("filter").Body(
				app.Text("show "),
				app.Select().DataSet("testid", "batch-filter").OnChange(b.onVerdictFilter).Body(
					filterOption("", "all", b.filter.verdict), filterOption("anomalous", "anomalous", b.filter.verdict),
					filterOption("normal", "normal", b.filter.verdict), filterOption("error", "errors", b.filter.verdict),
					filterOption("pending", "not scored", b.filter.verdict),
				),
			),
			app.Input().Type("search").Placeholder("filter by name").Value(b.filter.name).DataSet("testid", "batch-search").OnInput(b.onNameFilter).Aria("label", "filter by name"),
			app.If(len(view) != total, app.Span().Class("muted").Text(fmt.Sprintf("%d shown", len(view)))),
			app.Button().Text("Download CSV").OnClick(b.onCSV).Title("every row, in the table's order"),
			app.Button().Text("Score all sample images").OnClick(b.onSamples).Disabled(sess == nil),
		),
		app.Div().Class("batch-body").Body(
			app.Div().Class("batch-scroll").ID("batch-scroll").Body(
				app.Div().Class("spacer").Style("height", strconv.Itoa(first*rowHeight)+"px"),
				app.Table().Class("batch").DataSet("testid", "batch-table").
					DataSet("rows", len(view)).DataSet("filter", b.filter.verdict+"|"+b.filter.name).DataSet("sort", b.sortBy+map[bool]string{true: "+", false: "-"}[b.sortAsc]).Body(
					app.THead().Body(app.Tr().Body(
						app.Th().Class("c-thumb").Text("image"), b.th("name", "name", "c-name"), b.th("label", "label", "c-label"),
						b.th("score", "score", "c-score"), b.th("verdict", "verdict", "c-verdict"),
					)),
					app.TBody().Body(app.Range(view[first:last]).Slice(func(i int) app.UI {
						return b.renderRow(int(view[first+i]), threshold)
					})),
				),
				app.Div().Class("spacer").Style("height", strconv.Itoa((len(view)-last)*rowHeight)+"px"),
			),
			b.renderROC(),
		),
	))
}

func filterOption(v, label, cur string) app.UI {
	return app.Option().Value(v).Text(label).Selected(v == cur)
}

func (b *BatchView) th(col, label, cls string) app.UI {
	arrow := ""
	if b.sortBy == col {
		arrow = map[bool]string{true: " ▲", false: " ▼"}[b.sortAsc]
	}
	return app.Th().Class(cls).Body(app.Button().Class("sort").Text(label+arrow).OnClick(b.onSort(col), col).Aria("label", "sort by "+label))
}

// renderProgress is the run's state (data-testid=batch-progress: data-state
// running, done or cancelled; data-done and data-total), its speed and the
// cancel button.
func (b *BatchView) renderProgress(pool *Pool) app.UI {
	t := b.tab
	total := len(t.rows)
	end := time.Now()
	if b.state != "running" {
		end = b.finished
	}
	secs := end.Sub(b.started).Seconds()
	rate := ""
	if secs > 0 && t.done > 0 {
		rate = fmt.Sprintf(" · %.0f images/s", float64(t.done)/secs)
	}
	where := "on the page"
	if b.workers > 0 {
		where = fmt.Sprintf("in %d Web Workers", b.workers)
	}
	div := app.Div().Class("progress").DataSet("testid", "batch-progress").DataSet("state", b.state).
		DataSet("done", t.done).DataSet("total", total)
	switch b.state {
	case "running":
		return div.Body(
			app.Progress().Max(total).Value(t.done),
			app.Span().Text(fmt.Sprintf(" scoring %d of %d %s%s…", t.done, total, where, rate)),
			app.Button().Class("small").Text("Cancel").DataSet("testid", "batch-cancel").OnClick(b.onCancel),
		)
	case "cancelled":
		return div.Body(app.Span().Text(fmt.Sprintf("Cancelled: %d of %d images scored%s.", t.done, total, rate)))
	}
	return div.Body(app.Span().Class("muted").Text(fmt.Sprintf("%d images scored %s in %.1f s%s.", t.done, where, secs, rate)))
}

func (b *BatchView) renderRow(k int, threshold float64) app.UI {
	r := &b.tab.rows[k]
	var thumb app.UI = app.Span().Class("thumb")
	if len(r.Thumb) > 0 {
		thumb = app.Img().Class("thumb").Src(pngURL(r.Thumb)).Alt("")
	}
	score, verdict, cls, title := "…", "", "", ""
	switch {
	case r.Err != "":
		score, verdict, cls, title = "–", "error: "+r.Err, "error-row", r.Err
	case r.Done:
		score, verdict = ShortScore(r.Score), Verdict(r.Score, threshold)
		cls = verdict
	case b.state == "cancelled":
		score, verdict = "–", "not scored (cancelled)"
	}
	var name app.UI = app.Span().Text(r.Name).Title(r.Name)
	if r.scored() && k < len(b.srcs) && b.srcs[k].readable() {
		name = app.Button().Class("link").Text(r.Name).DataSet("open", k).Title("open " + r.Name + " in the single-image view") // OnMount's listener
	}
	scoreCell := app.Td().Class("num").Text(score)
	if r.scored() {
		scoreCell = scoreCell.DataSet("score", FormatScore(r.Score)).Title(FormatScore(r.Score))
	}
	return app.Tr().Class(cls).DataSet("row", k).Body(
		app.Td().Body(thumb), app.Td().Class("c-name").Body(name), app.Td().Text(r.Label),
		scoreCell, app.Td().Class("verdict-cell").Text(verdict).Title(title),
	)
}

// rocEvery bounds how often the live ROC curve is redrawn while a batch runs
// (the AUROC beside it is always current).
const rocEvery = 250 * time.Millisecond

func (b *BatchView) renderROC() app.UI {
	t := b.tab
	auc := t.roc.AUROC()
	if math.IsNaN(auc) {
		return app.Div()
	}
	if t.version != b.rocVersion && (b.state != "running" || time.Since(b.rocAt) > rocEvery || b.rocPts == nil) {
		b.rocPts, b.rocAt, b.rocVersion = t.roc.Curve(1.0/500), time.Now(), t.version
	}
	pos, neg := t.roc.Counts()
	return app.Div().Class("roc-box").Body(
		app.Raw(ROCSVG(b.rocPts, auc, nil, "this batch:")),
		app.P().Class("muted").Text(fmt.Sprintf("Computed live from the %d labelled images of this batch (%d normal, %d anomalous).", pos+neg, neg, pos)),
	)
}

func (b *BatchView) onSort(col string) app.EventHandler {
	return func(ctx app.Context, e app.Event) {
		if b.sortBy == col {
			b.sortAsc = !b.sortAsc
		} else {
			b.sortBy, b.sortAsc = col, col == "name"
		}
		if b.tab != nil {
			b.tab.resort(b.sortBy, b.sortAsc)
		}
	}
}

func (b *BatchView) onVerdictFilter(ctx app.Context, e app.Event) {
	b.filter.verdict = ctx.JSSrc().Get("value").String()
	b.scrollToTop()
}

func (b *BatchView) onNameFilter(ctx app.Context, e app.Event) {
	b.filter.name = ctx.JSSrc().Get("value").String()
	b.scrollToTop()
}

// scrollToTop shows the first rows (a new batch, a new filter).
func (b *BatchView) scrollToTop() {
	b.top = 0
	if el := app.Window().GetElementByID("batch-scroll"); el.Truthy() {
		el.Set("scrollTop", 0)
	}
}

// onScroll moves the rendered window when the table scrolls. It is a plain
// JavaScript listener (see OnMount): a go-app handler would redraw the whole
// page on every scroll event, and skipping a redraw there (PreventUpdate)
// also cancels one already due in the same frame.
func (b *BatchView) onScroll(el app.Value) {
	top := max(0, el.Get("scrollTop").Int()/rowHeight)
	inView := max(defaultView, el.Get("clientHeight").Int()/rowHeight+1)
	if top == b.top && inView == b.inView && !b.firstPaint {
		return
	}
	b.ctx.Dispatch(func(ctx app.Context) { b.top, b.inView, b.firstPaint = top, inView, false })
}

func (b *BatchView) onCSV(ctx app.Context, e app.Event) {
	if b.tab == nil {
		return
	}
	_, _, threshold := b.host.batchEnv()
	download("ganomaly-scores.csv", "text/csv", BatchCSV(b.tab.sorted(), threshold))
}

// openRow opens row k (a click on its name) in the single-image view.
func (b *BatchView) openRow(ctx app.Context, k int) {
	if b.tab == nil || k < 0 || k >= len(b.tab.rows) || k >= len(b.srcs) {
		return
	}
	src, name := b.srcs[k], b.tab.rows[k].Name
	if src.bytes != nil {
		b.host.openRow(ctx, name, src.bytes, nil)
		return
	}
	ctx.Async(func() {
		bs, err := readFile(src.blob)
		b.ctx.Dispatch(func(ctx app.Context) {
			b.host.openRow(ctx, name, bs, err)
		})
	})
}

func (b *BatchView) onSamples(ctx app.Context, e app.Event) {
	names, labels, srcs := b.host.sampleBatch()
	b.host.runBatch(ctx, names, labels, srcs)
}

func (b *BatchView) onCancel(ctx app.Context, e app.Event) { b.cancel() }

// scoreRange is the lowest and highest score of the batch (NaN when none),
// for the threshold slider's range.
func (b *BatchView) scoreRange() (lo, hi float64) {
	if b == nil || b.tab == nil {
		return math.NaN(), math.NaN()
	}
	return b.tab.lo, b.tab.hi
}
