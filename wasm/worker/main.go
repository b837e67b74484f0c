//go:build js && wasm

// Command worker is the engine-only WebAssembly program that runs in the demo
// page's Web Workers (web/worker.js boots it). It holds one model and answers
// two messages:
//
//	{op: "load", bytes: Uint8Array}              -> {ok: true} | {error}
//	{op: "score", name, bytes: Uint8Array}        -> {name, score, x: Uint8Array} | {name, error}
//
// x is the model's input (CHW float32, little-endian bytes) for the batch
// view's thumbnail. Decoding uses package preprocess, so a worker's pixels
// and scores are exactly those of the page and of `ganomaly score`.
package main

import (
	"encoding/binary"
	"fmt"
	"math"
	"syscall/js"

	"github.com/ganomaly-go/ganomaly/engine"
	"github.com/ganomaly-go/ganomaly/modelfile"
	"github.com/ganomaly-go/ganomaly/preprocess"
)

var model *engine.Model

func main() {
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
			reply = map[string]any{"error": fmt.Sprintf("worker failed: %v", p)}
		}
	}()
	switch op := msg.Get("op").String(); op {
	case "load":
		f, err := modelfile.Parse(bytesOf(msg.Get("bytes")))
		if err != nil {
			return map[string]any{"error": err.Error()}
		}
		m, err := engine.Load(f)
		if err != nil {
			return map[string]any{"error": err.Error()}
		}
		model = m
		return map[string]any{"ok": true}
	case "score":
		name := msg.Get("name").String()
		if model == nil {
			return map[string]any{"name": name, "error": "no model loaded"}
		}
		meta := model.Meta()
		x, err := preprocess.LoadBytes(bytesOf(msg.Get("bytes")), meta.Arch.ISize, meta.Arch.NC, meta.Norm)
		if err != nil {
			return map[string]any{"name": name, "error": err.Error()}
		}
		r, err := model.Forward(x)
		if err != nil {
			return map[string]any{"name": name, "error": err.Error()}
		}
		xb := make([]byte, 4*len(x))
		for i, f := range x {
			binary.LittleEndian.PutUint32(xb[4*i:], math.Float32bits(f))
		}
		u8 := js.Global().Get("Uint8Array").New(len(xb))
		js.CopyBytesToJS(u8, xb)
		return map[string]any{"name": name, "score": r.Score, "x": u8}
	default:
		return map[string]any{"error": "unknown message " + op}
	}
}
