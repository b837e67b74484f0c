package ui

import (
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/ganomaly-go/ganomaly/engine"
	"github.com/ganomaly-go/ganomaly/modelfile"
	"github.com/ganomaly-go/ganomaly/preprocess"
)

// Session is a loaded model with everything the page needs about it, and the
// page's one door to the engine: the views call its methods, never the
// engine itself. The model bytes are kept so that Web Workers can load the
// same model.
type Session struct {
	Name    string // the file name, e.g. "mnist.safetensors"
	Bundled bool   // one of the site's models (web/models), not a file the user opened
	Bytes   []byte // the model file as loaded
	Meta    modelfile.Metadata
	model   *engine.Model
}

// LoadSession parses and loads a model file. Errors are written for the page:
// what was wrong and what to do.
func LoadSession(name string, b []byte) (*Session, error) {
	f, err := modelfile.Parse(b)
	if err != nil {
		return nil, fmt.Errorf("%s is not a usable ganomaly model file: %w (export one with the exporter, or pick a bundled model)", name, err)
	}
	m, err := engine.Load(f)
	if err != nil {
		return nil, fmt.Errorf("%s cannot be loaded: %w", name, err)
	}
	return &Session{Name: name, Bytes: b, Meta: m.Meta(), model: m}, nil
}

// Analysis is one scored image with copies of everything the views show.
type Analysis struct {
	Name    string
	Source  []byte    // the file bytes (for the lab and the result card)
	X       []float32 // the model's input, CHW, normalised
	XHat    []float32 // the reconstruction x̂, CHW, normalised
	LatentI []float32 // E1(x)
	LatentO []float32 // E2(x̂)
	Diff    []float32 // |x − x̂| averaged over channels, isize×isize
	Score   float64
}

// Prepare decodes an image file and turns it into the model's input with the
// same rules as the CLI (package preprocess).
func (s *Session) Prepare(b []byte) ([]float32, error) {
	a := s.Meta.Arch
	x, err := preprocess.LoadBytes(b, a.ISize, a.NC, s.Meta.Norm)
	if err != nil {
		return nil, explainImageError(err)
	}
	return x, nil
}

// Analyze runs x through the generator and copies the results.
func (s *Session) Analyze(name string, src []byte, x []float32) (*Analysis, error) {
	r, err := s.model.Forward(x)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return &Analysis{
		Name: name, Source: src,
		X:       append([]float32(nil), x...),
		XHat:    append([]float32(nil), r.XHat...),
		LatentI: append([]float32(nil), r.LatentI...),
		LatentO: append([]float32(nil), r.LatentO...),
		Diff:    append([]float32(nil), r.Diff...),
		Score:   r.Score,
	}, nil
}

// ScoreThumb scores an image file and makes its batch-view thumbnail, as a
// worker of the pool does (wasm/worker): for batches run on the page.
func (s *Session) ScoreThumb(b []byte) (score float64, thumb []byte, err error) {
	x, err := s.Prepare(b)
	if err != nil {
		return math.NaN(), nil, err
	}
	r, err := s.model.Forward(x)
	if err != nil {
		return math.NaN(), nil, err
	}
	a := s.Meta.Arch
	thumb, err = preprocess.ThumbnailPNG(x, a.ISize, a.NC, s.Meta.Norm, preprocess.ThumbSide)
	return r.Score, thumb, err
}

