//go:build js && wasm

// Package engineworker is what the demo page's program (wasm/app) runs when
// it is started inside a Web Worker (web/worker.js boots it with the page's
// own compiled module, so the site ships one wasm program for both): the
// engine alone, holding one model and answering two messages:
//
//	{op: "load", bytes: Uint8Array}                -> {op: "load", ok: true} | {op: "load", error}
//	{op: "score", id, name, bytes: Uint8Array}      -> {id, name, score, thumb: Uint8Array} | {id, name, error}
//
// web/worker.js turns a score message carrying a File or Blob (blob) into
// bytes before it reaches this program, so the page never holds the image
// files of a batch. thumb is a PNG of the model's input, at most
// preprocess.ThumbSide pixels on a side (preprocess.ThumbnailPNG), for the batch view's table.
// Decoding uses package preprocess, so a worker's pixels and scores are
// exactly those of the page and of `ganomaly score`.
package engineworker

import (
	"fmt"
	"syscall/js"

	"github.com/ganomaly-go/ganomaly/engine"
	"github.com/ganomaly-go/ganomaly/modelfile"
	"github.com/ganomaly-go/ganomaly/preprocess"
)

var model *engine.Model

// InWorker reports whether the program runs in a Web Worker (no document).
func InWorker() bool { return !js.Global().Get("document").Truthy() }

// Run answers the worker's messages; it never returns.
func Run() {
	handle := js.FuncOf(func(this js.Value, args []js.Value) any {
		reply := handleMessage(args[0])
		js.Global().Call("postMessage", reply)
		return nil
	})
	js.Global().Set("ganomalyWorker", handle)
	js.Global().Call("postMessage", map[string]any{"op": "booted"})
	select {}
}

func bytesOf(v js.Value) []byte {
	b := make([]byte, v.Get("length").Int())
	js.CopyBytesToGo(b, v)
	return b
}

func handleMessage(msg js.Value) (reply map[string]any) {
	defer func() {
		if p := recover(); p != nil {
			reply = map[string]any{"op": msg.Get("op"), "id": msg.Get("id"), "name": msg.Get("name"), "error": fmt.Sprintf("worker failed: %v", p)}
		}
	}()
	switch op := msg.Get("op").String(); op {
	case "load":
		f, err := modelfile.Parse(bytesOf(msg.Get("bytes")))
		if err != nil {
			return map[string]any{"op": "load", "error": err.Error()}
		}
		m, err := engine.Load(f)
		if err != nil {
			return map[string]any{"op": "load", "error": err.Error()}
		}
		model = m
		return map[string]any{"op": "load", "ok": true}
	case "score":
		id, name := msg.Get("id"), msg.Get("name")
		fail := func(err error) map[string]any { return map[string]any{"id": id, "name": name, "error": err.Error()} }
		if model == nil {
			return fail(fmt.Errorf("no model loaded"))
		}
		meta := model.Meta()
		x, err := preprocess.LoadBytes(bytesOf(msg.Get("bytes")), meta.Arch.ISize, meta.Arch.NC, meta.Norm)
		if err != nil {
			return fail(err)
		}
		r, err := model.Forward(x)
		if err != nil {
			return fail(err)
		}
		thumb, err := preprocess.ThumbnailPNG(x, meta.Arch.ISize, meta.Arch.NC, meta.Norm, preprocess.ThumbSide)
		if err != nil {
			return fail(err)
		}
		u8 := js.Global().Get("Uint8Array").New(len(thumb))
		js.CopyBytesToJS(u8, thumb)
		return map[string]any{"id": id, "name": name, "score": r.Score, "thumb": u8}
	default:
		return map[string]any{"error": "unknown message " + op}
	}
}
