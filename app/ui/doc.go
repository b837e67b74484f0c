// Package ui is the browser demo and lab of ganomaly-go, written with go-app
// v9: one root component (Demo) whose views — model picker, single-image
// view, batch view and lab — live in their own files, plus the pure helpers
// they draw with (SVG charts, image data URLs, threshold rates, CSV) which are
// tested natively.
//
// The engine is reached through Session only: Session.Prepare turns file
// bytes into the model's input exactly as the CLI does (package preprocess),
// Session.Analyze runs the generator and copies what the views keep. Batches
// run in Web Workers (wasm/worker) when the browser allows it.
package ui
