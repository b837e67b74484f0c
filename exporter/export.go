package main

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/ganomaly-go/ganomaly/calibration"
	"github.com/ganomaly-go/ganomaly/engine"
	"github.com/ganomaly-go/ganomaly/modelfile"
	"github.com/ganomaly-go/ganomaly/onnx"
	"github.com/ganomaly-go/ganomaly/pth"
	"github.com/ganomaly-go/ganomaly/spec"
)

// Storage types of the exported weights (-dtype).
const (
	dtypeF32 = "f32"
	dtypeF16 = "f16"
	dtypeI8  = "i8"
)

// Output formats (-format).
const (
	formatSafetensors = "safetensors"
	formatONNX        = "onnx"
)

// config is everything the exporter was asked to do.
type config struct {
	Checkpoint string
	Out        string
	Format     string // formatSafetensors or formatONNX
	Pixels     bool   // onnx: normalisation inside the graph
	DType      string
	DTypeSet   bool   // -dtype was given
	Calibrate  string // folder of normal images; "" = use the checkpoint's calibration
	Test       string // labelled folder (0.normal/, 1.abnormal/); "" = keep the checkpoint's
	FPR        float64
	Arch       archFlags
	Norm       *modelfile.Norm // from -mean/-std; nil when neither was given
	Dataset    string
	KeepCal    bool            // -keep-calibration: carry a stored F32 calibration into f16/i8
	About      modelfile.About // -title -description -normal_name -abnormal_name; empty fields keep the input's
	Restamp    bool            // -restamp: rewrite only the words of a model file
	Workers    int
}

// sourceKind tells the two accepted inputs apart.
type sourceKind int

const (
	sourceSafetensors sourceKind = iota // our checkpoint or model file
	sourcePth                           // the original code's netG.pth
)

// sniffSource looks at the first bytes of the file: a zip archive or a
// pickle is a PyTorch file, anything else is read as safetensors.
func sniffSource(path string) (sourceKind, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	head := make([]byte, 4)
	n, _ := io.ReadFull(f, head)
	head = head[:n]
	if pth.IsPyTorch(head) {
		return sourcePth, nil
	}
	return sourceSafetensors, nil
}

// loadSource reads the input as a generator checkpoint (or model file) with
// complete metadata.
func loadSource(cfg *config) (*modelfile.File, error) {
	kind, err := sniffSource(cfg.Checkpoint)
	if err != nil {
		return nil, fmt.Errorf("reading -checkpoint: %w", err)
	}
	if kind == sourcePth {
		sd, err := pth.Read(cfg.Checkpoint)
		if err != nil {
			return nil, err
		}
		norm := modelfile.Norm{}
		if cfg.Norm != nil {
			norm = *cfg.Norm
		}
		fl := cfg.Arch
		nc := fl.NC
		if !fl.set["nc"] {
			if a, err := inferArch(sd); err == nil {
				nc = a.NC
			}
		}
		if cfg.Norm == nil {
			norm = modelfile.DefaultNorm(nc)
			slog.Info("no -mean/-std given: assuming the [-1, 1] normalisation (mean 0.5, std 0.5); the original code's MNIST models need -mean 0.1307 -std 0.3081")
		} else if len(norm.Mean) == 1 && nc > 1 {
			norm = broadcastNorm(norm, nc)
		}
		f, err := checkpointFromStateDict(sd, fl, norm)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", cfg.Checkpoint, err)
		}
		f.Meta.Training = &modelfile.Training{Selected: "imported from the original code's netG.pth"}
		if sd.Epoch >= 0 {
			f.Meta.Training.Epoch = sd.Epoch
		}
		slog.Info("read the original code's state dict", "path", cfg.Checkpoint, "tensors", len(sd.Names), "epoch", sd.Epoch,
			"isize", f.Meta.Arch.ISize, "nc", f.Meta.Arch.NC, "nz", f.Meta.Arch.NZ, "ngf", f.Meta.Arch.NGF, "extralayers", f.Meta.Arch.ExtraLayers)
		return f, nil
	}
	f, err := modelfile.Open(cfg.Checkpoint)
	if err != nil {
		return nil, err
	}
	if _, err := resolveArch(f.Meta.Arch, cfg.Arch); err != nil {
		return nil, fmt.Errorf("%s: %w", cfg.Checkpoint, err)
	}
	if cfg.Norm != nil {
		want := *cfg.Norm
		if len(want.Mean) == 1 && f.Meta.Arch.NC > 1 {
			want = broadcastNorm(want, f.Meta.Arch.NC)
		}
		if !slices.Equal(want.Mean, f.Meta.Norm.Mean) || !slices.Equal(want.Std, f.Meta.Norm.Std) {
			return nil, fmt.Errorf("%s records the normalisation it was trained with (mean %v, std %v); -mean/-std %v/%v would change it: drop -mean/-std (they are for netG.pth files)",
				cfg.Checkpoint, f.Meta.Norm.Mean, f.Meta.Norm.Std, want.Mean, want.Std)
		}
	}
	kept := cfg.Format == formatONNX && !cfg.DTypeSet && f.Meta.Kind == modelfile.KindModel
	for _, t := range f.Tensors() {
		if !kept && (t.DType == modelfile.I8 || t.DType == modelfile.F16) {
			slog.Warn("the input is already quantised; exporting it again compounds the rounding", "tensor", t.Name, "dtype", t.DType)
			break
		}
	}
	return f, nil
}

