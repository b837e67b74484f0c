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
// preceding convolution when a model is loaded. Convolutions are lowered to a
// register-tiled matrix product: Conv2d through im2col, ConvTranspose2d
// through a product with the transposed weights followed by col2im.
package engine
