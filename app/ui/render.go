package ui

import (
	"fmt"
	"math"
	"strings"

	"github.com/ganomaly-go/ganomaly/modelfile"
	"github.com/ganomaly-go/ganomaly/preprocess"
	"github.com/maxence-charriere/go-app/v9/pkg/app"
)

// Render draws the page.
func (d *Demo) Render() app.UI {
	d.batchView().setVisible(d.view == viewBatch)
	cls := "page"
	if d.large {
		cls += " large"
	}
	return app.Div().Class(cls).OnDragOver(d.onDragOver).OnDrop(d.onDrop).Body(
		app.Header().Class("top").Body(
			app.Div().Class("title").Body(
				app.Img().Src("/web/icon-192.png").Alt("").Class("logo"),
				app.Div().Body(
					app.H1().Text("GANomaly in your browser"),
					app.P().Class("muted").Text("An anomaly detector trained only on normal images judges yours — entirely on this page, nothing is uploaded."),
				),
			),
			d.renderPicker(),
		),
		app.Nav().Class("tabs").Aria("label", "views").Body(
			d.tab(viewSingle, "Single image"),
			d.tab(viewBatch, "Batch"),
			d.tab(viewLab, "Lab: how it works"),
			d.trainTab(),
			app.Button().Class("tab toggle").Text(map[bool]string{false: "Larger text", true: "Normal text"}[d.large]).OnClick(d.onLarge).Aria("pressed", d.large).Disabled(!d.live),
		),
		// Everything but the header, the tabs and the footer sits in main:
		// content outside landmarks is lost to screen-reader navigation.
		// Its children keep their places (conditional parts sit inside fixed
		// elements): go-app would otherwise replace, and so remount, the
		// batch view, which is mounted once and stays mounted (hidden) while
		// another view is shown, so that a batch keeps running.
		app.Main().Body(
			d.renderError(),
			d.renderAbout(),
			app.Div().Class("input-strip").Body(
				app.Label().Class("file-button").Body(
					app.Text("Choose images…"),
					app.Input().Type("file").Multiple(true).Accept("image/*,"+strings.Join(preprocess.ImageExts, ",")).DataSet("testid", "file-input").OnChange(d.onFiles).Disabled(!d.live),
				),
				app.Label().Class("file-button").Title("a folder with 0.normal and 1.abnormal subfolders gives labels and a live ROC").Body(
					app.Text("Choose a folder…"),
					app.Input().Type("file").Multiple(true).Attr("webkitdirectory", "").DataSet("testid", "folder-input").OnChange(d.onFolder).Disabled(!d.live),
				),
				app.Span().Class("muted").Text("or drop images or folders anywhere on the page, or paste (Ctrl+V). One image opens here; several go to the batch view."),
			),
			app.Div().Class("banners").Body(
				app.If(d.startError != "", app.Div().Class("banner error-banner").Text("The demo could not start: "+d.startError)),
				app.If(!d.ready && d.startError == "", app.Div().Class("banner").Text("Loading the engine and the model…")),
			),
			app.Div().Class("view-slot").Body(d.renderView()),
			d.batchView(),
		),
		app.Footer().Class("muted").Body(
			app.Text("GANomaly (Akcay et al., ACCV 2018) re-implemented in Go; the same engine runs in the command-line tool, so scores here equal "),
			app.Code().Text("ganomaly score"),
			app.Text("'s."),
		),
	)
}

// renderView draws the current view only (app.If would build all three
// trees on every update, the lab's with its feature maps); the batch view is
// a component of its own, always there (d.batchView).
func (d *Demo) renderView() app.UI {
	switch d.view {
	case viewBatch:
		return app.Div()
	case viewLab:
		return d.renderLab()
	case viewTrain:
		return d.renderTrain()
	}
	return d.renderSingle()
}

func (d *Demo) tab(v, label string) app.UI {
	cls := "tab"
	if d.view == v {
		cls += " active"
	}
	return app.Button().Class(cls).Text(label).OnClick(d.onView(v), v).Aria("current", d.view == v).Disabled(!d.live)
}

