// Package modelfile reads and writes GANomaly model files and training
// checkpoints in the safetensors format.
//
// A safetensors file is an 8-byte little-endian header length N, N bytes of
// JSON (one entry per tensor with dtype, shape and data_offsets, plus a
// "__metadata__" map of strings) and the raw little-endian tensor data. Python
// users open our files with `safetensors.safe_open(path, "np")`.
//
// The reader validates every size, offset, dtype and shape against the file
// size before it allocates anything, so a truncated or hostile file yields an
// error that says what is wrong instead of a panic or a huge allocation.
//
// Tensor names are the PyTorch state-dict keys of the original GANomaly code
// (for example "encoder1.main.pyramid-64-128-conv.weight"). Our own metadata
// lives in __metadata__["ganomaly"] as JSON (see Metadata); its version is
// __metadata__["format_version"].
package modelfile
