package main

import (
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"

	"github.com/ganomaly-go/ganomaly/engine"
	"github.com/ganomaly-go/ganomaly/metrics"
	"github.com/ganomaly-go/ganomaly/modelfile"
	"github.com/ganomaly-go/ganomaly/spec"
)

const initAbout = `Writes a model file (BatchNorm folded, ready for "score", the app and the
browser) whose generator has random weights initialised as the reference does
(convolutions N(0, 0.02), BatchNorm weights N(1, 0.02), biases 0, running mean
0 and variance 1). The same flags and seed give the same file on every
platform.

Its verdicts are MEANINGLESS: the model was never trained. So that "score"
works at all, the file carries a calibration computed on seeded uniform-noise
images (threshold at a 5% false-positive rate on them). Use it for tests and
for building the app before a trained model exists.`

// initCalibrationImages is the number of noise images the default
// calibration is computed on.
const initCalibrationImages = 64

// initCalibrationFPR is the false-positive rate of the default threshold.
const initCalibrationFPR = 0.05

func runInit(args []string, stdout, stderr io.Writer, log *slog.Logger) int {
	fs := newFlagSet("init", "ganomaly init -out FILE [-isize 32 -nc 1 -nz 100 -ngf 64 -extralayers 0 -seed N -dtype f32|f16|i8 -mean M -std S]", initAbout, stderr)
	out := fs.String("out", "", "model `file` to write (safetensors; replaced atomically)")
	var arch modelfile.Arch
	fs.IntVar(&arch.ISize, "isize", 32, "image side: a power of two from 16 to 128")
	fs.IntVar(&arch.NC, "nc", 1, "channels: 1 (grey) or 3 (RGB)")
	fs.IntVar(&arch.NZ, "nz", 100, "size of the latent vector")
	fs.IntVar(&arch.NGF, "ngf", 64, "feature maps of the first encoder layer (doubling down the pyramid)")
	fs.IntVar(&arch.ExtraLayers, "extralayers", 0, "extra 3x3 convolution layers at the first resolution")
	seed := fs.Int64("seed", 0, "random seed of the weights and of the calibration images")
	dtype := fs.String("dtype", "f32", "weight storage: f32, f16, or i8 (int8 with one float scale per output channel); biases stay f32")
	mean := fs.String("mean", "0.5", "normalisation mean of [0,1] pixels: one value, or one per channel separated by commas (MNIST as in the original: 0.1307)")
	std := fs.String("std", "0.5", "normalisation std: one value, or one per channel (MNIST as in the original: 0.3081)")
	rest, status, ok := parseInterspersed(fs, args)
	if !ok {
		return status
	}
	if len(rest) > 0 {
		fmt.Fprintf(stderr, "ganomaly init: unexpected argument %q (the output file goes in -out)\n", rest[0])
		return exitUsage
	}
	if *out == "" {
		fmt.Fprintln(stderr, "ganomaly init: -out FILE is required")
		return exitUsage
	}
	if err := arch.Validate(); err != nil {
		fmt.Fprintf(stderr, "ganomaly init: %v\n", err)
		return exitUsage
	}
	var norm modelfile.Norm
	var err error
	if norm.Mean, err = channelValues(*mean, arch.NC); err == nil {
		norm.Std, err = channelValues(*std, arch.NC)
	}
	if err == nil {
		err = norm.Validate(arch.NC)
	}
	if err != nil {
		fmt.Fprintf(stderr, "ganomaly init: -mean/-std: %v\n", err)
		return exitUsage
	}
	if *dtype != "f32" && *dtype != "f16" && *dtype != "i8" {
		fmt.Fprintf(stderr, "ganomaly init: -dtype %q: want f32, f16 or i8\n", *dtype)
		return exitUsage
	}

	f, err := makeRandomModel(arch, norm, *seed, *dtype, "ganomaly init "+strings.Join(args, " "))
	if err != nil {
		fmt.Fprintf(stderr, "ganomaly init: %v\n", err)
		return exitFail
	}
	if err := f.Save(*out); err != nil {
		fmt.Fprintf(stderr, "ganomaly init: writing %s: %v\n", *out, err)
		return exitFail
	}
	size := int64(0)
	if st, err := os.Stat(*out); err == nil {
		size = st.Size()
	}
	log.Info("wrote a random-weight model", "path", *out, "dtype", *dtype, "bytes", size, "threshold", f.Meta.Calibration.Threshold)
	fmt.Fprintf(stdout, "wrote %s: random weights (isize %d, nc %d, nz %d, ngf %d, extralayers %d, seed %d, %s, %s); its verdicts are meaningless\n",
		*out, arch.ISize, arch.NC, arch.NZ, arch.NGF, arch.ExtraLayers, *seed, *dtype, humanBytes(size))
	return exitOK
}

