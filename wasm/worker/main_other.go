//go:build !(js && wasm)

// Command worker runs only in a browser's Web Worker: build it with
// GOOS=js GOARCH=wasm (scripts/site.sh does).
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "worker: this program runs in the browser; build it with GOOS=js GOARCH=wasm (see scripts/site.sh)")
	os.Exit(2)
}
