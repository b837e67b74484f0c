package train

import (
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"slices"

	"github.com/ganomaly-go/ganomaly/modelfile"
	"github.com/ganomaly-go/ganomaly/spec"
)

// net is a sequence of layers (one of G's parts, or D's features).
type net struct {
	layers []*layer
}

func newNet(specs []spec.LayerSpec) net {
	n := net{layers: make([]*layer, len(specs))}
	for i, s := range specs {
		n.layers[i] = newLayer(s)
	}
	return n
}

// passes is one forward pass of a net, one pass per layer.
type passes []pass

func (n *net) newPasses() passes { return make(passes, len(n.layers)) }

// forward runs the net on in (CNHW, batch b) and returns its output (owned by
// ps).
func (n *net) forward(ps passes, in []float32, b int, mode Mode, g *gemmer) []float32 {
	for i, l := range n.layers {
		in = l.forward(&ps[i], in, b, mode, g)
	}
	return in
}

// backward back-propagates dout, the gradient of the net's output, through
// the pass ps: parameter gradients are added when params is set, and the
// gradient of the input is returned when input is set (owned by ps).
func (n *net) backward(ps passes, dout []float32, params, input bool, g *gemmer) []float32 {
	d := dout
	for i := len(n.layers) - 1; i >= 0; i-- {
		d = n.layers[i].backward(&ps[i], d, params, input || i > 0, g)
	}
	return d
}

// saveStats appends the BatchNorm running statistics and counters to dst.
func (n *net) saveStats(dst []float32, counts []int64) ([]float32, []int64) {
	for _, l := range n.layers {
		if l.gamma != nil {
			dst = append(append(dst, l.runMean...), l.runVar...)
			counts = append(counts, l.batches)
		}
	}
	return dst, counts
}

// restoreStats undoes the running-statistics updates since saveStats.
func (n *net) restoreStats(src []float32, counts []int64) ([]float32, []int64) {
	for _, l := range n.layers {
		if l.gamma != nil {
			c := len(l.runMean)
			copy(l.runMean, src[:c])
			copy(l.runVar, src[c:2*c])
			src = src[2*c:]
			l.batches, counts = counts[0], counts[1:]
		}
	}
	return src, counts
}

func (n *net) zeroGrad() {
	for _, l := range n.layers {
		l.zeroGrad()
	}
}

// param is a trainable tensor with its gradient.
type param struct {
	name      string
	shape     []int
	val, grad []float32
}

// params lists the trainable tensors in state-dict order.
func (n *net) params() []param {
	var ps []param
	for _, l := range n.layers {
		for _, t := range l.s.Tensors() {
			if t.Kind.Trainable() {
				ps = append(ps, param{t.Name, t.Shape, l.tensor(t.Kind), l.grad(t.Kind)})
			}
		}
	}
	return ps
}

// init sets every tensor to its reference initial value (spec.Tensor.Init),
// drawing from rng in state-dict order as the libtorch trainer does, so a
// seed gives both trainers the same networks. Running statistics are reset
// only when resetStats is set: the original's re-initialisation of D keeps
// them.
func (n *net) init(rng *rand.Rand, resetStats bool) {
	for _, l := range n.layers {
		for _, t := range l.s.Tensors() {
			stat := t.Kind == spec.RunningMean || t.Kind == spec.RunningVar || t.Kind == spec.NumBatchesTracked
			if stat && !resetStats {
				continue
			}
			v := t.Init(rng)
			if t.Kind == spec.NumBatchesTracked {
				l.batches = 0
				continue
			}
			copy(l.tensor(t.Kind), v)
		}
	}
}

// tensors returns the state dict with the original key names (prefixed):
// F32, and num_batches_tracked as I64.
func (n *net) tensors(prefix string) []*modelfile.Tensor {
	var out []*modelfile.Tensor
	for _, l := range n.layers {
		for _, t := range l.s.Tensors() {
			if t.Kind == spec.NumBatchesTracked {
				out = append(out, modelfile.NewI64(prefix+t.Name, t.Shape, []int64{l.batches}))
				continue
			}
			out = append(out, modelfile.NewF32(prefix+t.Name, t.Shape, slices.Clone(l.tensor(t.Kind))))
		}
	}
	return out
}

// load copies tensors named prefix + key into the net, checking that every
// one is present with its shape (num_batches_tracked may be absent, as in
// state dicts of torch before 0.4.1).
func (n *net) load(prefix string, get func(name string) *modelfile.Tensor) error {
	for _, l := range n.layers {
		for _, t := range l.s.Tensors() {
			name := prefix + t.Name
			src := get(name)
			if src == nil {
				if t.Kind == spec.NumBatchesTracked {
					continue
				}
				return fmt.Errorf("tensor %q is missing", name)
			}
			if !slices.Equal(src.Shape, t.Shape) {
				return fmt.Errorf("tensor %q has shape %v, want %v (was it trained with other isize/nc/nz/ngf/ndf/extralayers?)", name, src.Shape, t.Shape)
			}
			if t.Kind == spec.NumBatchesTracked {
				if src.DType != modelfile.I64 || len(src.Data) != 8 {
					return fmt.Errorf("tensor %q: want one I64 value", name)
				}
				l.batches = int64(binary.LittleEndian.Uint64(src.Data))
				continue
			}
			v, err := src.Float32s()
			if err != nil {
				return fmt.Errorf("tensor %q: %w", name, err)
			}
			copy(l.tensor(t.Kind), v)
		}
	}
	return nil
}
