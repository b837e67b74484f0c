// Package ui is the browser demo and lab of ganomaly-go, written with go-app
// v9: a shell component (Demo: the model picker and the current model, the
// tabs, the gallery) and one component per view with its own state and
// files — SingleView (with its Canvas), BatchView, LabView — each reaching
// the shell through a small interface, plus the pure helpers they draw with
// (SVG charts, image data URLs, threshold rates, CSV) which are tested
// natively.
//
// The engine is reached through Session only: Session.Prepare turns file
// bytes into the model's input exactly as the CLI does (package preprocess),
// Session.Analyze runs the generator and copies what the views keep. Batches
// run in Web Workers (wasm/worker) when the browser allows it.
package ui
