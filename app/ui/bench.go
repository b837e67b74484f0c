package ui

import (
	"encoding/json"
	"runtime"
	"time"

	"github.com/maxence-charriere/go-app/v9/pkg/app"
)

// exposeBench installs window.ganomalyBench(n) for scripts/bench-browser.sh
// and window.ganomalyMemory() for scripts/bench-batch.sh. ganomalyBench(n)
// scores the first gallery image n times with the page's own engine (on
// the main thread, as the single-image view does) and returns JSON with the
// elapsed milliseconds, n and the model's multiply-adds per image. Decoding
// is done once, outside the timing: the benchmark is the engine's.
func (d *Demo) exposeBench() {
	app.Window().Set("ganomalyBench", app.FuncOf(func(this app.Value, args []app.Value) any {
		out := map[string]any{}
		n := 10
		if len(args) > 0 {
			n = args[0].Int()
		}
		if d.sess == nil || len(d.gallery) == 0 {
			out["error"] = "not ready"
		} else if x, err := d.sess.Prepare(d.gallery[0].Bytes); err != nil {
			out["error"] = err.Error()
		} else {
			d.sess.Score(x) // warm-up
			t0 := time.Now()
			for i := 0; i < n; i++ {
				if _, err := d.sess.Score(x); err != nil {
					out["error"] = err.Error()
					break
				}
			}
			out["ms"] = float64(time.Since(t0).Microseconds()) / 1000
			out["n"] = n
			out["macs"] = d.sess.MACs()
			out["model"] = d.sess.Name
		}
		b, _ := json.Marshal(out)
		return string(b)
	}))
	app.Window().Set("ganomalyMemory", app.FuncOf(func(this app.Value, args []app.Value) any {
		// For make bench-batch: the page's Go memory. Sys is what the Go
		// runtime has claimed, which in WebAssembly is the linear memory it
		// has grown to (it never shrinks); HeapInuse the part in use now.
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		b, _ := json.Marshal(map[string]any{"sys": m.Sys, "heap_inuse": m.HeapInuse})
		return string(b)
	}))
}
