package ui

import (
	"fmt"

	"github.com/maxence-charriere/go-app/v9/pkg/app"
)

// Early results: the single view's result panel for every gallery sample of
// the default model, drawn when the site is built by the same code and engine
// the page runs (the engine is bit-identical natively and in wasm), so that a
// click on a sample is answered with its verdict before the Go program and
// the model have loaded. boot.js shows the panel on the pre-rendered page,
// the Go program keeps showing it until the model is loaded, then draws its
// own, equal but with working controls.

// EarlyResults is web/gallery/early.json.
type EarlyResults struct {
	Model   string            `json:"model"`   // the model file the panels were drawn with
	Results map[string]string `json:"results"` // gallery file → the result panel's HTML
}

// earlyNote says on an early panel what it is.
const earlyNote = "Scored when this site was built, by the same engine and model file. The buttons, the threshold slider and the latent vectors follow once the page has loaded."

// BuildEarlyResults draws the result panel of every gallery sample that the
// page shows for the model file (name, bytes b), with the model's
// calibrated threshold. items need their Bytes.
func BuildEarlyResults(name string, b []byte, items []GalleryItem) (EarlyResults, error) {
	sess, err := LoadSession(name, b)
	if err != nil {
		return EarlyResults{}, err
	}
	sess.Bundled = true
	d := &Demo{sess: sess, gallery: items}
	v := newSingleView(d, d)
	v.early = true
	if err := v.setModel(sess); err != nil {
		return EarlyResults{}, err
	}
	out := EarlyResults{Model: name, Results: map[string]string{}}
	for _, it := range d.galleryFor() {
		a, err := sess.AnalyzeBytes("gallery/"+it.File, it.Bytes)
		if err != nil {
			return EarlyResults{}, fmt.Errorf("gallery/%s: %w", it.File, err)
		}
		v.cur = a
		out.Results[it.File] = app.HTMLString(v.renderResult())
	}
	return out, nil
}

// earlyResult is the early panel boot.js has for a gallery file, "" when it
// has none (not fetched yet, or not for the default model).
func earlyResult(file string) string {
	if !app.IsClient {
		return ""
	}
	r := app.Window().Get("ganomalyEarly")
	if !r.Truthy() || !r.Get("results").Truthy() {
		return ""
	}
	if h := r.Get("results").Get(file); h.Truthy() {
		return h.String()
	}
	return ""
}