// AnalyzeBytes is Prepare followed by Analyze.
func (s *Session) AnalyzeBytes(name string, b []byte) (*Analysis, error) {
	x, err := s.Prepare(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return s.Analyze(name, b, x)
}

// Layers lists the generator's layers in order (the lab's diagram).
func (s *Session) Layers() []engine.LayerInfo { return s.model.Layers() }

// LayerOutput runs x through the generator and returns a copy of layer i's
// output (the lab's feature maps).
func (s *Session) LayerOutput(x []float32, i int) ([]float32, engine.LayerInfo, error) {
	var out []float32
	var info engine.LayerInfo
	_, err := s.model.Trace(x, func(j int, l engine.LayerInfo, o []float32) {
		if j == i {
			out, info = append([]float32(nil), o...), l
		}
	})
	if err == nil && out == nil {
		err = fmt.Errorf("the model has no layer %d", i)
	}
	return out, info, err
}

// Encode is E1(x): the latent code of a prepared input.
func (s *Session) Encode(x []float32) ([]float32, error) {
	z, err := s.model.Encode(x)
	if err != nil {
		return nil, err
	}
	return append([]float32(nil), z...), nil
}

// DecodeScore draws the image D(z) of a latent code and scores that image
// as any other input.
func (s *Session) DecodeScore(z []float32) (img []float32, score float64, err error) {
	img, err = s.model.Decode(z)
	if err != nil {
		return nil, 0, err
	}
	img = append([]float32(nil), img...)
	r, err := s.model.Forward(img)
	if err != nil {
		return nil, 0, err
	}
	return img, r.Score, nil
}

// Score is the anomaly score of a prepared input (the page's benchmark hook).
func (s *Session) Score(x []float32) (float64, error) {
	r, err := s.model.Forward(x)
	if err != nil {
		return math.NaN(), err
	}
	return r.Score, nil
}

// MACs is the generator's multiply-adds per image.
func (s *Session) MACs() int64 { return s.model.MACs() }

// explainImageError rewrites preprocess errors for people: the page has no
// command line, so "downscale it" is the useful part.
func explainImageError(err error) error {
	var le *preprocess.LimitError
	var fe *preprocess.FormatError
	switch {
	case errors.As(err, &le):
		return fmt.Errorf("the image is too large (%s); the limit is %d×%d pixels on a side and %d megapixels, checked from the header before decoding", strings.TrimPrefix(le.Error(), "preprocess: "), preprocess.MaxDimension, preprocess.MaxDimension, preprocess.MaxPixels/1_000_000)
	case errors.As(err, &fe):
		return errors.New(strings.TrimPrefix(fe.Error(), "preprocess: "))
	}
	return errors.New(strings.TrimPrefix(err.Error(), "preprocess: "))
}

// HasCalibration reports whether the model carries a calibrated threshold.
func (s *Session) HasCalibration() bool { return s.Meta.Calibration != nil }

// DefaultThreshold is the model's calibrated threshold, or, for an
// uncalibrated model, NaN (the page then asks the user to set one).
func (s *Session) DefaultThreshold() float64 {
	if c := s.Meta.Calibration; c != nil {
		return c.Threshold
	}
	return math.NaN()
}

// Describe returns a one-line summary: dataset, classes, input size.
func Describe(m modelfile.Metadata) string {
	a := m.Arch
	chans := "grey"
	if a.NC == 3 {
		chans = "RGB"
	}
	var b strings.Builder
	if d := m.Dataset; d != nil && d.Name != "" {
		w := m.Words()
		fmt.Fprintf(&b, "trained on %s (normal: %s; anomaly: %s)", d.Name, w.NormalName, w.AbnormalName)
	} else {
		b.WriteString("training data not recorded")
	}
	fmt.Fprintf(&b, " · input %d×%d %s · nz %d", a.ISize, a.ISize, chans, a.NZ)
	return b.String()
}

// AUROCText is the model's test AUROC for display, or "not measured".
func AUROCText(m modelfile.Metadata) string {
	if c := m.Calibration; c != nil && c.Test != nil {
		return fmt.Sprintf("%.3f (%d normal, %d anomalous test images)", c.Test.AUROC, c.Test.Normals, c.Test.Anomalies)
	}
	return "not measured"
}

// IsRandomInit reports a model whose weights were never trained.
func IsRandomInit(m modelfile.Metadata) bool {
	return m.Training != nil && m.Training.Selected == "random-init"
}

// ClassLabel says whether a dataset class is "normal" or "abnormal" for the
// model, or "" when the model's metadata does not say.
func ClassLabel(m modelfile.Metadata, dataset, class string) string {
	d := m.Dataset
	if d == nil || !strings.EqualFold(d.Name, dataset) {
		return ""
	}
	for _, c := range d.AbnormalClasses {
		if c == class {
			return "abnormal"
		}
	}
	for _, c := range d.NormalClasses {
		if c == class {
			return "normal"
		}
	}
	if len(d.AbnormalClasses) > 0 && len(d.NormalClasses) == 0 {
		return "normal" // one-class protocol: everything else is normal
	}
	return ""
}