func broadcastNorm(n modelfile.Norm, nc int) modelfile.Norm {
	out := modelfile.Norm{}
	for i := 0; i < nc; i++ {
		out.Mean = append(out.Mean, n.Mean[0])
		out.Std = append(out.Std, n.Std[0])
	}
	return out
}

// convert stores the BN-folded F32 model's weights as dtype: F32 as is, F16
// rounded to nearest even, I8 quantised per output channel (axis 0 for
// Conv2d, 1 for ConvTranspose2d) with a broadcastable F32 scale. Biases stay
// F32 in every case.
func convert(folded *modelfile.File, dtype string) (*modelfile.File, error) {
	out := modelfile.New(folded.Meta)
	out.Meta.Kind = modelfile.KindModel
	for _, s := range spec.GeneratorLayers(folded.Meta.Arch) {
		name := s.Key() + ".weight"
		w, shape, err := folded.Float32s(name)
		if err != nil {
			return nil, err
		}
		switch dtype {
		case dtypeF32:
			out.Add(modelfile.NewF32(name, shape, w))
		case dtypeF16:
			out.Add(modelfile.NewF16(name, shape, w))
		case dtypeI8:
			q, scale := modelfile.Quantize(name, shape, w, s.OutputAxis())
			out.Add(q)
			out.Add(scale)
		default:
			return nil, fmt.Errorf("-dtype %q: want f32, f16 or i8", dtype)
		}
		b, bshape, err := folded.Float32s(s.Key() + ".bias")
		if err != nil {
			return nil, err
		}
		out.Add(modelfile.NewF32(s.Key()+".bias", bshape, b))
	}
	return out, nil
}

// export runs the whole pipeline and writes cfg.Out.
func export(cfg *config) error {
	src, err := loadSource(cfg)
	if err != nil {
		return err
	}
	if cfg.Dataset != "" {
		if src.Meta.Dataset == nil {
			src.Meta.Dataset = &modelfile.Dataset{}
		}
		src.Meta.Dataset.Name = cfg.Dataset
	}
	src.Meta.About = mergeAbout(src.Meta.About, cfg.About)
	folded, err := engine.Fold(src)
	if err != nil {
		return fmt.Errorf("folding BatchNorm: %w", err)
	}
	var out *modelfile.File
	keep := cfg.Format == formatONNX && src.Meta.Kind == modelfile.KindModel && !cfg.DTypeSet
	if keep {
		// A model file goes into ONNX with its weights as stored: the same
		// scores, so its calibration still holds.
		out = src
		cfg.DType = storedDType(src)
	} else if out, err = convert(folded, cfg.DType); err != nil {
		return err
	}
	model, err := engine.Load(out)
	if err != nil {
		return fmt.Errorf("loading the exported weights: %w", err)
	}
	cal, err := calibrate(cfg, src.Meta.Calibration, model, folded, keep)
	if err != nil {
		return err
	}
	out.Meta.Calibration = cal
	write := out.Encode
	if cfg.Format == formatONNX {
		// Built in full before anything is written: a model the graph
		// cannot express leaves no file behind.
		b, err := onnx.Marshal(out, onnx.Options{Pixels: cfg.Pixels})
		if err != nil {
			return err
		}
		write = func(w io.Writer) error { _, err := w.Write(b); return err }
	}
	if err := os.MkdirAll(filepath.Dir(cfg.Out), 0o755); err != nil {
		return err
	}
	if err := modelfile.WriteFileAtomic(cfg.Out, write); err != nil {
		return fmt.Errorf("writing %s: %w", cfg.Out, err)
	}
	st, _ := os.Stat(cfg.Out)
	attrs := []any{"path", cfg.Out, "format", cfg.Format, "dtype", cfg.DType}
	if st != nil {
		attrs = append(attrs, "bytes", st.Size())
	}
	if cal != nil {
		attrs = append(attrs, "threshold", cal.Threshold, "threshold_fpr", cal.ThresholdFPR, "val_count", cal.ValCount)
		if cal.Test != nil {
			attrs = append(attrs, "test_auroc", cal.Test.AUROC, "test_auprc", cal.Test.AUPRC, "test_f1", cal.Test.F1)
		}
	}
	slog.Info("wrote model file", attrs...)
	return nil
}

