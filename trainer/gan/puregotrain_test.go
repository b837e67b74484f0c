package gan

import (
	"bytes"
	"math"
	"testing"

	"github.com/ganomaly-go/ganomaly/modelfile"
	"github.com/ganomaly-go/ganomaly/train"
	"github.com/sugarme/gotch"
)

// TestThePureGoTrainerMatches builds the libtorch trainer and the pure-Go
// trainer (package train) from the same options and seed: their initial
// networks must be identical tensor for tensor (one spec, one init, the same
// random streams), and their first step on the same batch must give the
// same losses to float32 rounding (trainStepRTol; measured about 1e-6).
func TestThePureGoTrainerMatches(t *testing.T) {
	const trainStepRTol = 1e-5
	opt := small(11)
	m := newModel(t, opt)
	gopt := train.DefaultOptions(opt.Arch)
	gopt.NDF, gopt.Seed = opt.NDF, opt.Seed
	g, err := train.New(gopt)
	if err != nil {
		t.Fatal(err)
	}
	ours, err := m.G.tensors("")
	if err != nil {
		t.Fatal(err)
	}
	gf := g.GeneratorFile(modelfile.Metadata{})
	for _, ts := range ours {
		other := gf.Tensor(ts.Name)
		if other == nil || !bytes.Equal(other.Data, ts.Data) {
			t.Fatalf("initial %s differs between the trainers", ts.Name)
		}
	}
	dts, err := m.D.tensors("")
	if err != nil {
		t.Fatal(err)
	}
	gd := map[string][]byte{}
	for _, ts := range g.DiscriminatorTensors() {
		gd[ts.Name] = ts.Data
	}
	for _, ts := range dts {
		if !bytes.Equal(gd[ts.Name], ts.Data) {
			t.Fatalf("initial %s differs between the trainers", ts.Name)
		}
	}
	const n = 16
	a := opt.Arch
	vals := randomValues(21, n*a.NC*a.ISize*a.ISize)
	x, err := FromFloat32(vals, []int64{n, int64(a.NC), int64(a.ISize), int64(a.ISize)}, gotch.CPU)
	if err != nil {
		t.Fatal(err)
	}
	var want Losses
	OnTorchThread(func() { want, err = m.Step(x, 0) })
	if err != nil {
		t.Fatal(err)
	}
	got, err := g.Step(vals)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name      string
		got, want float64
	}{{"errG", got.ErrG, want.ErrG}, {"errG adv", got.ErrGAdv, want.ErrGAdv}, {"errG con", got.ErrGCon, want.ErrGCon},
		{"errG enc", got.ErrGEnc, want.ErrGEnc}, {"errD", got.ErrD, want.ErrD}, {"errD real", got.ErrDReal, want.ErrDReal},
		{"errD fake", got.ErrDFake, want.ErrDFake}} {
		if r := math.Abs(c.got-c.want) / math.Max(math.Abs(c.want), 1e-12); r > trainStepRTol {
			t.Errorf("%s: pure Go %v, libtorch %v (relative %.3g > %g)", c.name, c.got, c.want, r, trainStepRTol)
		}
	}
}
