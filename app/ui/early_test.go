package ui

import (
	"bytes"
	"encoding/base64"
	"math"
	"regexp"
	"strings"
	"testing"

	"github.com/ganomaly-go/ganomaly/modelfile"
	"github.com/maxence-charriere/go-app/v9/pkg/app"
)

// TestEarlyResults checks the panels drawn when the site is built: one per
// sample the page shows for the model, each with the score the page's own
// session gives, the same verdict and images as the live panel, and no
// control that would do nothing before the Go program runs.
func TestEarlyResults(t *testing.T) {
	b := testModel(t, 1, func(m *modelfile.Metadata) {
		m.Dataset = &modelfile.Dataset{Name: "mnist", AbnormalClasses: []string{"7"}}
		m.Calibration = &modelfile.Calibration{Threshold: 1e9, ValHistogram: &modelfile.Histogram{Edges: []float64{0, 1, 2}, Counts: []int{3, 1}}}
	})
	seven, two := galleryBytes(t, "digit-7-0.png"), galleryBytes(t, "digit-2-0.png")
	items := []GalleryItem{
		{File: "mnist/digit-7-0.png", Dataset: "mnist", Class: "7", Bytes: seven},
		{File: "mnist/digit-2-0.png", Dataset: "mnist", Class: "2", Bytes: two},
		{File: "other/x.png", Dataset: "other", Class: "x", Bytes: two}, // not shown for an MNIST model
	}
	early, err := BuildEarlyResults("m.safetensors", b, items)
	if err != nil {
		t.Fatal(err)
	}
	if early.Model != "m.safetensors" || len(early.Results) != 2 || early.Results["other/x.png"] != "" {
		t.Fatalf("early results for %q: %d panels %v", early.Model, len(early.Results), early.Results)
	}

	sess, err := LoadSession("m.safetensors", b)
	if err != nil {
		t.Fatal(err)
	}
	h := &fakeHost{sess: sess, lo: math.NaN(), hi: math.NaN()}
	live := newSingleView(h, h)
	if err := live.setModel(sess); err != nil {
		t.Fatal(err)
	}
	// go-app writes attributes in no fixed order: compare what they hold.
	imgs := regexp.MustCompile(`src="data:[^"]+"`)
	verdict := regexp.MustCompile(`verdict-box (\w+)"|>(normal|anomalous)</span>|threshold ([0-9.e+-]+)<`)
	for _, it := range items[:2] {
		html := early.Results[it.File]
		a, err := sess.AnalyzeBytes("gallery/"+it.File, it.Bytes)
		if err != nil {
			t.Fatal(err)
		}
		live.cur = a
		want := app.HTMLString(live.renderResult())
		for _, w := range []string{`class="panel result early"`, ">" + FormatScore(a.Score) + "</span>", "gallery/" + it.File + "<", earlyNote} {
			if !strings.Contains(html, w) {
				t.Errorf("%s: the early panel lacks %q", it.File, w)
			}
		}
		if got, w := verdict.FindAllString(html, -1), verdict.FindAllString(want, -1); len(got) != 3 || strings.Join(got, " ") != strings.Join(w, " ") {
			t.Errorf("%s: verdict %q, the live panel's %q", it.File, got, w)
		}
		if got, w := imgs.FindAllString(html, -1), imgs.FindAllString(want, -1); len(got) != 4 || strings.Join(got, "") != strings.Join(w, "") {
			t.Errorf("%s: %d images, not those of the live panel", it.File, len(got))
		}
		if strings.Contains(html, "<button") || !regexp.MustCompile(`<input [^>]*disabled`).MatchString(html) {
			t.Errorf("%s: the early panel has buttons or a live slider", it.File)
		}
	}

	if _, err := BuildEarlyResults("bad.safetensors", []byte("nope"), items); err == nil {
		t.Error("a bad model file must fail")
	}
	items[0].Bytes = []byte("not an image")
	if _, err := BuildEarlyResults("m.safetensors", b, items); err == nil || !strings.Contains(err.Error(), "digit-7-0.png") {
		t.Errorf("a bad gallery image: %v", err)
	}
}

// TestGalleryWrittenIntoThePage checks the gallery that the site generator
// wrote into the page: its images come from the page itself, no request.
func TestGalleryWrittenIntoThePage(t *testing.T) {
	seven := galleryBytes(t, "digit-7-0.png")
	items := []GalleryItem{
		{File: "mnist/digit-7-0.png", Data: base64.StdEncoding.EncodeToString(seven)},
		{File: "mnist/broken.png", Data: "not base64!"},
	}
	if !inPage(items) || inPage(nil) || inPage([]GalleryItem{{File: "x.png"}}) {
		t.Fatal("inPage: a gallery is in the page when every item has its data")
	}
	got := (&Demo{}).loadGallery(nil, items) // nil: no request may be made
	if len(got) != 1 || !bytes.Equal(got[0].Bytes, seven) || got[0].URL != "data:image/png;base64,"+items[0].Data {
		t.Fatalf("loadGallery gave %d items", len(got))
	}
}
