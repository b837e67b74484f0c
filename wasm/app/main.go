// Command app is the demo page's WebAssembly program: the go-app UI of
// package app/ui with the engine inside, and, started in one of the page's
// Web Workers, the engine alone (package wasm/engineworker). scripts/site.sh
// builds it with GOOS=js GOARCH=wasm into the site's web/app.wasm. Natively
// it does nothing useful: the static site is written by app/cmd/site.
package main

import (
	"github.com/ganomaly-go/ganomaly/app/ui"
	"github.com/maxence-charriere/go-app/v9/pkg/app"
)

func main() {
	if inWorker() {
		runWorker()
		return
	}
	ui.MarkGoStarted()
	ui.Register()
	app.RunWhenOnBrowser()
}
