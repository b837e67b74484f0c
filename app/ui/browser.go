package ui

import (
	"errors"
	"fmt"

	"github.com/maxence-charriere/go-app/v9/pkg/app"
)

// await waits for a JavaScript promise. It must run on a goroutine of its
// own (ctx.Async), never inside a JavaScript callback.
func await(p app.Value) (app.Value, error) {
	type result struct {
		v   app.Value
		err error
	}
	ch := make(chan result, 1)
	ok := app.FuncOf(func(this app.Value, args []app.Value) any {
		var v app.Value = app.Undefined()
		if len(args) > 0 {
			v = args[0]
		}
		ch <- result{v: v}
		return nil
	})
	fail := app.FuncOf(func(this app.Value, args []app.Value) any {
		msg := "unknown error"
		if len(args) > 0 && args[0].Truthy() {
			msg = args[0].Call("toString").String()
		}
		ch <- result{err: errors.New(msg)}
		return nil
	})
	defer ok.Release()
	defer fail.Release()
	p.Call("then", ok, fail)
	r := <-ch
	return r.v, r.err
}

// jsBytes copies a Uint8Array, ArrayBuffer or typed array into Go.
func jsBytes(v app.Value) []byte {
	u8 := app.Window().Get("Uint8Array").New(v)
	b := make([]byte, u8.Length())
	app.CopyBytesToGo(b, u8)
	return b
}

// toJSBytes copies b into a new Uint8Array.
func toJSBytes(b []byte) app.Value {
	u8 := app.Window().Get("Uint8Array").New(len(b))
	app.CopyBytesToJS(u8, b)
	return u8
}

// readFile reads a File (from an input, a drop or the clipboard).
func readFile(file app.Value) ([]byte, error) {
	buf, err := await(file.Call("arrayBuffer"))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", file.Get("name").String(), err)
	}
	return jsBytes(buf), nil
}

// readHead reads the first n bytes of a File (fewer when it is shorter),
// for recognising an image by its content without reading all of it.
func readHead(file app.Value, n int) ([]byte, error) {
	buf, err := await(file.Call("slice", 0, n).Call("arrayBuffer"))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", file.Get("name").String(), err)
	}
	return jsBytes(buf), nil
}

// fileName is the file's name with its folder when the browser knows it
// (directory picker, some drops).
func fileName(file app.Value) string {
	if rel := file.Get("webkitRelativePath"); rel.Truthy() && rel.String() != "" {
		return rel.String()
	}
	return file.Get("name").String()
}

// fetchBytes downloads a resource of the site.
func fetchBytes(url string) ([]byte, error) {
	resp, err := await(app.Window().Call("fetch", url))
	if err != nil {
		return nil, fmt.Errorf("fetching %s: %w", url, err)
	}
	if !resp.Get("ok").Bool() {
		return nil, fmt.Errorf("fetching %s: HTTP %d", url, resp.Get("status").Int())
	}
	buf, err := await(resp.Call("arrayBuffer"))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", url, err)
	}
	return jsBytes(buf), nil
}

// download offers bytes to the user as a file.
func download(name, mime string, b []byte) {
	w := app.Window()
	arr := w.Get("Array").New()
	arr.Call("push", toJSBytes(b))
	opts := w.Get("Object").New()
	opts.Set("type", mime)
	blob := w.Get("Blob").New(arr, opts)
	url := w.Get("URL").Call("createObjectURL", blob)
	a := w.Get("document").Call("createElement", "a")
	a.Set("href", url)
	a.Set("download", name)
	w.Get("document").Get("body").Call("appendChild", a)
	a.Call("click")
	a.Call("remove")
	// (Call, not Invoke: go-app's Invoke does not unwrap its arguments.)
	var revoke app.Func
	revoke = app.FuncOf(func(app.Value, []app.Value) any {
		w.Get("URL").Call("revokeObjectURL", url)
		revoke.Release()
		return nil
	})
	w.Call("setTimeout", revoke, 10000)
}

// setBodyData sets a data- attribute on <body> (data-ready for tests).
func setBodyData(k, v string) {
	app.Window().Get("document").Get("body").Call("setAttribute", "data-"+k, v)
}

// compileWasm compiles the wasm program at url into a WebAssembly.Module,
// streaming; servers that send it without application/wasm break streaming,
// so then it is fetched whole and compiled.
func compileWasm(url string) (app.Value, error) {
	w := app.Window()
	mod, err := await(w.Get("WebAssembly").Call("compileStreaming", w.Call("fetch", url)))
	if err == nil {
		return mod, nil
	}
	b, err := fetchBytes(url)
	if err != nil {
		return nil, err
	}
	if mod, err = await(w.Get("WebAssembly").Call("compile", toJSBytes(b))); err != nil {
		return nil, fmt.Errorf("compiling %s: %w", url, err)
	}
	return mod, nil
}
