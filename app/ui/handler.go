package ui

import (
	"github.com/maxence-charriere/go-app/v9/pkg/app"
)

// Handler is the go-app handler that describes the page for
// app.GenerateStaticWebsite. prefix is the URL path the site is served under
// ("" for a domain root, "/ganomaly" for a GitHub Pages project site);
// version changes whenever the content does, so the service worker updates;
// cache lists extra static resources (models, gallery, worker) to keep for
// offline use, as "/web/..." paths.
func Handler(prefix, version string, cache []string) *app.Handler {
	var res app.ResourceProvider = app.LocalDir("")
	if prefix != "" && prefix != "/" {
		res = app.CustomProvider("", prefix)
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
		BackgroundColor:    "#f7f7f4",
		ThemeColor:         "#1f3a5f",
		LoadingLabel:       "Loading the engine… {progress}%",
		Styles:             []string{"/web/app.css"},
		CacheableResources: cache,
		Resources:          res,
		Version:            version,
	}
}
