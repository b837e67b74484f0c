//go:build !(js && wasm)

package main

func inWorker() bool { return false }
func runWorker()     {}
