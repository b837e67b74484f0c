// Package train is a pure-Go GANomaly trainer (no cgo): training-mode
// forward and backward passes of Conv2d, ConvTranspose2d, BatchNorm2d (batch
// statistics; running statistics with momentum 0.1 and the unbiased
// variance, as PyTorch), LeakyReLU(0.2), ReLU, Tanh and Sigmoid, the
// generator and discriminator of package spec with the reference
// initialisation, the losses and the training step of the authors' current
// code, and Adam with PyTorch's semantics.
//
// It builds natively and for GOOS=js GOARCH=wasm and gives bit-identical
// weights on both: every product is rounded to float32 before it is added (no
// FMA), matrix products use the engine's register-tiled kernel, and exp, log
// and tanh are computed with correctly rounded operations only.
//
// A caller drives it one batch at a time, so a Web Worker can pause between
// steps, report progress and losses after each, and snapshot or evaluate
// the model whenever it likes:
//
//	tr, _ := train.New(train.DefaultOptions(arch))
//	for each batch x (NCHW, normalised to [-1, 1]):
//		losses, err := tr.Step(x)
//	model, _ := tr.Model()                        // eval-mode engine model
//	ckpt := tr.GeneratorFile(meta)                // netG checkpoint, original keys
//	scores, _ := tr.Scores(x, train.BatchStats)   // the original's test-time BatchNorm
//
// Activations are kept in CNHW order ([channel][image][y][x]) so that a
// convolution over the whole batch is one matrix product and BatchNorm reads
// each channel contiguously. Buffers are sized by the first batch; a step
// allocates nothing after that.
package train
