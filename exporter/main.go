// Command exporter turns a GANomaly generator checkpoint into a model file
// for the engine, the CLI and the browser: BatchNorm folded into the
// convolutions, weights stored as F32, F16 or I8, and a score calibration.
//
// It reads our safetensors checkpoints (written by the trainer) and the
// original PyTorch code's netG.pth ({'epoch': n, 'state_dict': ...}, any
// torch.save format) in pure Go: no Python, no libtorch.
//
//	go run ./exporter -checkpoint runs/mnist/netG.safetensors -out model.safetensors -dtype i8 -calibrate VAL_DIR -test TEST_DIR
//	go run ./exporter -checkpoint netG.pth -mean 0.1307 -std 0.3081 -calibrate NORMAL_DIR -out model.safetensors
//
//	go run ./exporter -format onnx -checkpoint web/models/mnist.safetensors -out mnist.onnx
//
// Exit status: 0 written, 1 failed, 2 usage error.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"unicode/utf8"

	"github.com/ganomaly-go/ganomaly/modelfile"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stderr))
}

// errUsage marks an error in the command line (exit status 2).
var errUsage = errors.New("usage")

// run parses args, exports, and returns the exit status.
func run(args []string, stderr io.Writer) int {
	slog.SetDefault(slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo})))
	cfg, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "exporter: %v\n", err)
		if errors.Is(err, errUsage) {
			fmt.Fprintln(stderr, "run 'exporter -h' for help")
			return 2
		}
		return 1
	}
	do := export
	if cfg.Restamp {
		do = restamp
	}
	if err := do(cfg); err != nil {
		fmt.Fprintf(stderr, "exporter: %v\n", err)
		return 1
	}
	return 0
}

const usageText = `exporter: turn a GANomaly generator checkpoint into a model file.

Usage:
  exporter -checkpoint CKPT|netG.pth -out FILE [-dtype f32|f16|i8] [-calibrate DIR] [-test DIR] [flags]
  exporter -format onnx -checkpoint CKPT|netG.pth|MODEL -out FILE.onnx [-pixels] [flags]

The input is either a checkpoint written by the trainer (safetensors; it
records its architecture, normalisation and usually a calibration made on
held-out validation normals) or a netG.pth written by the original PyTorch
code (torch.save({'epoch': n, 'state_dict': netG.state_dict()})). For a
netG.pth the architecture is read from the tensor shapes; any of -isize -nc
-nz -ngf -extralayers given is checked against them, and the normalisation
comes from -mean/-std (default 0.5/0.5, i.e. [-1, 1]; the original code's
MNIST models need -mean 0.1307 -std 0.3081).

Calibration: -calibrate DIR scores the normal images below DIR with the
exported model and sets the threshold at -fpr. Without it, an f32 export keeps
the checkpoint's calibration; f16 and i8 change the scores and therefore need
-calibrate when the checkpoint has a calibration (or -keep-calibration to carry
the F32 numbers over unchanged). -test DIR (with 0.normal/
and 1.abnormal/ below it) records AUROC, AUPRC, F1 and ROC points of the
exported model.

-format onnx writes the generator as an ONNX model instead (opset 13,
dynamic batch; input x, outputs score, x_hat, latent_i, latent_o, diff; see
docs/onnx.md) with the same metadata in metadata_props. The input may then
also be a model file, such as web/models/mnist.safetensors: without -dtype its
weights are kept as stored (F32, F16 or I8) and so are its calibration and
scores. Every other flag works as for a model file.

Flags:
`

