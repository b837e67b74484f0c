// Command goforward runs the pure-Go engine on the input tensors of a
// reference.json written by tests/python/make_original_netg.py and writes
// the engine's x̂, latentI, latentO and score as JSON, for the Python parity
// tests to compare with PyTorch's eval-mode forward. With -images it reads
// image files instead (the arguments), preprocessed as `ganomaly score`
// does, and writes each one's input x beside the outputs, for the ONNX tests
// to feed onnxruntime the engine's very inputs.
//
//	go run ./tests/python/goforward -model model.safetensors -ref reference.json -out engine.json
//	go run ./tests/python/goforward -model model.safetensors -images -out engine.json a.png b.png
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"

	"github.com/ganomaly-go/ganomaly/engine"
	"github.com/ganomaly-go/ganomaly/modelfile"
	"github.com/ganomaly-go/ganomaly/preprocess"
)

type refFile struct {
	Cases []struct {
		X []float32 `json:"x"`
	} `json:"cases"`
}

type outCase struct {
	Path    string    `json:"path,omitempty"`
	X       []float32 `json:"x,omitempty"`
	Diff    []float32 `json:"diff,omitempty"`
	XHat    []float32 `json:"xhat"`
	LatentI []float32 `json:"latent_i"`
	LatentO []float32 `json:"latent_o"`
	Score   float64   `json:"score"`
}

func main() {
	model := flag.String("model", "", "model file or checkpoint (safetensors)")
	ref := flag.String("ref", "", "reference.json with cases[].x (CHW, normalised)")
	out := flag.String("out", "", "output JSON")
	images := flag.Bool("images", false, "the arguments are image files, preprocessed with the model's normalisation; the output has path, x and diff too")
	flag.Parse()
	if *model == "" || (*ref == "") == !*images || *out == "" {
		fmt.Fprintln(os.Stderr, "goforward: -model, -out and either -ref or -images with image files are required")
		os.Exit(2)
	}
	var err error
	if *images {
		err = runImages(*model, flag.Args(), *out)
	} else {
		err = run(*model, *ref, *out)
	}
	if err != nil {
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

func runImages(modelPath string, paths []string, outPath string) error {
	f, err := modelfile.Open(modelPath)
	if err != nil {
		return err
	}
	m, err := engine.Load(f)
	if err != nil {
		return err
	}
	a := f.Meta.Arch
	var res struct {
		Cases []outCase `json:"cases"`
	}
	for _, p := range paths {
		x, err := preprocess.LoadFile(p, a.ISize, a.NC, f.Meta.Norm)
		if err != nil {
			return err
		}
		r, err := m.Forward(x)
		if err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
		res.Cases = append(res.Cases, outCase{
			Path:    p,
			X:       x,
			Diff:    append([]float32(nil), r.Diff...),
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
