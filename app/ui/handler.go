package ui

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/maxence-charriere/go-app/v9/pkg/app"
)

// Handler is the go-app handler that describes the page for
// app.GenerateStaticWebsite. prefix is the URL path the site is served under
// ("" for a domain root, "/ganomaly" for a GitHub Pages project site);
// version changes whenever the content does, so the service worker updates;
// cache lists extra static resources (models, gallery, worker) to keep for
// offline use, as "/web/..." paths; site is written into the page (see
// SiteData) and pre-rendered.
//
// The page loads app.wasm with boot.js's loader, not go-app's: the site
// generator replaces the call in app.js (see PatchAppJS). The service worker
// is go-app's with a later cache fill (app-worker.js).
func Handler(prefix, version string, cache []string, site SiteData) *app.Handler {
	var res app.ResourceProvider = app.LocalDir("")
	if prefix == "/" {
		prefix = ""
	}
	if prefix != "" {
		res = app.CustomProvider("", prefix)
	}
	site.ModelURL = prefix + "/web/models/" + site.DefaultModel
	site.GalleryURL = prefix + "/web/gallery/"
	site.WasmURL = res.AppWASM()
	if site.HasEarly {
		site.EarlyURL = site.GalleryURL + "early.json"
	}
	site.PendingText = pendingText
	site.Scripts = goappScripts(prefix)
	prerendered = site
	var styles []string
	if site.Styles == "" {
		styles = []string{"/web/app.css"}
	}
	return &app.Handler{
		Name:        "GANomaly in your browser",
		ShortName:   "GANomaly",
		Title:       "GANomaly in your browser — anomaly detection with a GAN, in Go",
		Description: "An anomaly detector trained only on normal images judges yours, entirely in the page (Go + WebAssembly).",
		Author:      "ganomaly-go",
		Keywords:    []string{"GANomaly", "anomaly detection", "GAN", "WebAssembly", "Go"},
		Lang:        "en",
		Icon: app.Icon{
			Default:    "/web/icon-192.png",
			Large:      "/web/icon-512.png",
			SVG:        "/web/icon.svg",
			AppleTouch: "/web/icon-192.png",
		},
		BackgroundColor:       "#f7f7f4",
		ThemeColor:            "#1f3a5f",
		LoadingLabel:          "Loading the engine… {progress}%",
		Styles:                styles,
		CacheableResources:    cache,
		Resources:             res,
		Version:               version,
		RawHeaders:            headElements(site),
		ServiceWorkerTemplate: appWorkerJS,
	}
}

// goappLoaderCall is the line of go-app's app.js (v9.8.0) that starts its
// own wasm loader.
const goappLoaderCall = "\ngoappInitWebAssembly();\n"

// PatchAppJS makes go-app's app.js start boot.js's wasm loader instead of
// its own. It fails when app.js does not have the expected call (a go-app
// upgrade): then this function and boot.js need a look.
func PatchAppJS(js []byte) ([]byte, error) {
	s := string(js)
	if strings.Count(s, goappLoaderCall) != 1 {
		return nil, errors.New("go-app's app.js does not call goappInitWebAssembly() as v9.8.0 does: update ui.PatchAppJS and boot.js for this go-app version")
	}
	// go-app's own loader stays the fallback should boot.js's be missing.
	return []byte(strings.Replace(s, goappLoaderCall, "\n(window.ganomalyInitWebAssembly || goappInitWebAssembly)();\n", 1)), nil
}

// goappScripts are the scripts go-app's page loads, in order: Go's
// wasm_exec.js, then app.js, which starts the program.
func goappScripts(prefix string) []string {
	return []string{prefix + "/wasm_exec.js", prefix + "/app.js"}
}

// DeferScripts takes go-app's <script defer> tags for wasm_exec.js and
// app.js out of the page go-app renders (index.html of a site served under
// prefix): boot.js loads them once the page has settled and the early
// verdicts are in. As deferred scripts they run before DOMContentLoaded,
// between the page's first layout and its first answered click, and they
// are needed only once app.wasm has compiled. It fails when the page does
// not hold each tag exactly once (a go-app upgrade).
func DeferScripts(html []byte, prefix string) ([]byte, error) {
	for _, src := range goappScripts(strings.TrimSuffix(prefix, "/")) {
		// go-app writes the attributes in either order.
		tag := regexp.MustCompile(`<script (?:defer )?src="` + regexp.QuoteMeta(src) + `"(?: defer)?></script>\n?`)
		if n := len(tag.FindAllIndex(html, -1)); n != 1 {
			return nil, fmt.Errorf("the page go-app rendered has %d <script defer src=%q> tags, not 1: update ui.DeferScripts and boot.js for this go-app version", n, src)
		}
		html = tag.ReplaceAll(html, nil)
	}
	return html, nil
}
