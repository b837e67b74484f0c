package gan

import (
	"encoding/binary"
	"fmt"

	"github.com/ganomaly-go/ganomaly/modelfile"
)

// Prefixes of the tensors in a training-state file.
const (
	PrefixG    = "netG."
	PrefixD    = "netD."
	PrefixOptG = "optG."
	PrefixOptD = "optD."
)

// tensors returns the network's state dict as modelfile tensors with the
// given name prefix (F32, num_batches_tracked I64).
func (n *Net) tensors(prefix string) ([]*modelfile.Tensor, error) {
	var out []*modelfile.Tensor
	for _, p := range n.params {
		shape := make([]int, len(p.Shape))
		for i, s := range p.Shape {
			shape[i] = int(s)
		}
		if p.IsCounter() {
			out = append(out, modelfile.NewI64(prefix+p.Name, shape, []int64{p.Count}))
			continue
		}
		v, err := Float32s(p.T)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p.Name, err)
		}
		out = append(out, modelfile.NewF32(prefix+p.Name, shape, v))
	}
	return out, nil
}

// load copies tensors named prefix+param name into the network, checking
// that every parameter is present with the right shape.
func (n *Net) load(prefix string, get func(name string) *modelfile.Tensor) error {
	for _, p := range n.params {
		t := get(prefix + p.Name)
		if t == nil {
			return fmt.Errorf("tensor %q is missing", prefix+p.Name)
		}
		if len(t.Shape) != len(p.Shape) {
			return fmt.Errorf("tensor %q has shape %v, want %v", prefix+p.Name, t.Shape, p.Shape)
		}
		for i := range t.Shape {
			if int64(t.Shape[i]) != p.Shape[i] {
				return fmt.Errorf("tensor %q has shape %v, want %v (was it trained with other --isize/--nc/--nz/--ngf/--ndf/--extralayers?)", prefix+p.Name, t.Shape, p.Shape)
			}
		}
		if p.IsCounter() {
			switch {
			case t.DType == modelfile.I64 && len(t.Data) == 8:
				p.Count = int64(binary.LittleEndian.Uint64(t.Data))
			default:
				f, err := t.Float32s()
				if err != nil || len(f) != 1 {
					return fmt.Errorf("tensor %q: want one integer (%v)", prefix+p.Name, err)
				}
				p.Count = int64(f[0])
			}
			continue
		}
		v, err := t.Float32s()
		if err != nil {
			return fmt.Errorf("tensor %q: %w", prefix+p.Name, err)
		}
		if err := n.SetFloat32(p, v); err != nil {
			return err
		}
	}
	return nil
}

// GeneratorFile returns G's state dict, with the original key names, as a
// checkpoint file carrying meta (Kind is set to KindCheckpoint and Arch to G's).
func (m *Model) GeneratorFile(meta modelfile.Metadata) (*modelfile.File, error) {
	meta.Kind = modelfile.KindCheckpoint
	meta.Arch = m.Opt.Arch
	f := modelfile.New(meta)
	ts, err := m.G.tensors("")
	if err != nil {
		return nil, err
	}
	for _, t := range ts {
		f.Add(t)
	}
	return f, nil
}

// LoadGenerator copies a checkpoint file's generator tensors into G.
func (m *Model) LoadGenerator(f *modelfile.File) error {
	if f.Meta.Kind != modelfile.KindCheckpoint {
		return fmt.Errorf("file is a %q, want a %q (BatchNorm unfolded)", f.Meta.Kind, modelfile.KindCheckpoint)
	}
	if f.Meta.Arch != m.Opt.Arch {
		return fmt.Errorf("checkpoint architecture %+v differs from %+v", f.Meta.Arch, m.Opt.Arch)
	}
	return m.G.load("", f.Tensor)
}

// StateTensors returns everything --resume needs: G, D and both optimisers'
// moments (the step counts go in the state file's metadata).
func (m *Model) StateTensors() ([]*modelfile.Tensor, error) {
	g, err := m.G.tensors(PrefixG)
	if err != nil {
		return nil, err
	}
	d, err := m.D.tensors(PrefixD)
	if err != nil {
		return nil, err
	}
	out := append(g, d...)
	for _, o := range []struct {
		opt    *Adam
		prefix string
	}{{m.OptG, PrefixOptG}, {m.OptD, PrefixOptD}} {
		names, shapes, values, err := o.opt.State(o.prefix)
		if err != nil {
			return nil, err
		}
		for i := range names {
			shape := make([]int, len(shapes[i]))
			for k, s := range shapes[i] {
				shape[k] = int(s)
			}
			out = append(out, modelfile.NewF32(names[i], shape, values[i]))
		}
	}
	return out, nil
}

// LoadState restores what StateTensors saved.
func (m *Model) LoadState(tensors []*modelfile.Tensor, stepG, stepD int64) error {
	byName := make(map[string]*modelfile.Tensor, len(tensors))
	for _, t := range tensors {
		byName[t.Name] = t
	}
	get := func(name string) *modelfile.Tensor { return byName[name] }
	if err := m.G.load(PrefixG, get); err != nil {
		return fmt.Errorf("generator: %w", err)
	}
	if err := m.D.load(PrefixD, get); err != nil {
		return fmt.Errorf("discriminator: %w", err)
	}
	getF := func(name string) ([]float32, error) {
		t := byName[name]
		if t == nil {
			return nil, fmt.Errorf("optimiser tensor %q is missing", name)
		}
		return t.Float32s()
	}
	if err := m.OptG.SetState(PrefixOptG, stepG, getF); err != nil {
		return err
	}
	return m.OptD.SetState(PrefixOptD, stepD, getF)
}
