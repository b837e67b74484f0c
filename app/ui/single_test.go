package ui

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/ganomaly-go/ganomaly/modelfile"
	"github.com/maxence-charriere/go-app/v9/pkg/app"
)

// fakeHost is a page for the single view and the canvas on their own.
type fakeHost struct {
	sess    *Session
	cur     *Analysis // the image shown, for the lab
	items   []GalleryItem
	shown   []string // names handed to show
	failed  string
	lab     bool
	lo, hi  float64
	showErr error // the last error handed to show
}

func (h *fakeHost) session() *Session                 { return h.sess }
func (h *fakeHost) samples() []GalleryItem            { return h.items }
func (h *fakeHost) sampleLabel(it GalleryItem) string { return it.Label }
func (h *fakeHost) fail(msg string)                   { h.failed = msg }
func (h *fakeHost) openLab()                          { h.lab = true }
func (h *fakeHost) batchScores() (float64, float64)   { return h.lo, h.hi }
func (h *fakeHost) show(name string, b []byte, err error) {
	h.shown, h.showErr = append(h.shown, name), err
}

func TestSingleViewOnItsOwn(t *testing.T) {
	calibrated, err := LoadSession("c.safetensors", testModel(t, 1, func(m *modelfile.Metadata) {
		m.Calibration = &modelfile.Calibration{Threshold: 1e9, ValHistogram: &modelfile.Histogram{Edges: []float64{0, 1, 2}, Counts: []int{3, 1}}}
	}))
	if err != nil {
		t.Fatal(err)
	}
	plain, err := LoadSession("p.safetensors", testModel(t, 1, nil))
	if err != nil {
		t.Fatal(err)
	}
	rgb, err := LoadSession("rgb.safetensors", testModel(t, 3, nil))
	if err != nil {
		t.Fatal(err)
	}
	seven := galleryBytes(t, "digit-7-0.png")
	h := &fakeHost{lo: math.NaN(), hi: math.NaN(), items: []GalleryItem{{File: "mnist/digit-7-0.png", Dataset: "mnist", Class: "7", Label: "abnormal", Bytes: seven}}}
	s := newSingleView(h, h)
	render := func() string { return app.HTMLString(s.Render()) }

	// Before the model: the gallery (pre-rendered page), an inert canvas,
	// and a click remembered with a note.
	html := render()
	if !strings.Contains(html, `data-file="mnist/digit-7-0.png"`) || !strings.Contains(html, `id="draw-canvas"`) || !strings.Contains(html, "inert") {
		t.Fatal("before the model: no sample, no canvas, or the canvas is not inert")
	}
	s.onSample("mnist/digit-7-0.png")(nil, app.Event{})
	if len(h.shown) != 0 || !strings.Contains(render(), `data-testid="pending"`) {
		t.Fatal("a click before the model is loaded must be remembered with a note, not scored")
	}
	if got := s.takePick(); got != "mnist/digit-7-0.png" || s.takePick() != "" {
		t.Fatalf("takePick = %q, then not empty", got)
	}

	// A calibrated model: its threshold; an image shown with its verdict.
	h.sess = calibrated
	if err := s.setModel(calibrated); err != nil || s.Threshold() != 1e9 || s.userSetT {
		t.Fatalf("setModel: %v, threshold %v", err, s.Threshold())
	}
	s.onSample("mnist/digit-7-0.png")(nil, app.Event{})
	if len(h.shown) != 1 || h.shown[0] != "gallery/mnist/digit-7-0.png" {
		t.Fatalf("a click once the model is loaded: shown %v", h.shown)
	}
	if err := s.show(calibrated, "seven.png", seven); err != nil {
		t.Fatal(err)
	}
	a := s.current()
	html = render()
	for _, want := range []string{`data-testid="verdict"`, ">normal<", FormatScore(a.Score) + "<", `data-testid="threshold"`, "Open in the lab"} {
		if !strings.Contains(html, want) {
			t.Errorf("result lacks %q", want)
		}
	}
	if err := s.show(calibrated, "bad.png", []byte("not an image")); err == nil || s.current() != a {
		t.Fatal("a bad image must fail and leave the image shown")
	}
	s.onOpenLab(nil, app.Event{})
	if !h.lab {
		t.Error("Open in the lab did not ask the page for the lab")
	}

	// An uncalibrated model: threshold 0 (set by the user), the image
	// scored again with the new weights.
	h.sess = plain
	if err := s.setModel(plain); err != nil || s.Threshold() != 0 {
		t.Fatalf("uncalibrated: %v, threshold %v", err, s.Threshold())
	}
	if s.current() == a || s.current().Name != "seven.png" {
		t.Fatal("the image shown is not scored again with the new model")
	}
	if !strings.Contains(render(), ">anomalous<") {
		t.Error("every score is above a threshold of 0")
	}

	// The slider's range covers the batch's scores.
	h.lo, h.hi = 0, 1e6
	render()
	if s.tHi < 1e6 {
		t.Errorf("slider range up to %v does not cover the batch's 1e6", s.tHi)
	}

	// An RGB model: no canvas.
	h.sess = rgb
	if err := s.setModel(rgb); err != nil {
		t.Fatal(err) // a grey image is made RGB, as by the CLI
	}
	if html := render(); strings.Contains(html, "draw-canvas") || !strings.Contains(html, "grey models only") {
		t.Error("an RGB model must not offer the canvas")
	}
}