func (d *Demo) renderError() app.UI {
	if d.err == "" {
		return app.Div().Class("no-error")
	}
	return app.Div().Class("banner error-banner").Aria("live", "assertive").Body(
		app.Span().DataSet("testid", "error").Text(d.err),
		app.Button().Class("dismiss").Text("×").Aria("label", "dismiss").OnClick(d.onDismissError),
	)
}

func (d *Demo) renderPicker() app.UI {
	var info app.UI = app.Div().Class("model-info muted").Text(d.modelBusy)
	if d.sess != nil {
		m := d.sess.Meta
		info = app.Div().Class("model-info").Body(
			app.Div().Body(app.B().Text(d.sess.Name), app.Text(" — "+Describe(m))),
			app.Div().Body(app.Text("test AUROC: "), app.B().Text(AUROCText(m))),
			app.If(IsRandomInit(m), app.Div().Class("warn").Text("Placeholder: this model has random weights (never trained), so its verdicts mean nothing yet.")),
			app.If(!d.sess.HasCalibration(), app.Div().Class("warn").Text("This model carries no calibration: set the threshold yourself with the slider.")),
			app.If(d.modelBusy != "", app.Div().Class("muted").Text(d.modelBusy)),
		)
	}
	cur := ""
	if d.sess != nil {
		cur = d.sess.Name
	}
	return app.Div().Class("picker").Body(
		app.Label().For("model-select").Text("Model"),
		app.Select().ID("model-select").OnChange(d.onModelSelect).Disabled(!d.live).Body(
			app.Range(d.models).Slice(func(i int) app.UI {
				m := d.models[i]
				label := m.Name
				if m.AUROC > 0 {
					label += fmt.Sprintf(" · AUROC %.3f", m.AUROC)
				}
				label += fmt.Sprintf(" · %d×%d", m.ISize, m.ISize)
				return app.Option().Value(m.File).Text(label).Selected(m.File == cur)
			}),
			app.If(cur != "" && !d.isBundled(cur), app.Option().Value(cur).Text(cur+" (your file)").Selected(true)),
		),
		app.Label().Class("file-button small").Body(
			app.Text("Open your own model…"),
			app.Input().Type("file").Accept(".safetensors").DataSet("testid", "model-input").OnChange(d.onModelFile).Disabled(!d.live),
		),
		info,
	)
}

func (d *Demo) isBundled(file string) bool {
	for _, m := range d.models {
		if m.File == file {
			return true
		}
	}
	return false
}

func (d *Demo) renderInputs() app.UI {
	grey := d.sess == nil || d.sess.Meta.Arch.NC == 1
	items := d.galleryFor()
	caption := ""
	if d.sess != nil {
		caption = GalleryCaption(d.sess.Meta, items)
	}
	return app.Div().Class("panel inputs").Body(
		app.H2().Text("Pick or draw an image"),
		app.Div().Class("gallery").Body(
			app.Range(items).Slice(func(i int) app.UI {
				it := items[i]
				lbl := d.galleryLabel(it)
				return app.Button().Class("sample "+lbl).OnClick(d.onGallery(it.File), it.File).
					Title(d.sampleTitle(it, lbl)).
					DataSet("testid", "sample").DataSet("class", it.Class).DataSet("label", sampleLabel(lbl)).DataSet("file", it.File).
					Body(app.Img().Src(it.URL).Alt(d.sampleTitle(it, lbl)), app.Span().Text(labelShort(lbl)))
			}),
		),
		app.If(len(items) > 0, app.P().Class("muted").Text(caption)),
		app.If(grey, d.drawArea().Body(
			app.Canvas().ID("draw-canvas").Width(280).Height(280).
				Aria("label", "drawing area: draw a digit with the mouse or a finger"),
			app.Div().Class("draw-buttons").Body(
				app.Button().Text("Clear").OnClick(d.onClearCanvas),
				app.Button().Text("Score drawing").OnClick(d.onScoreCanvas),
			),
			app.P().Class("muted").Text("Draw a digit; it is scored when you lift the pen."),
		)),
		app.If(!grey, app.P().Class("muted").Text("Drawing is offered for grey models only.")),
	)
}

// drawArea is the drawing's container: inert on the pre-rendered page,
// where nothing would answer the pen yet.
func (d *Demo) drawArea() app.HTMLDiv {
	div := app.Div().Class("draw")
	if !d.live {
		div = div.Attr("inert", "").Title("drawing starts once the engine has loaded")
	}
	return div
}