// mergeAbout lays the words given on the command line over those the input
// already carries (a checkpoint or model file exported before).
func mergeAbout(stored *modelfile.About, given modelfile.About) *modelfile.About {
	var a modelfile.About
	if stored != nil {
		a = *stored
	}
	for _, f := range []struct {
		dst *string
		v   string
	}{{&a.Title, given.Title}, {&a.Description, given.Description}, {&a.NormalName, given.NormalName}, {&a.AbnormalName, given.AbnormalName}} {
		if f.v != "" {
			*f.dst = f.v
		}
	}
	if a == (modelfile.About{}) {
		return nil
	}
	return &a
}

// restamp rewrites the words of a model file and nothing else: the tensors
// are written back as they were read (the writer sorts them by name, as it
// did when the file was made), so every score stays bit for bit the same.
func restamp(cfg *config) error {
	if kind, err := sniffSource(cfg.Checkpoint); err != nil {
		return fmt.Errorf("reading -checkpoint: %w", err)
	} else if kind == sourcePth {
		return fmt.Errorf("-restamp rewrites a ganomaly model file; %s is a PyTorch file: export it first", cfg.Checkpoint)
	}
	f, err := modelfile.Open(cfg.Checkpoint)
	if err != nil {
		return err
	}
	f.Meta.About = mergeAbout(f.Meta.About, cfg.About)
	if err := os.MkdirAll(filepath.Dir(cfg.Out), 0o755); err != nil {
		return err
	}
	if err := f.Save(cfg.Out); err != nil {
		return err
	}
	w := f.Meta.Words()
	slog.Info("rewrote the words of the model file", "path", cfg.Out, "title", w.Title, "normal", w.NormalName, "abnormal", w.AbnormalName)
	return nil
}

// storedDType names the storage of a model file's weights (the first
// layer's; the exporter writes all layers alike).
func storedDType(f *modelfile.File) string {
	for _, s := range spec.GeneratorLayers(f.Meta.Arch) {
		if t := f.Tensor(s.Key() + ".weight"); t != nil {
			return strings.ToLower(string(t.DType))
		}
	}
	return dtypeF32
}

// calibrate decides the exported model's calibration by the rules of
// package calibration (docs/exporter.md, "Calibration rules"). unchanged
// says the exported weights are the input's own (an ONNX export of a model
// file), so its calibration holds whatever their storage.
func calibrate(cfg *config, stored *modelfile.Calibration, model *engine.Model, folded *modelfile.File, unchanged bool) (*modelfile.Calibration, error) {
	req := calibration.Request{Normals: cfg.Calibrate, Test: cfg.Test, FPR: cfg.FPR, Workers: cfg.Workers,
		SameScores: unchanged || cfg.DType == dtypeF32, KeepStored: cfg.KeepCal, DType: cfg.DType, Source: cfg.Checkpoint}
	var reference *engine.Model
	if cfg.Test != "" && !req.SameScores {
		ref, err := engine.Load(folded)
		if err != nil {
			return nil, err
		}
		reference = ref
	}
	return calibration.Decide(req, stored, model, reference)
}

// parseFloats parses a comma-separated list of numbers.
func parseFloats(s string) ([]float64, error) {
	var out []float64
	for _, p := range strings.Split(s, ",") {
		var v float64
		if _, err := fmt.Sscan(strings.TrimSpace(p), &v); err != nil {
			return nil, fmt.Errorf("%q is not a number", p)
		}
		out = append(out, v)
	}
	return out, nil
}
