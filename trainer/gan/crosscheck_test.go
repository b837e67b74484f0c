package gan

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/ganomaly-go/ganomaly/modelfile"
	"github.com/sugarme/gotch"
)

// writeNpy writes a float32 array in NumPy's .npy format (version 1.0).
func writeNpy(path string, shape []int, v []float32) error {
	dims := ""
	for _, s := range shape {
		dims += fmt.Sprintf("%d, ", s)
	}
	header := fmt.Sprintf("{'descr': '<f4', 'fortran_order': False, 'shape': (%s), }", dims[:len(dims)-2])
	pad := 64 - (10+len(header)+1)%64
	header += string(bytes.Repeat([]byte{' '}, pad)) + "\n"
	var b bytes.Buffer
	b.WriteString("\x93NUMPY\x01\x00")
	binary.Write(&b, binary.LittleEndian, uint16(len(header)))
	b.WriteString(header)
	binary.Write(&b, binary.LittleEndian, v)
	return os.WriteFile(path, b.Bytes(), 0o644)
}

// TestLossesMatchTheOriginalStep runs the authors' optimize_params(),
// reproduced in PyTorch (bench/original_step.py), on the same initial G and
// D and the same batch, and compares the losses of two steps with ours: the
// order G step → D step, the loss terms and weights, Adam's update and the
// discriminator's view of the pre-step fake. Needs python3 with torch 2.1.0,
// numpy and safetensors (scripts/python-env.sh); set GANOMALY_CROSSCHECK=1.
func TestLossesMatchTheOriginalStep(t *testing.T) {
	if os.Getenv("GANOMALY_CROSSCHECK") == "" {
		t.Skip("set GANOMALY_CROSSCHECK=1 with PyTorch importable (eval \"$(bash scripts/python-env.sh)\") to compare with the original step")
	}
	o := testOptions(21)
	m, err := NewModel(o, gotch.CPU)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	st, err := m.StateTensors()
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := modelfile.Encode(&buf, st, map[string]string{"k": "v"}); err != nil {
		t.Fatal(err)
	}
	state := filepath.Join(dir, "state.safetensors")
	os.WriteFile(state, buf.Bytes(), 0o644)
	xv := randomValues(77, 64*32*32)
	if err := writeNpy(filepath.Join(dir, "x.npy"), []int{64, 1, 32, 32}, xv); err != nil {
		t.Fatal(err)
	}
	x, err := FromFloat32(xv, []int64{64, 1, 32, 32}, gotch.CPU)
	if err != nil {
		t.Fatal(err)
	}
	var ours [2]Losses
	for i := range ours {
		if ours[i], err = m.Step(x, int64(i)); err != nil {
			t.Fatal(err)
		}
	}
	out, err := exec.Command("python3", "../bench/original_step.py", "losses", state, filepath.Join(dir, "x.npy")).CombinedOutput()
	if err != nil {
		t.Fatalf("original_step.py: %v\n%s", err, out)
	}
	var theirs map[string]map[string]float64
	if err := json.Unmarshal(out, &theirs); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	for i, key := range []string{"step1", "step2"} {
		p, l := theirs[key], ours[i]
		for _, c := range []struct {
			name     string
			us, them float64
		}{{"err_g", l.ErrG, p["err_g"]}, {"err_g_adv", l.ErrGAdv, p["err_g_adv"]}, {"err_g_con", l.ErrGCon, p["err_g_con"]},
			{"err_g_enc", l.ErrGEnc, p["err_g_enc"]}, {"err_d", l.ErrD, p["err_d"]}, {"err_d_real", l.ErrDReal, p["err_d_real"]}, {"err_d_fake", l.ErrDFake, p["err_d_fake"]}} {
			// float32 arithmetic in different summation orders
			if math.Abs(c.us-c.them) > 1e-4*math.Max(math.Abs(c.them), 1e-2) {
				t.Errorf("%s %s: ours %.7g, original %.7g", key, c.name, c.us, c.them)
			}
		}
		t.Logf("%s: ours %+v\noriginal %v", key, l, p)
	}
}