// renderAbout is the current model's title and description, the words its
// exporter was given (or defaults from its dataset).
func (d *Demo) renderAbout() app.UI {
	var w modelfile.About
	switch {
	case d.sess != nil:
		w = d.sess.Meta.Words()
	case len(d.models) > 0 && defaultModel(d.models).Words != nil:
		w = *defaultModel(d.models).Words // before the model is loaded (the pre-rendered page)
	default:
		return app.Section().Class("about")
	}
	return app.Section().Class("about").Aria("live", "polite").Body(
		app.H2().DataSet("testid", "model-title").Text(w.Title),
		app.P().DataSet("testid", "model-description").Text(w.Description),
		app.P().Class("muted classes").Body(
			app.Span().Class("chip normal").Text("normal: "+w.NormalName),
			app.Span().Class("chip abnormal").Text("anomalous: "+w.AbnormalName),
		),
	)
}

// sampleLabel is the data-label of a sample: "normal", "anomalous" or "".
func sampleLabel(lbl string) string {
	if lbl == "abnormal" {
		return "anomalous"
	}
	return lbl
}

// sampleTitle says what a sample is, in the model's words where it has them.
func (d *Demo) sampleTitle(it GalleryItem, lbl string) string {
	what := it.Dataset + " " + it.Class
	if it.Model != "" {
		what = it.Source
	}
	if d.sess != nil && lbl != "" {
		w := d.sess.Meta.Words()
		return what + " (" + map[string]string{"normal": w.NormalName, "abnormal": w.AbnormalName}[lbl] + ")"
	}
	return what + " (" + orDash(lbl) + ")"
}

func orDash(s string) string {
	if s == "" {
		return "–"
	}
	return s
}

func labelShort(l string) string {
	switch l {
	case "normal":
		return "normal"
	case "abnormal":
		return "anomaly"
	}
	return ""
}

func (d *Demo) renderSingle() app.UI {
	return app.Div().Class("single").Body(
		d.renderInputs(),
		d.renderResult(),
	)
}

