package engine

import (
	"fmt"
	"math"

	"github.com/ganomaly-go/ganomaly/modelfile"
)

// LayerInfo describes one layer of a loaded model for display: its spec and
// the shape of its output feature map (C×H×W).
type LayerInfo struct {
	LayerSpec
	OutW int
}

// Result is the output of one forward pass. Its slices belong to the Model
// and are overwritten by the next call; copy what you keep.
type Result struct {
	XHat    []float32 // reconstruction x̂, CHW, in normalised units
	LatentI []float32 // E1(x), nz values
	LatentO []float32 // E2(x̂), nz values
	// Score is the anomaly score mean((latentI − latentO)²): higher is more
	// anomalous.
	Score float64
	// Diff is the per-pixel |x − x̂| averaged over channels, isize×isize, in
	// normalised units: the anomaly heat map.
	Diff []float32
}

// Model is a loaded generator ready to run. It is not safe for concurrent
// use: Clone one per goroutine (clones share the read-only weights).
type Model struct {
	meta   modelfile.Metadata
	layers []*layer // E1, decoder, E2 in execution order
	nEnc   int      // layers per encoder
	nDec   int      // decoder layers
	acts   [][]float32
	x      []float32
	diff   []float32
	res    Result
	ws     workspace
}

// Load builds a Model from a checkpoint or a model file, folding BatchNorm
// into the convolutions.
func Load(f *modelfile.File) (*Model, error) {
	if err := f.Meta.Validate(); err != nil {
		return nil, fmt.Errorf("engine: %w", err)
	}
	folded, err := foldLayers(f)
	if err != nil {
		return nil, err
	}
	m := &Model{meta: f.Meta}
	m.nEnc = len(EncoderSpecs("encoder1", f.Meta.Arch))
	m.nDec = len(folded) - 2*m.nEnc
	for _, fl := range folded {
		m.layers = append(m.layers, newLayer(fl))
	}
	m.allocate()
	return m, nil
}

// Clone returns a Model that shares m's weights but has its own buffers.
func (m *Model) Clone() *Model {
	c := &Model{meta: m.meta, layers: m.layers, nEnc: m.nEnc, nDec: m.nDec}
	c.allocate()
	return c
}

func (m *Model) allocate() {
	m.acts = make([][]float32, len(m.layers))
	for i, l := range m.layers {
		m.acts[i] = make([]float32, l.spec.OutC*l.spec.OutH*l.spec.OutH)
		m.ws.reserve(l)
	}
	a := m.meta.Arch
	m.x = make([]float32, a.NC*a.ISize*a.ISize)
	m.diff = make([]float32, a.ISize*a.ISize)
}

// Meta returns the model's metadata.
func (m *Model) Meta() modelfile.Metadata { return m.meta }

// Arch returns the model's architecture.
func (m *Model) Arch() modelfile.Arch { return m.meta.Arch }

// InputLen is the length of the CHW input slice: nc·isize·isize.
func (m *Model) InputLen() int { return len(m.x) }

// Layers lists every layer in execution order (E1, decoder, E2).
func (m *Model) Layers() []LayerInfo {
	out := make([]LayerInfo, len(m.layers))
	for i, l := range m.layers {
		out[i] = LayerInfo{LayerSpec: l.spec, OutW: l.spec.OutH}
	}
	return out
}

// MACs is the number of multiply-adds of one forward pass.
func (m *Model) MACs() int64 {
	var n int64
	for _, l := range m.layers {
		n += l.spec.MACs()
	}
	return n
}

// Forward runs x (CHW, normalised with the model's mean/std) through E1, the
// decoder and E2.
func (m *Model) Forward(x []float32) (*Result, error) {
	return m.Trace(x, nil)
}

// Trace is Forward that also calls visit after every layer with the layer's
// index, description and output feature map (valid only during the call).
func (m *Model) Trace(x []float32, visit func(i int, l LayerInfo, out []float32)) (*Result, error) {
	if len(x) != len(m.x) {
		a := m.meta.Arch
		return nil, fmt.Errorf("engine: input has %d values, want %d (%d channels × %d × %d)", len(x), len(m.x), a.NC, a.ISize, a.ISize)
	}
	copy(m.x, x)
	in := m.x
	for i, l := range m.layers {
		l.forward(in, m.acts[i], &m.ws)
		in = m.acts[i]
		if visit != nil {
			visit(i, LayerInfo{LayerSpec: l.spec, OutW: l.spec.OutH}, in)
		}
	}
	e1End, decEnd := m.nEnc, m.nEnc+m.nDec
	m.res.LatentI = m.acts[e1End-1]
	m.res.XHat = m.acts[decEnd-1]
	m.res.LatentO = m.acts[len(m.acts)-1]
	m.scoreAndDiff()
	if math.IsNaN(m.res.Score) || math.IsInf(m.res.Score, 0) {
		return nil, fmt.Errorf("engine: the score is %v: the input or the weights contain NaN or infinite values", m.res.Score)
	}
	return &m.res, nil
}

// scoreAndDiff computes the score and the heat map of the last forward pass.
func (m *Model) scoreAndDiff() {
	var sum float64
	for i, a := range m.res.LatentI {
		d := float64(a) - float64(m.res.LatentO[i])
		sum += float64(d * d)
	}
	m.res.Score = sum / float64(len(m.res.LatentI))
	nc, hw := m.meta.Arch.NC, len(m.diff)
	for p := 0; p < hw; p++ {
		var s float32
		for c := 0; c < nc; c++ {
			d := m.x[c*hw+p] - m.res.XHat[c*hw+p]
			if d < 0 {
				d = -d
			}
			s += d
		}
		m.diff[p] = s / float32(nc)
	}
	m.res.Diff = m.diff
}

// Decode runs the decoder alone on a latent vector of nz values and returns
// the image (CHW, normalised units), valid until the next call.
func (m *Model) Decode(latent []float32) ([]float32, error) {
	if len(latent) != m.meta.Arch.NZ {
		return nil, fmt.Errorf("engine: latent has %d values, want nz = %d", len(latent), m.meta.Arch.NZ)
	}
	in := latent
	for i := m.nEnc; i < m.nEnc+m.nDec; i++ {
		m.layers[i].forward(in, m.acts[i], &m.ws)
		in = m.acts[i]
	}
	return in, nil
}

// Encode runs encoder E1 alone and returns latentI (nz values), valid until
// the next call.
func (m *Model) Encode(x []float32) ([]float32, error) {
	if len(x) != len(m.x) {
		return nil, fmt.Errorf("engine: input has %d values, want %d", len(x), len(m.x))
	}
	in := x
	for i := 0; i < m.nEnc; i++ {
		m.layers[i].forward(in, m.acts[i], &m.ws)
		in = m.acts[i]
	}
	return in, nil
}
