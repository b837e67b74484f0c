package ui

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/maxence-charriere/go-app/v9/pkg/app"
)

// SiteData is what the site generator knows about the bundled models and
// the gallery. Handler writes it into the page (window.ganomalySite), so the
// pre-rendered page already shows the gallery, boot.js can start the default
// model's download before the Go program runs, and the page reads no index
// file before its first verdict.
type SiteData struct {
	Models       []BundledModel `json:"models"`
	Gallery      []GalleryItem  `json:"gallery"` // file, dataset, class... (no bytes); null without web/gallery
	DefaultModel string         `json:"defaultModel"`
	HasEarly     bool           `json:"-"` // web/gallery/early.json exists (EarlyResults)
	// Styles is the page's stylesheet (web/app.css), written into its head:
	// a linked stylesheet holds up the first paint by a request. url()s in
	// it resolve against the page. Empty: the page links /web/app.css.
	Styles string `json:"-"`
	// Sprite is the gallery's images in one PNG, base64 (GallerySprite),
	// or "": the head's styles give it to the samples (.sample .spr).
	Sprite string `json:"-"`
	// Filled in by Handler from the prefix.
	ModelURL    string `json:"modelURL"`
	GalleryURL  string `json:"galleryURL"`
	WasmURL     string `json:"wasmURL"`
	EarlyURL    string `json:"earlyURL"` // "" without early results
	PendingText string `json:"pendingText"`
	// Scripts are go-app's scripts (wasm_exec.js, app.js), in order, which
	// boot.js loads once the page has settled (see DeferScripts).
	Scripts []string `json:"scripts"`
}

// pendingText answers a click on a sample made before the model is loaded;
// {name} is the sample's name. boot.js shows it on the pre-rendered page.
const pendingText = "Loading the model… {name} is scored as soon as it is ready."

//go:embed boot.js
var bootJS string

//go:embed app-worker.js
var appWorkerJS string

// prerendered is the site data of the page being generated (Handler sets
// it; the page's OnInit reads it when rendering on the server side).
var prerendered SiteData

// siteData returns the site data: in the browser from window.ganomalySite,
// on the server side from Handler's. ok is false when the page has none (a
// site built without it): the page then reads the index files.
func siteData() (SiteData, bool) {
	if !app.IsClient {
		return prerendered, len(prerendered.Models) > 0
	}
	v := app.Window().Get("ganomalySite")
	if !v.Truthy() {
		return SiteData{}, false
	}
	var s SiteData
	js := app.Window().Get("JSON").Call("stringify", v).String()
	if err := json.Unmarshal([]byte(js), &s); err != nil || len(s.Models) == 0 {
		return SiteData{}, false
	}
	return s, true
}

// headElements are what the page's <head> holds inline: the stylesheet
// (when the site has one), the site data, then boot.js. encoding/json
// escapes <, > and & so the data cannot end the script element; the site
// generator refuses a stylesheet that would end its element.
func headElements(s SiteData) []string {
	js, err := json.Marshal(s)
	if err != nil {
		panic(err) // plain structs: cannot fail
	}
	var out []string
	css := s.Styles
	if s.Sprite != "" {
		// base64 and a count: nothing in it can end the element. The URL is
		// in a rule of its own rather than a custom property, so the browser
		// parses it once, not in each sample's substituted background.
		css += fmt.Sprintf("\n.sample .spr { background-image: url(%s%s); --cells: %d; }\n", pngPrefix, s.Sprite, len(s.Gallery))
	}
	if css != "" {
		out = append(out, "<style>"+css+"</style>")
	}
	return append(out,
		"<script>window.ganomalySite = "+string(js)+";</script>",
		"<script>"+strings.ReplaceAll(bootJS, "</script", "<\\/script")+"</script>",
	)
}

// mark records a phase of the page's start as a performance mark
// (make bench-load reads them).
func mark(name string) {
	if app.IsClient {
		app.Window().Get("performance").Call("mark", name)
	}
}

// MarkGoStarted records that the Go program runs and tells boot.js that it
// now answers clicks itself (the wasm program calls it first thing).
func MarkGoStarted() {
	if app.IsClient {
		mark("go-started")
		app.Window().Set("ganomalyGo", true)
	}
}
