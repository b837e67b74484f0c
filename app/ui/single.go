package ui

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/maxence-charriere/go-app/v9/pkg/app"
)

// SingleView is the single-image view: the gallery and the drawing canvas
// to pick an image, and the result of one image (verdict, reconstruction,
// heat maps, the threshold slider with its rates, the result card). A
// component with its own state; it reaches the rest of the page through
// singleHost only, and is mounted while its tab is shown.
type SingleView struct {
	app.Compo

	host   singleHost
	canvas *Canvas

	cur    *Analysis // the image shown, nil before the first
	images struct {
		of   *Analysis // the analysis urls were drawn from
		urls [4]string // x, x̂, heat map, overlay as data URLs
	}
	pick string // gallery file clicked before the model was loaded, scored when it is

	// early: drawn when the site is built (BuildEarlyResults), so its
	// controls are disabled: nothing would answer them.
	early bool

	// The threshold slider. The threshold is the page's: the batch view's
	// verdicts use it too (Threshold).
	threshold float64
	userSetT  bool
	tLo, tHi  float64 // the slider's range, as last drawn
}

// singleHost is what the single-image view needs from the page.
type singleHost interface {
	// session is the loaded model, nil while it loads.
	session() *Session
	// samples is the gallery suited to the model; sampleLabel says whether
	// a sample is "normal", "abnormal" or "" (unknown) for it.
	samples() []GalleryItem
	sampleLabel(it GalleryItem) string
	// show scores an image and shows it here (show), or says why it could
	// not be read (err).
	show(name string, b []byte, err error)
	// fail shows a message in the page's error banner.
	fail(msg string)
	// openLab shows the lab (which looks inside the model for cur).
	openLab()
	// batchScores is the lowest and highest score of the batch view (NaN
	// when none), so that the slider's range covers them.
	batchScores() (lo, hi float64)
}

func newSingleView(h singleHost, c canvasHost) *SingleView {
	return &SingleView{host: h, canvas: newCanvas(c), threshold: math.NaN()}
}

// changed redraws the view after a change from outside its own handlers.
func (s *SingleView) changed() {
	if s.Mounted() {
		s.Update()
	}
}

// current is the image shown (nil before the first): the lab looks into it.
func (s *SingleView) current() *Analysis { return s.cur }

// Threshold is the threshold of every verdict on the page.
func (s *SingleView) Threshold() float64 { return s.threshold }

// show scores an image with sess and shows it. On error the image shown
// before stays.
func (s *SingleView) show(sess *Session, name string, b []byte) error {
	a, err := sess.AnalyzeBytes(name, b)
	if err != nil {
		return err
	}
	s.cur = a
	s.changed()
	return nil
}

// setModel takes a newly loaded model: the threshold from its calibration
// (0 for an uncalibrated one: the user sets it with the slider), and the
// image shown scored again with it. On error no image is shown.
func (s *SingleView) setModel(sess *Session) error {
	defer s.changed()
	s.threshold, s.userSetT = sess.DefaultThreshold(), false
	if math.IsNaN(s.threshold) {
		s.threshold = 0
	}
	if s.cur == nil || s.cur.Source == nil {
		s.cur = nil
		return nil
	}
	a, err := sess.AnalyzeBytes(s.cur.Name, s.cur.Source)
	s.cur = a
	return err
}

// setPick remembers a sample clicked before the model was loaded
// (boot.js's, before the Go program ran).
func (s *SingleView) setPick(file string) {
	s.pick = file
	s.changed()
}

// takePick returns the sample clicked before the model was loaded ("" for
// none) and forgets it.
func (s *SingleView) takePick() string {
	p := s.pick
	s.pick = ""
	return p
}

// Render draws the inputs and the result.
func (s *SingleView) Render() app.UI {
	return app.Div().Class("single").Body(
		s.renderInputs(),
		s.renderResult(),
	)
}

func (s *SingleView) renderInputs() app.UI {
	sess := s.host.session()
	grey := sess == nil || sess.Meta.Arch.NC == 1
	items := s.host.samples()
	caption := ""
	if sess != nil {
		caption = GalleryCaption(sess.Meta, items)
	}
	return app.Div().Class("panel inputs").Body(
		app.H2().Text("Pick or draw an image"),
		app.Div().Class("gallery").Body(
			app.Range(items).Slice(func(i int) app.UI {
				it := items[i]
				lbl := s.host.sampleLabel(it)
				title := sampleTitle(sess, it, lbl)
				return app.Button().Class("sample "+lbl).OnClick(s.onSample(it.File), it.File).
					Title(title).
					DataSet("testid", "sample").DataSet("class", it.Class).DataSet("label", sampleLabel(lbl)).DataSet("file", it.File).
					Body(sampleImage(it, title), app.Span().Text(labelShort(lbl)))
			}),
		),
		app.If(len(items) > 0, app.P().Class("muted").Text(caption)),
		app.If(grey, s.canvas),
		app.If(!grey, app.P().Class("muted").Text("Drawing is offered for grey models only.")),
	)
}

