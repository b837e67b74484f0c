//go:build wasm && wasmsimd

package engine

import (
	"math"
	"os"
	"testing"
)

// TestHostGEMMMatchesGo: the host's SIMD kernel (scripts/wasm/exec.js
// installs it under node) gives the Go kernel's bits for every shape the
// kernel distinguishes: 1, 2 and 3 column panels per register tile and
// their remainders, k below, at and past the four-step unroll, several row
// panels. With GANOMALY_SIMD=0 the host declines and gemm runs Go's.
func TestHostGEMMMatchesGo(t *testing.T) {
	want := os.Getenv("GANOMALY_SIMD") != "0"
	for _, mp := range []int{3, 6, 9} {
		for _, np := range []int{4, 8, 12, 16, 20, 28, 48} {
			for _, k := range []int{1, 2, 3, 4, 5, 7, 8, 9, 33, 128} {
				ap := randomInput(mp*k+gemmSlack, uint64(mp*k))
				bp := randomInput(np*k+gemmSlack, uint64(np*k+1))
				host, goC := make([]float32, mp*np+1), make([]float32, mp*np+1)
				host[mp*np], goC[mp*np] = 7, 7 // past the end: must stay
				done := hostGEMM(&ap[0], &bp[0], &host[0], int32(mp), int32(k), int32(np)) != 0
				if done != want {
					t.Fatalf("host kernel answered %v, want %v (GANOMALY_SIMD=%q)", done, want, os.Getenv("GANOMALY_SIMD"))
				}
				if !done {
					continue
				}
				gemmGo(ap, bp, goC, mp, k, np)
				for i := range host {
					if math.Float32bits(host[i]) != math.Float32bits(goC[i]) {
						t.Fatalf("mp %d k %d np %d: c[%d] = %v, Go kernel %v", mp, k, np, i, host[i], goC[i])
					}
				}
			}
		}
	}
	gemm(randomInput(3*4+gemmSlack, 1), randomInput(4*4+gemmSlack, 2), make([]float32, 12), 3, 4, 4)
	if HostKernels() != want {
		t.Fatalf("HostKernels() = %v after a product, want %v", HostKernels(), want)
	}
}
