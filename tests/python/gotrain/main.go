// Command gotrain runs the pure-Go trainer (package train) for a few steps
// from a given state and batches, for the Python test that compares it with
// the original optimize_params() in PyTorch:
//
//	go run ./tests/python/gotrain -dir DIR -isize 32 -nc 1 -nz 100 -ngf 16
//
// DIR holds g_init.safetensors and d_init.safetensors (the original's state
// dicts, BatchNorm running statistics and counters included),
// batches.safetensors (tensor "x", [steps, B, nc, isize, isize]) and,
// optionally, adam_g.safetensors and adam_d.safetensors: the optimisers'
// state as train.Trainer.LoadOptimizerState reads it ("step", "exp_avg.KEY",
// "exp_avg_sq.KEY"); without them Adam starts from zero. It runs one step per
// batch, in order, and writes losses.json (one object per step),
// g_after.safetensors, d_after.safetensors, adam_g_after.safetensors,
// adam_d_after.safetensors and grads.safetensors (the last step's gradients
// by state-dict key, flat).
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/ganomaly-go/ganomaly/modelfile"
	"github.com/ganomaly-go/ganomaly/train"
)

func main() {
	dir := flag.String("dir", "", "folder with g_init, d_init and batches .safetensors")
	var a modelfile.Arch
	flag.IntVar(&a.ISize, "isize", 32, "image size")
	flag.IntVar(&a.NC, "nc", 1, "channels")
	flag.IntVar(&a.NZ, "nz", 100, "latent size")
	flag.IntVar(&a.NGF, "ngf", 16, "generator (and discriminator) width")
	flag.IntVar(&a.ExtraLayers, "extralayers", 0, "extra layers")
	flag.Parse()
	if *dir == "" {
		fmt.Fprintln(os.Stderr, "gotrain: -dir is required")
		os.Exit(2)
	}
	if err := run(*dir, a); err != nil {
		fmt.Fprintln(os.Stderr, "gotrain:", err)
		os.Exit(1)
	}
}

func read(path string) (map[string]*modelfile.Tensor, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	ts, _, err := modelfile.Decode(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	m := map[string]*modelfile.Tensor{}
	for _, t := range ts {
		m[t.Name] = t
	}
	return m, nil
}

func run(dir string, a modelfile.Arch) error {
	tr, err := train.New(train.DefaultOptions(a))
	if err != nil {
		return err
	}
	g, err := read(filepath.Join(dir, "g_init.safetensors"))
	if err != nil {
		return err
	}
	d, err := read(filepath.Join(dir, "d_init.safetensors"))
	if err != nil {
		return err
	}
	if err := tr.LoadGenerator(func(n string) *modelfile.Tensor { return g[n] }); err != nil {
		return err
	}
	if err := tr.LoadDiscriminator(func(n string) *modelfile.Tensor { return d[n] }); err != nil {
		return err
	}
	ag, err := read(filepath.Join(dir, "adam_g.safetensors"))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	ad, err := read(filepath.Join(dir, "adam_d.safetensors"))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if (ag == nil) != (ad == nil) {
		return fmt.Errorf("%s: give both adam_g.safetensors and adam_d.safetensors, or neither", dir)
	}
	if ag != nil {
		if err := tr.LoadOptimizerState(func(n string) *modelfile.Tensor { return ag[n] }, func(n string) *modelfile.Tensor { return ad[n] }); err != nil {
			return err
		}
	}
	bs, err := read(filepath.Join(dir, "batches.safetensors"))
	if err != nil {
		return err
	}
	x := bs["x"]
	if x == nil || len(x.Shape) != 5 {
		return fmt.Errorf("batches.safetensors: want a tensor x of shape [steps, B, nc, isize, isize]")
	}
	xs, err := x.Float32s()
	if err != nil {
		return err
	}
	per := len(xs) / x.Shape[0]
	var losses []train.Losses
	for s := 0; s < x.Shape[0]; s++ {
		l, err := tr.Step(xs[s*per : (s+1)*per])
		if err != nil {
			return err
		}
		losses = append(losses, l)
	}
	b, err := json.Marshal(losses)
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "losses.json"), b, 0o644); err != nil {
		return err
	}
	if err := tr.GeneratorFile(modelfile.Metadata{}).Save(filepath.Join(dir, "g_after.safetensors")); err != nil {
		return err
	}
	og, od := tr.OptimizerState()
	var grads []*modelfile.Tensor
	for k, g := range tr.Gradients() {
		grads = append(grads, modelfile.NewF32(k, []int{len(g)}, g))
	}
	for name, ts := range map[string][]*modelfile.Tensor{
		"d_after.safetensors":      tr.DiscriminatorTensors(),
		"adam_g_after.safetensors": og,
		"adam_d_after.safetensors": od,
		"grads.safetensors":        grads,
	} {
		f := modelfile.New(modelfile.Metadata{Kind: modelfile.KindCheckpoint, Arch: a, Norm: modelfile.DefaultNorm(a.NC), FormatVersion: modelfile.FormatVersion})
		for _, t := range ts {
			f.Add(t)
		}
		if err := f.Save(filepath.Join(dir, name)); err != nil {
			return err
		}
	}
	return nil
}
