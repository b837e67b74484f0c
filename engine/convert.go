package engine

import (
	"fmt"

	"github.com/ganomaly-go/ganomaly/modelfile"
	"github.com/ganomaly-go/ganomaly/spec"
)

// Weight storage types of a model file.
const (
	DTypeF32 = "f32"
	DTypeF16 = "f16"
	DTypeI8  = "i8"
)

// Convert stores a BatchNorm-folded F32 model's weights as dtype: F32 as
// is, F16 rounded to nearest even, I8 quantised per output channel (axis 0
// for Conv2d, 1 for ConvTranspose2d) with a broadcastable F32 scale. Biases
// stay F32 in every case. The exporter and the page's Train view both write
// model files through it.
func Convert(folded *modelfile.File, dtype string) (*modelfile.File, error) {
	out := modelfile.New(folded.Meta)
	out.Meta.Kind = modelfile.KindModel
	for _, s := range spec.GeneratorLayers(folded.Meta.Arch) {
		name := s.Key() + ".weight"
		w, shape, err := folded.Float32s(name)
		if err != nil {
			return nil, err
		}
		switch dtype {
		case DTypeF32:
			out.Add(modelfile.NewF32(name, shape, w))
		case DTypeF16:
			out.Add(modelfile.NewF16(name, shape, w))
		case DTypeI8:
			q, scale := modelfile.Quantize(name, shape, w, s.OutputAxis())
			out.Add(q)
			out.Add(scale)
		default:
			return nil, fmt.Errorf("-dtype %q: want f32, f16 or i8", dtype)
		}
		b, bshape, err := folded.Float32s(s.Key() + ".bias")
		if err != nil {
			return nil, err
		}
		out.Add(modelfile.NewF32(s.Key()+".bias", bshape, b))
	}
	return out, nil
}
