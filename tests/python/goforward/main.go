// Command goforward runs the pure-Go engine on the input tensors of a
// reference.json written by tests/python/make_original_netg.py and writes
// the engine's x̂, latentI, latentO and score as JSON, for the Python parity
// tests to compare with PyTorch's eval-mode forward.
//
//	go run ./tests/python/goforward -model model.safetensors -ref reference.json -out engine.json
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"

	"github.com/ganomaly-go/ganomaly/engine"
	"github.com/ganomaly-go/ganomaly/modelfile"
)

type refFile struct {
	Cases []struct {
		X []float32 `json:"x"`
	} `json:"cases"`
}

type outCase struct {
	XHat    []float32 `json:"xhat"`
	LatentI []float32 `json:"latent_i"`
	LatentO []float32 `json:"latent_o"`
	Score   float64   `json:"score"`
}

func main() {
	model := flag.String("model", "", "model file or checkpoint (safetensors)")
	ref := flag.String("ref", "", "reference.json with cases[].x (CHW, normalised)")
	out := flag.String("out", "", "output JSON")
	flag.Parse()
	if *model == "" || *ref == "" || *out == "" {
		fmt.Fprintln(os.Stderr, "goforward: -model, -ref and -out are required")
		os.Exit(2)
	}
	if err := run(*model, *ref, *out); err != nil {
		fmt.Fprintln(os.Stderr, "goforward:", err)
		os.Exit(1)
	}
}

func run(modelPath, refPath, outPath string) error {
	f, err := modelfile.Open(modelPath)
	if err != nil {
		return err
	}
	m, err := engine.Load(f)
	if err != nil {
		return err
	}
	b, err := os.ReadFile(refPath)
	if err != nil {
		return err
	}
	var ref refFile
	if err := json.Unmarshal(b, &ref); err != nil {
		return fmt.Errorf("%s: %w", refPath, err)
	}
	var res struct {
		Cases []outCase `json:"cases"`
	}
	for i, c := range ref.Cases {
		r, err := m.Forward(c.X)
		if err != nil {
			return fmt.Errorf("case %d: %w", i, err)
		}
		res.Cases = append(res.Cases, outCase{
			XHat:    append([]float32(nil), r.XHat...),
			LatentI: append([]float32(nil), r.LatentI...),
			LatentO: append([]float32(nil), r.LatentO...),
			Score:   r.Score,
		})
	}
	js, err := json.Marshal(res)
	if err != nil {
		return err
	}
	return os.WriteFile(outPath, js, 0o644)
}