// sampleImage is a gallery sample's picture: its cell of the page's sprite
// (GallerySprite) or its own image.
func sampleImage(it GalleryItem, alt string) app.UI {
	if it.Cell == 0 {
		return app.Img().Src(it.URL).Alt(alt)
	}
	return app.I().Class("spr").Attr("role", "img").Aria("label", alt).Style("--i", strconv.Itoa(it.Cell-1))
}

// onSample shows a gallery sample, or remembers it until the model is
// loaded. The item is looked up when clicked: go-app keeps a button's first
// handler while its scope (the file) stays the same, and the bytes arrive
// later.
func (s *SingleView) onSample(file string) app.EventHandler {
	return func(ctx app.Context, e app.Event) {
		it := GalleryItem{File: file}
		for _, g := range s.host.samples() {
			if g.File == file {
				it = g
			}
		}
		if s.host.session() == nil || it.Bytes == nil {
			s.pick = file // scored once the model is loaded
			return
		}
		s.host.show("gallery/"+file, it.Bytes, nil)
	}
}

func (s *SingleView) renderResult() app.UI {
	if s.pick != "" && s.cur == nil {
		if h := earlyResult(s.pick); h != "" {
			return app.Raw(h)
		}
		return app.Div().Class("panel result").Body(
			app.P().Class("pending").DataSet("testid", "pending").Text(strings.ReplaceAll(pendingText, "{name}", "gallery/"+s.pick)),
		)
	}
	sess := s.host.session()
	if sess == nil {
		return app.Div().Class("panel result")
	}
	lo, hi := SliderRange(sess.Meta.Calibration, s.scoresSeen()...)
	if s.threshold > hi {
		hi = s.threshold * 1.25
	}
	if s.threshold < lo {
		lo = s.threshold
	}
	s.tLo, s.tHi = lo, hi
	thresholdBox, testROC := s.renderThreshold(sess, lo, hi)
	if s.cur == nil {
		return app.Div().Class("panel result").Body(
			app.H2().Text("Result"),
			app.P().Class("hint").Text("Pick a sample image, draw a digit, or choose a file: the verdict, the reconstruction and the heat map appear here."),
			app.Div().Class("calib").Body(
				app.Div().Body(app.Raw(HistogramSVG(sess.Meta.Calibration, math.NaN(), s.threshold, lo, hi)), thresholdBox),
				testROC,
			),
		)
	}
	a, m := s.cur, sess.Meta
	if s.images.of != a {
		// Encoded once per analysis, not on every redraw (the slider redraws).
		s.images.of = a
		s.images.urls = [4]string{TensorURL(a.X, m), TensorURL(a.XHat, m), PNGDataURL(HeatImage(a.Diff, m)), PNGDataURL(OverlayImage(a.X, a.Diff, m))}
	}
	verdict := Verdict(a.Score, s.threshold)
	panel := "panel result"
	if s.early {
		panel += " early"
	}
	return app.Div().Class(panel).Body(
		app.H2().Body(app.Text("Result: "), app.Span().Class("name").Text(a.Name)),
		app.Div().Class("verdict-box "+verdict).Aria("live", "polite").Body(
			app.Span().Class("verdict").DataSet("testid", "verdict").Text(verdict),
			// People read 4 significant digits; the score hook keeps the exact value.
			app.Span().Class("score-line").Body(app.Text("score "), app.Span().Class("score").Title(FormatScore(a.Score)).Text(ShortScore(a.Score)),
				app.Span().Class("sr-only").Aria("hidden", true).DataSet("testid", "score").Text(FormatScore(a.Score))),
			app.Span().Class("muted").Text(fmt.Sprintf("threshold %s", ShortScore(s.threshold))),
		),
		app.Div().Class("images").Body(
			figure(s.images.urls[0], "x: the input as the model sees it"),
			figure(s.images.urls[1], "x̂: the reconstruction"),
			figure(s.images.urls[2], "|x − x̂|: heat map"),
			figure(s.images.urls[3], "heat map over x"),
		),
		app.If(!s.early, app.Div().Class("row-buttons").Body(
			app.Button().Text("Download result card (PNG)").OnClick(s.onCard),
			app.Button().Text("Open in the lab").OnClick(s.onOpenLab),
		)).Else(app.P().Class("muted early-note").Text(earlyNote)),
		app.H3().Text("Where the score falls among normal images"),
		app.Div().Class("calib").Body(
			app.Div().Body(app.Raw(HistogramSVG(m.Calibration, a.Score, s.threshold, lo, hi)), thresholdBox),
			testROC,
		),
		// The latent vectors are left out of the early panel: they are the
		// largest part of it and differ for every sample.
		app.If(!s.early,
			app.H3().Text("The two latent vectors"),
			app.Raw(LatentSVG(a.LatentI, a.LatentO)),
			app.P().Class("muted").Text("The score is the mean squared distance between E1(x) and E2(x̂). For images like the training data the two codes agree; for anything else the reconstruction drifts and so does its code."),
		),
	)
}

