//go:build js && wasm

package main

import "github.com/ganomaly-go/ganomaly/wasm/engineworker"

func inWorker() bool { return engineworker.InWorker() }
func runWorker()     { engineworker.Run() }
