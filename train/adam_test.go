package train

import (
	"bytes"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/ganomaly-go/ganomaly/modelfile"
)

// byName indexes tensors by name.
func byName(ts []*modelfile.Tensor) map[string]*modelfile.Tensor {
	m := map[string]*modelfile.Tensor{}
	for _, t := range ts {
		m[t.Name] = t
	}
	return m
}

func stateBytes(tr *Trainer) []byte {
	var b bytes.Buffer
	g, d := tr.OptimizerState()
	for _, t := range append(append(append(g, d...), tr.tensorsG("")...), tr.tensorsD("")...) {
		b.WriteString(t.Name)
		b.Write(t.Data)
	}
	return b.Bytes()
}

// A trainer given another's state dicts and optimiser state after a step
// takes the next step exactly as that one does: the state is everything
// Step reads (weights, BatchNorm running statistics and counters, Adam's
// step count and moments).
func TestOptimizerStateResumesTraining(t *testing.T) {
	a := smallArch
	tr, err := New(DefaultOptions(a))
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(5, 5))
	x1, x2 := blobs(rng, 8, a), blobs(rng, 8, a)
	if _, err := tr.Step(x1); err != nil {
		t.Fatal(err)
	}
	g, d := tr.OptimizerState()
	gs, ds := byName(g), byName(d)
	if len(g) != 1+2*len(tr.paramsG()) || len(d) != 1+2*len(tr.paramsD()) {
		t.Fatalf("%d and %d optimiser tensors, want step + 2 per parameter (%d, %d)", len(g), len(d), 1+2*len(tr.paramsG()), 1+2*len(tr.paramsD()))
	}
	for _, ts := range []map[string]*modelfile.Tensor{gs, ds} {
		if ts[AdamStep] == nil || ts[AdamStep].DType != modelfile.I64 || ts[AdamStep].Data[0] != 1 {
			t.Errorf("step tensor %+v, want one I64 1", ts[AdamStep])
		}
	}
	w := "encoder1.main.initial-conv-1-4.weight"
	if m := gs[AdamExpAvg+w]; m == nil || len(m.Shape) != 4 {
		t.Fatalf("no 4-d %s", AdamExpAvg+w)
	}
	wantG, wantD := byName(tr.tensorsG("")), byName(tr.tensorsD(""))

	opt := DefaultOptions(a)
	opt.Seed = 99 // other initial weights: everything must come from the loads
	tr2, err := New(opt)
	if err != nil {
		t.Fatal(err)
	}
	for _, err := range []error{
		tr2.LoadGenerator(func(n string) *modelfile.Tensor { return wantG[n] }),
		tr2.LoadDiscriminator(func(n string) *modelfile.Tensor { return wantD[n] }),
		tr2.LoadOptimizerState(func(n string) *modelfile.Tensor { return gs[n] }, func(n string) *modelfile.Tensor { return ds[n] }),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	if !bytes.Equal(stateBytes(tr), stateBytes(tr2)) {
		t.Fatal("the loaded state differs from the saved one")
	}
	l1, err := tr.Step(x2)
	if err != nil {
		t.Fatal(err)
	}
	l2, err := tr2.Step(x2)
	if err != nil {
		t.Fatal(err)
	}
	if l1 != l2 {
		t.Errorf("losses of the next step: %+v after loading, %+v without", l2, l1)
	}
	if !bytes.Equal(stateBytes(tr), stateBytes(tr2)) {
		t.Error("the next step's weights or optimiser state differ after loading the state")
	}
}

func TestLoadOptimizerStateErrors(t *testing.T) {
	tr, err := New(DefaultOptions(smallArch))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tr.Step(blobs(rand.New(rand.NewPCG(1, 2)), 4, smallArch)); err != nil {
		t.Fatal(err)
	}
	w := "encoder1.main.initial-conv-1-4.weight"
	cw := "classifier.0.weight"
	shape := func(name string) []int { g, d := tr.OptimizerState(); return byName(append(g, d...))[name].Shape }
	cases := []struct {
		name  string
		net   string // "g" or "d": whose state is edited
		key   string
		value *modelfile.Tensor // nil: the tensor is removed
		want  string
	}{
		{"no step", "g", AdamStep, nil, `generator's optimiser: tensor "step" is missing`},
		{"step not I64", "g", AdamStep, modelfile.NewF32(AdamStep, nil, []float32{1}), "want one I64 value, got F32"},
		{"two steps", "d", AdamStep, modelfile.NewI64(AdamStep, []int{2}, []int64{1, 1}), "discriminator's optimiser: tensor \"step\": want one I64 value"},
		{"negative step", "g", AdamStep, modelfile.NewI64(AdamStep, nil, []int64{-1}), "-1 updates"},
		{"no first moment", "g", AdamExpAvg + w, nil, `tensor "exp_avg.` + w + `" is missing`},
		{"no second moment", "d", AdamExpAvgSq + cw, nil, `discriminator's optimiser: tensor "exp_avg_sq.` + cw + `" is missing`},
		{"wrong shape", "g", AdamExpAvg + w, modelfile.NewF32(AdamExpAvg+w, []int{2}, []float32{0, 0}), "has shape [2], want [4 1 4 4]"},
		{"F16", "g", AdamExpAvgSq + w, modelfile.NewF16(AdamExpAvgSq+w, shape(AdamExpAvgSq+w), make([]float32, 64)), "want 64 F32 values"},
		{"short data", "g", AdamExpAvg + w, &modelfile.Tensor{Name: AdamExpAvg + w, DType: modelfile.F32, Shape: shape(AdamExpAvg + w), Data: make([]byte, 8)}, "want 64 F32 values, got 8 bytes"},
		{"NaN", "d", AdamExpAvg + cw, modelfile.NewF32(AdamExpAvg+cw, shape(AdamExpAvg+cw), filled(128, float32(math.NaN()))), "element 0 is NaN"},
		{"negative second moment", "g", AdamExpAvgSq + w, modelfile.NewF32(AdamExpAvgSq+w, shape(AdamExpAvgSq+w), filled(64, -1e-9)), "≥ 0 for a second moment"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := stateBytes(tr)
			g, d := tr.OptimizerState()
			gs, ds := byName(g), byName(d)
			edit := gs
			if c.net == "d" {
				edit = ds
			}
			if c.net == "d" { // a valid change of G's state, which a partial load would show
				gs[AdamStep] = modelfile.NewI64(AdamStep, nil, []int64{7})
			}
			if c.value == nil {
				delete(edit, c.key)
			} else {
				edit[c.key] = c.value
			}
			err := tr.LoadOptimizerState(func(n string) *modelfile.Tensor { return gs[n] }, func(n string) *modelfile.Tensor { return ds[n] })
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want one containing %q", err, c.want)
			}
			if !bytes.Equal(before, stateBytes(tr)) {
				t.Error("a failed load changed the state")
			}
		})
	}
}

func filled(n int, v float32) []float32 {
	out := make([]float32, n)
	for i := range out {
		out[i] = v
	}
	return out
}
