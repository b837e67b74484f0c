package engine

import (
	"fmt"
	"math"

	"github.com/ganomaly-go/ganomaly/modelfile"
	"github.com/ganomaly-go/ganomaly/spec"
)

// LayerInfo describes one layer of a loaded model for display: its spec and
// the shape of its output feature map (C×H×W).
type LayerInfo struct {
	spec.LayerSpec
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
	meta modelfile.Metadata
	// The generator's three parts, each a list of layers in execution order,
	// with their output buffers.
	enc1, dec, enc2 part
	x               []float32
	diff            []float32
	res             Result
	ws              workspace
}

// part is one of G's encoder1, decoder and encoder2.
type part struct {
	layers []*layer
	acts   [][]float32 // every layer's output
}

// run runs the part on in and returns its output (valid until the next
// call); visit, when set, sees every layer's output with its index in G
// counted from first.
func (p *part) run(in []float32, ws *workspace, first int, visit func(i int, l LayerInfo, out []float32)) []float32 {
	for i, l := range p.layers {
		l.forward(in, p.acts[i], ws)
		in = p.acts[i]
		if visit != nil {
			visit(first+i, LayerInfo{LayerSpec: l.spec, OutW: l.spec.OutH}, in)
		}
	}
	return in
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
	g := spec.NewGenerator(f.Meta.Arch)
	for _, p := range []struct {
		dst   *part
		specs []spec.LayerSpec
	}{{&m.enc1, g.Encoder1}, {&m.dec, g.Decoder}, {&m.enc2, g.Encoder2}} {
		p.dst.layers = make([]*layer, len(p.specs))
		for i := range p.specs {
			p.dst.layers[i] = newLayer(folded[0])
			folded = folded[1:]
		}
	}
	m.allocate()
	return m, nil
}

// Clone returns a Model that shares m's weights but has its own buffers.
func (m *Model) Clone() *Model {
	c := &Model{meta: m.meta}
	c.enc1.layers, c.dec.layers, c.enc2.layers = m.enc1.layers, m.dec.layers, m.enc2.layers
	c.allocate()
	return c
}

func (m *Model) parts() []*part { return []*part{&m.enc1, &m.dec, &m.enc2} }

// layers lists every layer in execution order.
func (m *Model) layers() []*layer {
	var ls []*layer
	for _, p := range m.parts() {
		ls = append(ls, p.layers...)
	}
	return ls
}

func (m *Model) allocate() {
	for _, p := range m.parts() {
		p.acts = make([][]float32, len(p.layers))
		for i, l := range p.layers {
			p.acts[i] = make([]float32, l.spec.OutC*l.spec.OutH*l.spec.OutH)
			m.ws.reserve(l)
		}
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
	ls := m.layers()
	out := make([]LayerInfo, len(ls))
	for i, l := range ls {
		out[i] = LayerInfo{LayerSpec: l.spec, OutW: l.spec.OutH}
	}
	return out
}

// MACs is the number of multiply-adds of one forward pass.
func (m *Model) MACs() int64 {
	var n int64
	for _, l := range m.layers() {
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
	m.res.LatentI = m.enc1.run(m.x, &m.ws, 0, visit)
	m.res.XHat = m.dec.run(m.res.LatentI, &m.ws, len(m.enc1.layers), visit)
	m.res.LatentO = m.enc2.run(m.res.XHat, &m.ws, len(m.enc1.layers)+len(m.dec.layers), visit)
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
	return m.dec.run(latent, &m.ws, 0, nil), nil
}

// Encode runs encoder E1 alone and returns latentI (nz values), valid until
// the next call.
func (m *Model) Encode(x []float32) ([]float32, error) {
	if len(x) != len(m.x) {
		return nil, fmt.Errorf("engine: input has %d values, want %d", len(x), len(m.x))
	}
	return m.enc1.run(x, &m.ws, 0, nil), nil
}

// outputs lists every layer's output buffer in execution order.
func (m *Model) outputs() [][]float32 {
	var out [][]float32
	for _, p := range m.parts() {
		out = append(out, p.acts...)
	}
	return out
}