// renderThreshold is the slider with the rates at its threshold, and the
// model's test ROC with the threshold's point on it.
func (s *SingleView) renderThreshold(sess *Session, lo, hi float64) (slider, testROC app.UI) {
	rates := RatesAt(sess.Meta.Calibration, s.threshold)
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
	testROC = app.Div()
	if c := sess.Meta.Calibration; c != nil && c.Test != nil && len(c.Test.ROC) > 0 && rates.HasTest {
		testROC = app.Div().Class("roc-box").Body(
			app.Raw(ROCSVG(c.Test.ROC, c.Test.AUROC, &[2]float64{rates.TestFPR, rates.TestTPR}, "test set:")),
			app.P().Class("muted").Text(fmt.Sprintf("The model's ROC on its labelled test set (%d normal, %d anomalous images); the dot is the current threshold.", c.Test.Normals, c.Test.Anomalies)),
		)
	}
	slider = app.Div().Class("threshold").Body(
		app.Label().For("threshold").Body(app.Text("Threshold "), app.B().Text(ShortScore(s.threshold))),
		app.Input().ID("threshold").Type("range").DataSet("testid", "threshold").
			Min(0).Max(SliderSteps).Step(0.1).Value(ToSlider(s.threshold, lo, hi)).Disabled(s.early).OnInput(s.onThreshold).
			Aria("valuetext", ShortScore(s.threshold)),
		app.If(s.userSetT && sess.HasCalibration(), app.Button().Class("small").Text("back to the calibrated threshold").OnClick(s.onResetThreshold)),
		app.Ul().Class("rates").Body(rateText...),
	)
	return slider, testROC
}

// scoresSeen are the scores the slider's range must cover: the image shown
// and the batch's extremes.
func (s *SingleView) scoresSeen() []float64 {
	var out []float64
	if s.cur != nil {
		out = append(out, s.cur.Score)
	}
	if lo, hi := s.host.batchScores(); !math.IsNaN(lo) {
		out = append(out, lo, hi) // SliderRange only looks at the extremes
	}
	return out
}

func (s *SingleView) onThreshold(ctx app.Context, e app.Event) {
	p, err := strconv.ParseFloat(ctx.JSSrc().Get("value").String(), 64)
	if err == nil && !math.IsNaN(p) {
		s.threshold = FromSlider(p, s.tLo, s.tHi)
		s.userSetT = true
	}
}

func (s *SingleView) onResetThreshold(ctx app.Context, e app.Event) {
	if sess := s.host.session(); sess != nil && sess.HasCalibration() {
		s.threshold = sess.DefaultThreshold()
		s.userSetT = false
	}
}

// onCard downloads the result card of the image shown.
func (s *SingleView) onCard(ctx app.Context, e app.Event) {
	sess := s.host.session()
	if s.cur == nil || sess == nil {
		return
	}
	b, err := ResultCard(s.cur, sess.Meta, s.threshold)
	if err != nil {
		s.host.fail("cannot draw the result card: " + err.Error())
		return
	}
	download("ganomaly-result.png", "image/png", b)
}

func (s *SingleView) onOpenLab(ctx app.Context, e app.Event) { s.host.openLab() }

// sampleTitle says what a sample is, in the model's words where it has them.
func sampleTitle(sess *Session, it GalleryItem, lbl string) string {
	what := it.Dataset + " " + it.Class
	if it.Model != "" {
		what = it.Source
	}
	if sess != nil && lbl != "" {
		w := sess.Meta.Words()
		return what + " (" + map[string]string{"normal": w.NormalName, "abnormal": w.AbnormalName}[lbl] + ")"
	}
	return what + " (" + orDash(lbl) + ")"
}
