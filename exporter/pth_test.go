package main

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ganomaly-go/ganomaly/modelfile"
	"github.com/ganomaly-go/ganomaly/preprocess"
)

// The fixtures in testdata/original-tiny were written by PyTorch 2.1.0 running
// the original GANomaly networks (tests/python/make_original_netg.py):
//
//	python3 tests/python/make_original_netg.py --out exporter/testdata/original-tiny \
//	  --isize 16 --nc 3 --nz 8 --ngf 8 --extralayers 1 --mean 0.5 0.4 0.3 --std 0.2 0.25 0.3 \
//	  --cases 3 --calib 0 --test 0 --batchsize 8 --seed 1
//
// netG.pth is torch.save's zip format, netG_legacy.pth the pre-1.6 format of
// the same state dict, netD.pth the discriminator; reference.json holds the
// eval-mode outputs of the original NetG for the images in cases/.
const fixtureDir = "testdata/original-tiny"

type reference struct {
	Arch      modelfile.Arch   `json:"arch"`
	Mean      []float64        `json:"mean"`
	Std       []float64        `json:"std"`
	Epoch     int              `json:"epoch"`
	StateDict map[string][]int `json:"state_dict"`
	Cases     []struct {
		PNG     string    `json:"png"`
		X       []float32 `json:"x"`
		XHat    []float32 `json:"xhat"`
		LatentI []float32 `json:"latent_i"`
		LatentO []float32 `json:"latent_o"`
		Score   float64   `json:"score"`
	} `json:"cases"`
}

func loadReference(t *testing.T) *reference {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(fixtureDir, "reference.json"))
	if err != nil {
		t.Fatal(err)
	}
	var r reference
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	return &r
}

func maxAbs(a, b []float32) float64 {
	var m float64
	for i := range a {
		m = math.Max(m, math.Abs(float64(a[i])-float64(b[i])))
	}
	return m
}

// TestPthRoundTripMatchesTorch exports the original code's netG.pth and
// checks the engine against PyTorch's eval-mode outputs on the same inputs,
// and the whole preprocessing path on the PNGs those inputs came from.
func TestPthRoundTripMatchesTorch(t *testing.T) {
	ref := loadReference(t)
	meanArg := strings.Trim(strings.Join(strings.Fields(fmtFloats(ref.Mean)), ","), "[]")
	stdArg := strings.Trim(strings.Join(strings.Fields(fmtFloats(ref.Std)), ","), "[]")
	dir := t.TempDir()
	var files []string
	for _, src := range []string{"netG.pth", "netG_legacy.pth"} {
		out := filepath.Join(dir, src+".safetensors")
		mustExport(t, "-checkpoint", filepath.Join(fixtureDir, src), "-out", out, "-mean", meanArg, "-std", stdArg,
			"-isize", "16", "-nc", "3", "-nz", "8", "-ngf", "8", "-extralayers", "1", "-dataset", "synthetic")
		files = append(files, out)
	}
	a, _ := os.ReadFile(files[0])
	b, _ := os.ReadFile(files[1])
	if !bytes.Equal(a, b) {
		t.Errorf("the zip and legacy formats of the same state dict give different model files")
	}
	f, err := modelfile.Open(files[0])
	if err != nil {
		t.Fatal(err)
	}
	if f.Meta.Arch != ref.Arch {
		t.Errorf("arch %+v, want %+v", f.Meta.Arch, ref.Arch)
	}
	if !slices.Equal(f.Meta.Norm.Mean, ref.Mean) || !slices.Equal(f.Meta.Norm.Std, ref.Std) {
		t.Errorf("normalisation %+v, want mean %v std %v", f.Meta.Norm, ref.Mean, ref.Std)
	}
	if f.Meta.Training == nil || f.Meta.Training.Epoch != ref.Epoch || f.Meta.Dataset == nil || f.Meta.Dataset.Name != "synthetic" {
		t.Errorf("metadata training %+v dataset %+v", f.Meta.Training, f.Meta.Dataset)
	}
	m := loadModel(t, files[0])
	for i, c := range ref.Cases {
		got := forward(t, m, c.X)
		for _, d := range []struct {
			name string
			v    float64
		}{{"xhat", maxAbs(got.xhat, c.XHat)}, {"latent_i", maxAbs(got.latentI, c.LatentI)}, {"latent_o", maxAbs(got.latentO, c.LatentO)}} {
			if d.v > torchTol {
				t.Errorf("case %d: %s differs from PyTorch by %.3g, tolerance %g", i, d.name, d.v, torchTol)
			}
		}
		if rel := math.Abs(got.score-c.Score) / c.Score; rel > torchScoreTol {
			t.Errorf("case %d: score %.8g, PyTorch %.8g (relative %.3g)", i, got.score, c.Score, rel)
		}
		// The same through preprocessing of the PNG (isize×isize, so no
		// resampling): the input tensor must match torchvision's
		// ToTensor+Normalize to float32 rounding.
		x, err := preprocess.LoadFile(filepath.Join(fixtureDir, c.PNG), ref.Arch.ISize, ref.Arch.NC, f.Meta.Norm)
		if err != nil {
			t.Fatal(err)
		}
		if d := maxAbs(x, c.X); d > 1e-5 {
			t.Errorf("case %d: preprocessed %s differs from torchvision's tensor by %.3g", i, c.PNG, d)
		}
		got = forward(t, m, x)
		if rel := math.Abs(got.score-c.Score) / c.Score; rel > torchScoreTol {
			t.Errorf("case %d from PNG: score %.8g, PyTorch %.8g (relative %.3g)", i, got.score, c.Score, rel)
		}
	}
}

func fmtFloats(v []float64) string {
	b, _ := json.Marshal(v)
	return strings.ReplaceAll(string(b), ",", " ")
}
