// Package engine is a pure-Go (no cgo) forward pass of the GANomaly
// generator: encoder E1, decoder D and encoder E2 (Akcay et al., 2018).
//
//	latentI = E1(x);  x̂ = D(latentI);  latentO = E2(x̂)
//	score   = mean over nz of (latentI − latentO)²
//
// It runs natively and under GOOS=js GOARCH=wasm and gives bit-identical
// results on both: kernels keep a fixed summation order and never let the
// compiler fuse a multiply and an add (every product is rounded to float32
// explicitly), and Tanh uses our own exp rather than math.Exp, which has an
// assembly version on amd64.
//
// BatchNorm runs in eval mode (running statistics) and is folded into the
// preceding convolution when a model is loaded. Convolutions are lowered to
// register-tiled matrix products (layer.go): the stride-2 4×4 Conv2d and
// ConvTranspose2d layers, which hold 96% of the work, as four 2×2 polyphase
// convolutions computed with Winograd F(4×4, 2×2) where the outputs are at
// least 8×8 per phase and F(2×2, 2×2) otherwise (winograd.go); the layers
// with a 1×1 input or output as matrix-vector products; the rest through
// im2col or col2im. docs/engine-speed.md has the measurements.
package engine
