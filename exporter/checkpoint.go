package main

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/ganomaly-go/ganomaly/modelfile"
	"github.com/ganomaly-go/ganomaly/pth"
	"github.com/ganomaly-go/ganomaly/spec"
)

// archFlags holds the architecture given on the command line; a zero field
// was not given.
type archFlags struct {
	ISize, NC, NZ, NGF, ExtraLayers int
	set                             map[string]bool // flag names given explicitly
}

var (
	reInitialConv = regexp.MustCompile(`^encoder1\.main\.initial-conv-(\d+)-(\d+)\.weight$`)
	rePyramidConv = regexp.MustCompile(`^encoder1\.main\.pyramid-\d+-\d+-conv\.weight$`)
	reExtraConv   = regexp.MustCompile(`^encoder1\.main\.extra-layers-(\d+)-\d+-conv\.weight$`)
	reFinalConv   = regexp.MustCompile(`^encoder1\.main\.final-\d+-1-conv\.weight$`)
)

// inferArch reads the generator architecture from the state dict's names and
// shapes: nc and ngf from E1's first convolution, nz from its last, isize
// from the number of pyramid layers (each halves the image down to 4×4) and
// the extra layers from their count.
func inferArch(sd *pth.StateDict) (modelfile.Arch, error) {
	var a modelfile.Arch
	pyramid, extra := 0, map[int]bool{}
	for _, n := range sd.Names {
		t := sd.Tensors[n]
		switch {
		case reInitialConv.MatchString(n):
			if len(t.Shape) != 4 {
				return a, fmt.Errorf("%s has shape %v, want 4 dimensions", n, t.Shape)
			}
			a.NGF, a.NC = t.Shape[0], t.Shape[1]
		case rePyramidConv.MatchString(n):
			pyramid++
		case reExtraConv.MatchString(n):
			k, _ := strconv.Atoi(reExtraConv.FindStringSubmatch(n)[1])
			extra[k] = true
		case reFinalConv.MatchString(n):
			if len(t.Shape) != 4 {
				return a, fmt.Errorf("%s has shape %v, want 4 dimensions", n, t.Shape)
			}
			a.NZ = t.Shape[0]
		}
	}
	if a.NGF == 0 || a.NZ == 0 {
		return a, fmt.Errorf("no encoder1.main.initial-conv-*.weight or encoder1.main.final-*-1-conv.weight: not a GANomaly generator state dict (keys: %s)", abbreviate(sd.SortedNames(), 6))
	}
	a.ISize = 8 << pyramid
	a.ExtraLayers = len(extra)
	return a, nil
}

// abbreviate joins up to n strings and says how many more there are.
func abbreviate(s []string, n int) string {
	if len(s) <= n {
		return strings.Join(s, ", ")
	}
	return fmt.Sprintf("%s, … (%d more)", strings.Join(s[:n], ", "), len(s)-n)
}

// resolveArch combines the architecture inferred from the tensors with the
// flags: every flag given explicitly must agree with the tensors.
func resolveArch(inferred modelfile.Arch, fl archFlags) (modelfile.Arch, error) {
	check := []struct {
		name      string
		flag, got int
	}{
		{"isize", fl.ISize, inferred.ISize}, {"nc", fl.NC, inferred.NC}, {"nz", fl.NZ, inferred.NZ},
		{"ngf", fl.NGF, inferred.NGF}, {"extralayers", fl.ExtraLayers, inferred.ExtraLayers},
	}
	var bad []string
	for _, c := range check {
		if fl.set[c.name] && c.flag != c.got {
			bad = append(bad, fmt.Sprintf("-%s %d but the weights have %d", c.name, c.flag, c.got))
		}
	}
	if len(bad) > 0 {
		return inferred, fmt.Errorf("the architecture flags do not match the weights: %s (the weights are those of -isize %d -nc %d -nz %d -ngf %d -extralayers %d)",
			strings.Join(bad, "; "), inferred.ISize, inferred.NC, inferred.NZ, inferred.NGF, inferred.ExtraLayers)
	}
	if err := inferred.Validate(); err != nil {
		return inferred, fmt.Errorf("the weights describe an unsupported architecture: %w", err)
	}
	return inferred, nil
}

// stripModulePrefix removes the "module." prefix nn.DataParallel adds to
// every key, when all keys carry it.
func stripModulePrefix(sd *pth.StateDict) {
	for _, n := range sd.Names {
		if !strings.HasPrefix(n, "module.") {
			return
		}
	}
	m := map[string]*pth.Tensor{}
	for i, n := range sd.Names {
		sd.Names[i] = strings.TrimPrefix(n, "module.")
		m[sd.Names[i]] = sd.Tensors[n]
	}
	sd.Tensors = m
}

// checkpointFromStateDict builds a KindCheckpoint model file from the
// original code's generator state dict, checking every tensor name and shape
// against the architecture. Unknown or missing tensors are errors.
func checkpointFromStateDict(sd *pth.StateDict, fl archFlags, norm modelfile.Norm) (*modelfile.File, error) {
	stripModulePrefix(sd)
	for _, n := range sd.Names {
		if strings.HasPrefix(n, "features.") || strings.HasPrefix(n, "classifier.") {
			return nil, fmt.Errorf("this is the discriminator's state dict (%s): pass the generator's netG.pth", n)
		}
	}
	inferred, err := inferArch(sd)
	if err != nil {
		return nil, err
	}
	arch, err := resolveArch(inferred, fl)
	if err != nil {
		return nil, err
	}
	if err := norm.Validate(arch.NC); err != nil {
		return nil, err
	}
	f := modelfile.New(modelfile.Metadata{
		Kind: modelfile.KindCheckpoint,
		Arch: arch,
		Norm: norm,
	})
	used := map[string]bool{}
	take := func(name string, shape []int, optional, integer bool) error {
		t, ok := sd.Tensors[name]
		if !ok {
			if optional {
				return nil
			}
			return fmt.Errorf("tensor %s is missing for architecture %+v", name, arch)
		}
		used[name] = true
		if !slices.Equal(t.Shape, shape) {
			return fmt.Errorf("tensor %s has shape %v, want %v for architecture %+v", name, t.Shape, shape, arch)
		}
		switch {
		case integer && t.Ints != nil:
			f.Add(modelfile.NewI64(name, shape, t.Ints))
		case integer:
			return fmt.Errorf("tensor %s holds floating-point values, want integers", name)
		case t.Floats == nil:
			return fmt.Errorf("tensor %s holds integers, want floating-point values", name)
		default:
			f.Add(modelfile.NewF32(name, shape, t.Floats))
		}
		return nil
	}
	for _, ts := range spec.Tensors(spec.GeneratorLayers(arch)) {
		// num_batches_tracked (since torch 0.4.1) is an integer and optional.
		counter := ts.Kind == spec.NumBatchesTracked
		if err := take(ts.Name, ts.Shape, counter, counter); err != nil {
			return nil, err
		}
	}
	var extra []string
	for _, n := range sd.Names {
		if !used[n] {
			extra = append(extra, n)
		}
	}
	if len(extra) > 0 {
		return nil, fmt.Errorf("the state dict has tensors the GANomaly generator (%+v) does not: %s", arch, abbreviate(extra, 6))
	}
	return f, nil
}