func (d *Demo) renderResult() app.UI {
	if d.pick != "" && d.cur == nil {
		return app.Div().Class("panel result").Body(
			app.P().Class("pending").DataSet("testid", "pending").Text(strings.ReplaceAll(pendingText, "{name}", "gallery/"+d.pick)),
		)
	}
	if d.sess == nil {
		return app.Div().Class("panel result")
	}
	lo, hi := SliderRange(d.sess.Meta.Calibration, d.scoresSeen()...)
	if d.threshold > hi {
		hi = d.threshold * 1.25
	}
	if d.threshold < lo {
		lo = d.threshold
	}
	d.tLo, d.tHi = lo, hi
	rates := RatesAt(d.sess.Meta.Calibration, d.threshold)
	var rateText []app.UI
	if rates.HasVal {
		rateText = append(rateText, app.Li().Body(app.B().Text(pct(rates.ValFPR)), app.Text(" of held-out normal images score above this threshold (false alarms).")))
	}
	if rates.HasTest {
		rateText = append(rateText,
			app.Li().Body(app.Text("On the labelled test set: "), app.B().Text(pct(rates.TestTPR)), app.Text(" of anomalies caught (true-positive rate) at "), app.B().Text(pct(rates.TestFPR)), app.Text(" false positives.")))
	}
	if len(rateText) == 0 {
		rateText = append(rateText, app.Li().Text("The model carries no calibration, so there are no rates for this threshold."))
	}
	var testROC app.UI = app.Div()
	if c := d.sess.Meta.Calibration; c != nil && c.Test != nil && len(c.Test.ROC) > 0 && rates.HasTest {
		testROC = app.Div().Class("roc-box").Body(
			app.Raw(ROCSVG(c.Test.ROC, c.Test.AUROC, &[2]float64{rates.TestFPR, rates.TestTPR}, "test set:")),
			app.P().Class("muted").Text(fmt.Sprintf("The model's ROC on its labelled test set (%d normal, %d anomalous images); the dot is the current threshold.", c.Test.Normals, c.Test.Anomalies)),
		)
	}
	thresholdBox := app.Div().Class("threshold").Body(
		app.Label().For("threshold").Body(app.Text("Threshold "), app.B().Text(ShortScore(d.threshold))),
		app.Input().ID("threshold").Type("range").DataSet("testid", "threshold").
			Min(0).Max(SliderSteps).Step(0.1).Value(ToSlider(d.threshold, lo, hi)).OnInput(d.onThreshold).
			Aria("valuetext", ShortScore(d.threshold)),
		app.If(d.userSetT && d.sess.HasCalibration(), app.Button().Class("small").Text("back to the calibrated threshold").OnClick(d.onResetThreshold)),
		app.Ul().Class("rates").Body(rateText...),
	)
	if d.cur == nil {
		return app.Div().Class("panel result").Body(
			app.H2().Text("Result"),
			app.P().Class("hint").Text("Pick a sample image, draw a digit, or choose a file: the verdict, the reconstruction and the heat map appear here."),
			app.Div().Class("calib").Body(
				app.Div().Body(app.Raw(HistogramSVG(d.sess.Meta.Calibration, math.NaN(), d.threshold, lo, hi)), thresholdBox),
				testROC,
			),
		)
	}
	a, m := d.cur, d.sess.Meta
	if d.curImages.of != a {
		// Encoded once per analysis, not on every redraw (the slider redraws).
		d.curImages.of = a
		d.curImages.urls = [4]string{TensorURL(a.X, m), TensorURL(a.XHat, m), PNGDataURL(HeatImage(a.Diff, m)), PNGDataURL(OverlayImage(a.X, a.Diff, m))}
	}
	verdict := Verdict(a.Score, d.threshold)
	return app.Div().Class("panel result").Body(
		app.H2().Body(app.Text("Result: "), app.Span().Class("name").Text(a.Name)),
		app.Div().Class("verdict-box "+verdict).Aria("live", "polite").Body(
			app.Span().Class("verdict").DataSet("testid", "verdict").Text(verdict),
			// People read 4 significant digits; the score hook keeps the exact value.
			app.Span().Class("score-line").Body(app.Text("score "), app.Span().Class("score").Title(FormatScore(a.Score)).Text(ShortScore(a.Score)),
				app.Span().Class("sr-only").Aria("hidden", true).DataSet("testid", "score").Text(FormatScore(a.Score))),
			app.Span().Class("muted").Text(fmt.Sprintf("threshold %s", ShortScore(d.threshold))),
		),
		app.Div().Class("images").Body(
			figure(d.curImages.urls[0], "x: the input as the model sees it"),
			figure(d.curImages.urls[1], "x̂: the reconstruction"),
			figure(d.curImages.urls[2], "|x − x̂|: heat map"),
			figure(d.curImages.urls[3], "heat map over x"),
		),
		app.Div().Class("row-buttons").Body(
			app.Button().Text("Download result card (PNG)").OnClick(d.onCard),
			app.Button().Text("Open in the lab").OnClick(d.onView(viewLab)),
		),
		app.H3().Text("Where the score falls among normal images"),
		app.Div().Class("calib").Body(
			app.Div().Body(app.Raw(HistogramSVG(m.Calibration, a.Score, d.threshold, lo, hi)), thresholdBox),
			testROC,
		),
		app.H3().Text("The two latent vectors"),
		app.Raw(LatentSVG(a.LatentI, a.LatentO)),
		app.P().Class("muted").Text("The score is the mean squared distance between E1(x) and E2(x̂). For images like the training data the two codes agree; for anything else the reconstruction drifts and so does its code."),
	)
}

func figure(src, caption string) app.UI {
	return app.Figure().Body(app.Img().Src(src).Alt(caption), app.FigCaption().Text(caption))
}

func pct(v float64) string { return fmt.Sprintf("%.1f%%", 100*v) }

func (d *Demo) scoresSeen() []float64 {
	var s []float64
	if d.cur != nil {
		s = append(s, d.cur.Score)
	}
	if lo, hi := d.batchView().scoreRange(); !math.IsNaN(lo) {
		s = append(s, lo, hi) // SliderRange only looks at the extremes
	}
	return s
}