// channelValues parses "v" or "v1,v2,v3" into nc values.
func channelValues(s string, nc int) ([]float64, error) {
	parts := strings.Split(s, ",")
	if len(parts) != 1 && len(parts) != nc {
		return nil, fmt.Errorf("%q: want 1 or %d comma-separated values", s, nc)
	}
	v := make([]float64, nc)
	for i := range v {
		p := parts[min(i, len(parts)-1)]
		x, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil {
			return nil, fmt.Errorf("%q is not a number", p)
		}
		v[i] = x
	}
	return v, nil
}

// makeRandomModel builds the folded, converted and calibrated model file.
func makeRandomModel(arch modelfile.Arch, norm modelfile.Norm, seed int64, dtype, command string) (*modelfile.File, error) {
	ckpt := engine.Init(arch, seed)
	ckpt.Meta.Norm = norm
	f, err := engine.Fold(ckpt)
	if err != nil {
		return nil, fmt.Errorf("folding BatchNorm: %w", err)
	}
	if err := convertWeights(f, dtype); err != nil {
		return nil, err
	}
	// Calibrate the stored (possibly quantised) weights, as scoring will
	// see them.
	m, err := engine.Load(f)
	if err != nil {
		return nil, fmt.Errorf("loading the new model: %w", err)
	}
	rng := rand.New(rand.NewPCG(uint64(seed), 0x6e6f697365)) // "noise"
	x := make([]float32, m.InputLen())
	plane := arch.ISize * arch.ISize
	scores := make([]float64, initCalibrationImages)
	for i := range scores {
		for j := range x {
			c := j / plane
			x[j] = float32((rng.Float64() - norm.Mean[c]) / norm.Std[c])
		}
		res, err := m.Forward(x)
		if err != nil {
			return nil, fmt.Errorf("scoring calibration images: %w", err)
		}
		scores[i] = res.Score
	}
	cal := metrics.Calibrate(scores, initCalibrationFPR)
	if cal == nil {
		return nil, fmt.Errorf("the random model gives no finite score on noise images; try another -seed")
	}
	f.Meta.Calibration = cal
	f.Meta.Dataset = &modelfile.Dataset{
		Name: "none (random weights)",
		Description: fmt.Sprintf("written by ganomaly init: untrained, verdicts are meaningless; threshold calibrated on %d seeded uniform-noise images",
			initCalibrationImages),
	}
	f.Meta.Training = &modelfile.Training{Seed: seed, Selected: "random-init", Command: command}
	return f, nil
}

// convertWeights stores every convolution weight of an F32 model file as
// dtype (f16, or i8 with per-output-channel scales); biases stay F32.
func convertWeights(f *modelfile.File, dtype string) error {
	if dtype == "f32" {
		return nil
	}
	for _, s := range spec.GeneratorLayers(f.Meta.Arch) {
		name := s.Key() + ".weight"
		w, shape, err := f.Float32s(name)
		if err != nil {
			return err
		}
		switch dtype {
		case "f16":
			f.Add(modelfile.NewF16(name, shape, w))
		case "i8":
			q, scale := modelfile.Quantize(name, shape, w, s.OutputAxis())
			f.Add(q)
			f.Add(scale)
		default:
			return fmt.Errorf("dtype %q: want f32, f16 or i8", dtype)
		}
	}
	return nil
}