// TestShowThroughThePage checks the page's side of showing an image: the
// error banner, the view, the lab.
func TestShowThroughThePage(t *testing.T) {
	d := &Demo{view: viewBatch, verdictShown: make(chan struct{})}
	d.show("seven.png", galleryBytes(t, "digit-7-0.png"), nil)
	if !strings.Contains(d.err, "still loading") || d.view != viewBatch {
		t.Fatalf("before the model: err %q, view %s", d.err, d.view)
	}
	s, err := LoadSession("m.safetensors", testModel(t, 1, nil))
	if err != nil {
		t.Fatal(err)
	}
	d.setSession(s)
	d.show("x.png", nil, errors.New("x.png: cannot be read"))
	if d.err != "x.png: cannot be read" || d.current() != nil {
		t.Fatalf("a read error: err %q", d.err)
	}
	d.labView().st.layer = 3
	d.show("seven.png", galleryBytes(t, "digit-7-0.png"), nil)
	if d.err != "" || d.view != viewSingle || d.current() == nil || d.current().Name != "seven.png" || d.labView().st.layer != -1 {
		t.Fatalf("shown: err %q, view %s, lab layer %d", d.err, d.view, d.labView().st.layer)
	}
	if _, _, th := d.batchEnv(); th != d.singleView().Threshold() {
		t.Error("the batch view's threshold is not the single view's")
	}
}

func (h *fakeHost) current() *Analysis { return h.cur }

// TestLabOnItsOwn draws the lab for an image and uses its controls.
func TestLabOnItsOwn(t *testing.T) {
	s, err := LoadSession("m.safetensors", testModel(t, 1, nil))
	if err != nil {
		t.Fatal(err)
	}
	seven, one := galleryBytes(t, "digit-7-0.png"), galleryBytes(t, "digit-1-0.png")
	h := &fakeHost{sess: s, items: []GalleryItem{{File: "mnist/digit-1-0.png", Dataset: "mnist", Class: "1", Bytes: one}}}
	l := newLabView(h)
	if html := app.HTMLString(l.Render()); !strings.Contains(html, "Score an image first") || strings.Count(html, `<span class="shape">`) != len(s.Layers()) {
		t.Fatal("the lab without an image: no hint, or not one box per layer")
	}
	if h.cur, err = s.AnalyzeBytes("seven.png", seven); err != nil {
		t.Fatal(err)
	}
	l.onLayer(2)(nil, app.Event{})
	if l.st.layer != 2 || !strings.HasPrefix(l.st.fmURL, "data:image/png;base64,") || h.failed != "" {
		t.Fatalf("a layer's feature maps: layer %d, failed %q", l.st.layer, h.failed)
	}
	html := app.HTMLString(l.Render())
	if !strings.Contains(html, `class="fmaps"`) || strings.Count(html, `aria-label="latent `) != len(h.cur.LatentI) {
		t.Fatal("the lab with an image lacks the feature maps or a slider per latent")
	}
	if _, want, _ := s.DecodeScore(h.cur.LatentI); l.st.decScore != want {
		t.Errorf("decoded E1(x) scores %v, want %v", l.st.decScore, want)
	}
	l.reset()
	if l.st.layer != -1 || l.st.otherIdx != -1 || l.st.latent != nil {
		t.Fatal("reset keeps the lab's state")
	}
}
