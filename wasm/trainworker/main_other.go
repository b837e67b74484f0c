//go:build !(js && wasm)

// Command trainworker is the Train view's Web Worker program; it only does
// something when built with GOOS=js GOARCH=wasm (scripts/site.sh).
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "trainworker runs in a browser's Web Worker: build it with GOOS=js GOARCH=wasm (scripts/site.sh does)")
	os.Exit(2)
}