func parseFlags(args []string, stderr io.Writer) (*config, error) {
	fs := flag.NewFlagSet("exporter", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, usageText)
		fs.PrintDefaults()
	}
	cfg := &config{}
	fs.StringVar(&cfg.Checkpoint, "checkpoint", "", "input: a trainer checkpoint (safetensors) or the original code's netG.pth (required)")
	fs.StringVar(&cfg.Out, "out", "", "output model file (safetensors), written atomically (required)")
	fs.StringVar(&cfg.Format, "format", formatSafetensors, "output format: safetensors (a model file for the engine, the CLI and the page) or onnx (an ONNX model for onnxruntime and other runtimes)")
	fs.BoolVar(&cfg.Pixels, "pixels", false, "onnx: the graph normalises its input itself, so that callers feed pixels in [0, 1] (default: x is already normalised with the model's mean/std)")
	fs.StringVar(&cfg.DType, "dtype", dtypeF32, "weight storage: f32, f16 (half the size) or i8 (a quarter; per-output-channel scales); biases stay f32")
	fs.StringVar(&cfg.Calibrate, "calibrate", "", "folder of normal images (searched recursively) to calibrate the threshold on, scored by the exported model")
	fs.StringVar(&cfg.Test, "test", "", "labelled folder with 0.normal/ and 1.abnormal/ images: records AUROC, AUPRC, F1 and the ROC in the model file")
	fs.Float64Var(&cfg.FPR, "fpr", 0.05, "false-positive rate on the -calibrate images at which the threshold is set (0 to 1)")
	fs.IntVar(&cfg.Arch.ISize, "isize", 0, "input size; read from the weights when not given, checked against them when given")
	fs.IntVar(&cfg.Arch.NC, "nc", 0, "image channels, 1 or 3; read from the weights when not given, checked against them when given")
	fs.IntVar(&cfg.Arch.NZ, "nz", 0, "latent size; read from the weights when not given, checked against them when given")
	fs.IntVar(&cfg.Arch.NGF, "ngf", 0, "generator width; read from the weights when not given, checked against them when given")
	fs.IntVar(&cfg.Arch.ExtraLayers, "extralayers", 0, "extra layers; read from the weights when not given, checked against them when given")
	mean := fs.String("mean", "", "netG.pth: per-channel mean on [0, 1] pixels, one value or nc comma-separated values (default 0.5)")
	std := fs.String("std", "", "netG.pth: per-channel std, one value or nc comma-separated values (default 0.5)")
	fs.StringVar(&cfg.Dataset, "dataset", "", "dataset name recorded in the model file (for example mnist)")
	fs.StringVar(&cfg.About.Title, "title", "", "the model's title, shown by the page and ganomaly inspect (default: from the dataset)")
	fs.StringVar(&cfg.About.Description, "description", "", "one or two sentences on what the model judges, shown by the page and ganomaly inspect")
	fs.StringVar(&cfg.About.NormalName, "normal_name", "", "what a normal image is, e.g. \"good part\" (default: the dataset's normal classes)")
	fs.StringVar(&cfg.About.AbnormalName, "abnormal_name", "", "what an anomaly is, e.g. \"scratched\" (default: the dataset's abnormal classes)")
	classNames := fs.String("class_names", "", "`NORMAL,ABNORMAL`: -normal_name and -abnormal_name as one comma-separated list")
	fs.BoolVar(&cfg.Restamp, "restamp", false, "rewrite only the words (-title -description -normal_name -abnormal_name) of the model file -checkpoint into -out (which may be the same file): tensors, calibration and scores stay as they are")
	fs.BoolVar(&cfg.KeepCal, "keep-calibration", false, "f16/i8: carry the checkpoint's F32 calibration over unchanged instead of requiring -calibrate (not recomputed on the quantised model)")
	fs.IntVar(&cfg.Workers, "workers", runtime.NumCPU(), "images scored in parallel")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, err
		}
		return nil, fmt.Errorf("%w: %v", errUsage, err)
	}
	usage := func(format string, a ...any) error {
		return fmt.Errorf("%w: %s", errUsage, fmt.Sprintf(format, a...))
	}
	if fs.NArg() > 0 {
		return nil, usage("unexpected arguments %q: every input is given with a flag", fs.Args())
	}
	cfg.Arch.set = map[string]bool{}
	fs.Visit(func(f *flag.Flag) { cfg.Arch.set[f.Name] = true })
	cfg.DTypeSet = cfg.Arch.set["dtype"]
	switch {
	case cfg.Checkpoint == "":
		return nil, usage("-checkpoint is required")
	case cfg.Out == "":
		return nil, usage("-out is required")
	case cfg.Format != formatSafetensors && cfg.Format != formatONNX:
		return nil, usage("-format %q: want safetensors or onnx", cfg.Format)
	case cfg.Format == formatSafetensors && strings.EqualFold(filepath.Ext(cfg.Out), ".onnx"):
		return nil, usage("-out %s names an ONNX file: add -format onnx (the default -format safetensors writes a model file)", cfg.Out)
	case cfg.Pixels && cfg.Format != formatONNX:
		return nil, usage("-pixels shapes the ONNX graph's input: give it with -format onnx")
	case cfg.DType != dtypeF32 && cfg.DType != dtypeF16 && cfg.DType != dtypeI8:
		return nil, usage("-dtype %q: want f32, f16 or i8", cfg.DType)
	case !(cfg.FPR >= 0 && cfg.FPR < 1):
		return nil, usage("-fpr %v: want a rate from 0 to below 1 (0.05 = 5 %% of normal images flagged)", cfg.FPR)
	case cfg.KeepCal && cfg.Calibrate != "":
		return nil, usage("-keep-calibration and -calibrate contradict each other: -calibrate recomputes the calibration")
	case cfg.Workers < 1:
		return nil, usage("-workers %d: want at least 1", cfg.Workers)
	case sameFile(cfg.Checkpoint, cfg.Out) && !cfg.Restamp:
		return nil, usage("-out %s would overwrite the -checkpoint", cfg.Out)
	}
	if *classNames != "" {
		if cfg.About.NormalName != "" || cfg.About.AbnormalName != "" {
			return nil, usage("give -class_names or -normal_name/-abnormal_name, not both")
		}
		names := strings.Split(*classNames, ",")
		if len(names) != 2 || strings.TrimSpace(names[0]) == "" || strings.TrimSpace(names[1]) == "" {
			return nil, usage("-class_names %q: want two names, normal first, e.g. \"good part,scratched\"", *classNames)
		}
		cfg.About.NormalName, cfg.About.AbnormalName = names[0], names[1]
	}
	if err := checkWords(&cfg.About); err != nil {
		return nil, usage("%v", err)
	}
	if cfg.Restamp {
		for _, f := range []string{"format", "pixels", "dtype", "calibrate", "test", "fpr", "keep-calibration", "mean", "std", "dataset", "isize", "nc", "nz", "ngf", "extralayers"} {
			if cfg.Arch.set[f] {
				return nil, usage("-restamp changes only the words; -%s would change the model: export from the checkpoint instead", f)
			}
		}
		if cfg.About == (modelfile.About{}) {
			return nil, usage("-restamp needs at least one of -title -description -normal_name -abnormal_name -class_names")
		}
		return cfg, nil
	}
	if (*mean == "") != (*std == "") {
		return nil, usage("give -mean and -std together")
	}
	if *mean != "" {
		m, err := parseFloats(*mean)
		if err != nil {
			return nil, usage("-mean: %v", err)
		}
		s, err := parseFloats(*std)
		if err != nil {
			return nil, usage("-std: %v", err)
		}
		if len(m) != len(s) {
			return nil, usage("-mean has %d values and -std %d: give one per channel (or one for all)", len(m), len(s))
		}
		n := modelfile.Norm{Mean: m, Std: s}
		if err := n.Validate(len(m)); err != nil {
			return nil, usage("%v", err)
		}
		cfg.Norm = &n
	}
	return cfg, nil
}

// Limits on the words, so that a title fits a heading and a description a
// paragraph of the page.
const (
	maxTitle       = 120
	maxDescription = 600
	maxClassName   = 60
)

// checkWords trims the words and refuses ones too long for the page.
func checkWords(a *modelfile.About) error {
	for _, w := range []struct {
		flag string
		v    *string
		max  int
	}{{"title", &a.Title, maxTitle}, {"description", &a.Description, maxDescription}, {"normal_name", &a.NormalName, maxClassName}, {"abnormal_name", &a.AbnormalName, maxClassName}} {
		*w.v = strings.TrimSpace(*w.v)
		if n := utf8.RuneCountInString(*w.v); n > w.max {
			return fmt.Errorf("-%s is %d characters long; at most %d fit the page", w.flag, n, w.max)
		}
	}
	return nil
}

// sameFile reports whether a and b name the same existing file.
func sameFile(a, b string) bool {
	sa, err1 := os.Stat(a)
	sb, err2 := os.Stat(b)
	return err1 == nil && err2 == nil && os.SameFile(sa, sb)
}
