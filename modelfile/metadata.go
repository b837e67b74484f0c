package modelfile

import (
	"encoding/json"
	"fmt"
	"math/bits"
	"strings"
)

// FormatVersion is the version of the Metadata schema this package writes.
// Readers accept files up to this version and refuse newer ones with a message
// that asks for a newer ganomaly.
const FormatVersion = 1

// Metadata keys in the safetensors __metadata__ map.
const (
	MetaKeyFormat  = "format"         // always "ganomaly"
	MetaKeyVersion = "format_version" // decimal FormatVersion
	MetaKeyJSON    = "ganomaly"       // the Metadata struct as JSON
)

// Kinds of file.
const (
	// KindModel is an inference model: BatchNorm folded into convolution
	// weights and biases, ready for the engine and the browser.
	KindModel = "model"
	// KindCheckpoint is a training checkpoint of the generator: unfolded
	// BatchNorm with running statistics, exactly the original state dict.
	KindCheckpoint = "checkpoint"
)

// Metadata is everything besides weights that a single-image verdict needs,
// plus provenance. It is stored as JSON in __metadata__["ganomaly"].
type Metadata struct {
	FormatVersion int          `json:"format_version"`
	Kind          string       `json:"kind"`
	Arch          Arch         `json:"arch"`
	Norm          Norm         `json:"normalization"`
	Calibration   *Calibration `json:"calibration,omitempty"`
	Dataset       *Dataset     `json:"dataset,omitempty"`
	Training      *Training    `json:"training,omitempty"`
	// About holds the words a person chose for the model (exporter -title,
	// -description, -normal_name, -abnormal_name). Added within schema
	// version 1: older readers ignore it, older files lack it (see Words).
	About *About `json:"about,omitempty"`
}

// About is how a model presents itself on a page or in ganomaly inspect:
// a title, a sentence or two, and what its two classes are called.
type About struct {
	Title        string `json:"title,omitempty"`
	Description  string `json:"description,omitempty"`
	NormalName   string `json:"normal_name,omitempty"`
	AbnormalName string `json:"abnormal_name,omitempty"`
}

// Words returns m.About with every empty field filled in from the dataset:
// the class names it records (a folder dataset's "0.normal" and
// "1.abnormal" lose their index, the last resort), then "normal" and
// "anomalous". The title defaults to the dataset's name; the description
// to a sentence made of the class names.
func (m Metadata) Words() About {
	var w About
	if m.About != nil {
		w = *m.About
	}
	d := m.Dataset
	if d == nil {
		d = &Dataset{}
	}
	if w.NormalName == "" {
		w.NormalName = className(d.NormalClasses, "normal")
	}
	if w.AbnormalName == "" {
		w.AbnormalName = className(d.AbnormalClasses, "anomalous")
	}
	if w.Title == "" {
		w.Title = "GANomaly model"
		if d.Name != "" && d.Name != "folder" {
			w.Title = "GANomaly model of " + d.Name
		}
	}
	if w.Description == "" {
		w.Description = fmt.Sprintf("Trained only on normal images (%s); an image unlike them (%s) should score above the threshold.", w.NormalName, w.AbnormalName)
	}
	return w
}

// className joins a dataset's class names for display, dropping the index
// of the folder layout's "0.normal" and "1.abnormal".
func className(classes []string, none string) string {
	if len(classes) == 0 {
		return none
	}
	out := make([]string, len(classes))
	for i, c := range classes {
		if j := strings.IndexByte(c, '.'); j > 0 && strings.Trim(c[:j], "0123456789") == "" && j+1 < len(c) {
			c = c[j+1:]
		}
		out[i] = c
	}
	return strings.Join(out, ", ")
}

// Arch describes the GANomaly generator (REFERENCE.md "Networks").
type Arch struct {
	ISize       int `json:"isize"`
	NC          int `json:"nc"`
	NZ          int `json:"nz"`
	NGF         int `json:"ngf"`
	ExtraLayers int `json:"extralayers"`
}

// Validate checks the architecture against what the networks support.
func (a Arch) Validate() error {
	if a.ISize < 16 || a.ISize > 128 || bits.OnesCount(uint(a.ISize)) != 1 {
		return fmt.Errorf("isize %d: must be a power of two from 16 to 128 (the encoder halves the image down to 4x4)", a.ISize)
	}
	if a.NC != 1 && a.NC != 3 {
		return fmt.Errorf("nc %d: must be 1 (grey) or 3 (RGB)", a.NC)
	}
	if a.NZ < 1 || a.NZ > 4096 {
		return fmt.Errorf("nz %d: must be between 1 and 4096", a.NZ)
	}
	if a.NGF < 1 || a.NGF > 1024 {
		return fmt.Errorf("ngf %d: must be between 1 and 1024", a.NGF)
	}
	if a.ExtraLayers < 0 || a.ExtraLayers > 16 {
		return fmt.Errorf("extralayers %d: must be between 0 and 16", a.ExtraLayers)
	}
	return nil
}

// Norm is the per-channel normalisation applied to pixels in [0, 1]:
// x = (p - Mean[c]) / Std[c]. The default 0.5/0.5 maps to [-1, 1], the range
// of the decoder's Tanh.
type Norm struct {
	Mean []float64 `json:"mean"`
	Std  []float64 `json:"std"`
}

// DefaultNorm returns the [-1, 1] normalisation for nc channels.
func DefaultNorm(nc int) Norm {
	n := Norm{Mean: make([]float64, nc), Std: make([]float64, nc)}
	for i := range n.Mean {
		n.Mean[i], n.Std[i] = 0.5, 0.5
	}
	return n
}

// Validate checks that there is one positive std and one mean per channel.
func (n Norm) Validate(nc int) error {
	if len(n.Mean) != nc || len(n.Std) != nc {
		return fmt.Errorf("normalization: need %d mean and std values (one per channel), got %d and %d", nc, len(n.Mean), len(n.Std))
	}
	for i, s := range n.Std {
		if !(s > 0) {
			return fmt.Errorf("normalization: std[%d] = %v must be positive", i, s)
		}
	}
	return nil
}

// Calibration turns a raw anomaly score into a verdict for one image: the
// score distribution of held-out normal images and, when a labelled test set
// was available, its ROC.
type Calibration struct {
	// Threshold: a score above it is "anomalous".
	Threshold float64 `json:"threshold"`
	// ThresholdFPR is the false-positive rate on the validation normals at
	// which Threshold was chosen (for example 0.05).
	ThresholdFPR float64 `json:"threshold_fpr"`
	// ValCount is the number of validation normals the numbers come from.
	ValCount int `json:"val_count"`
	// ValQuantiles are quantiles of the validation-normal scores.
	ValQuantiles []Quantile `json:"val_quantiles,omitempty"`
	// ValHistogram is a histogram of the validation-normal scores.
	ValHistogram *Histogram `json:"val_histogram,omitempty"`
	// ScoreScale maps raw scores to [0, 1] for display: (s - Min) / (Max - Min),
	// like the original's min-max scaling but fixed at calibration time.
	ScoreScale ScoreScale `json:"score_scale"`
	// Test holds test-set results when labels were known.
	Test *TestResult `json:"test,omitempty"`
}

// Quantile is the score at probability P of the validation normals.
type Quantile struct {
	P     float64 `json:"p"`
	Score float64 `json:"score"`
}

// Histogram has len(Edges) == len(Counts)+1.
type Histogram struct {
	Edges  []float64 `json:"edges"`
	Counts []int     `json:"counts"`
}

// ScoreScale is the display scaling of raw scores.
type ScoreScale struct {
	Min float64 `json:"min"`
	Max float64 `json:"max"`
}

// TestResult summarises a labelled test set scored by this very model.
type TestResult struct {
	AUROC     float64    `json:"auroc"`
	AUPRC     float64    `json:"auprc,omitempty"`
	F1        float64    `json:"f1,omitempty"` // at Threshold
	Normals   int        `json:"normals"`
	Anomalies int        `json:"anomalies"`
	ROC       []ROCPoint `json:"roc,omitempty"`
}

// ROCPoint is one point of the ROC curve: at Threshold (score above it is
// anomalous) the rates are FPR and TPR.
type ROCPoint struct {
	Threshold float64 `json:"threshold"`
	FPR       float64 `json:"fpr"`
	TPR       float64 `json:"tpr"`
}

// Dataset says what the model was trained on.
type Dataset struct {
	Name            string   `json:"name"`
	NormalClasses   []string `json:"normal_classes,omitempty"`
	AbnormalClasses []string `json:"abnormal_classes,omitempty"`
	Description     string   `json:"description,omitempty"`
}

// Training summarises how the weights were made.
type Training struct {
	Epochs   int    `json:"epochs"`
	Epoch    int    `json:"epoch"` // the epoch these weights come from
	Seed     int64  `json:"seed"`
	Command  string `json:"command,omitempty"`
	Device   string `json:"device,omitempty"`
	Selected string `json:"selected,omitempty"` // "last", "validation" or "random-init"
	Date     string `json:"date,omitempty"`
}

// Validate checks the metadata is complete and consistent.
func (m *Metadata) Validate() error {
	if m.FormatVersion < 1 {
		return fmt.Errorf("format_version %d is invalid", m.FormatVersion)
	}
	if m.FormatVersion > FormatVersion {
		return fmt.Errorf("format_version %d is newer than this program understands (%d): update ganomaly", m.FormatVersion, FormatVersion)
	}
	if m.Kind != KindModel && m.Kind != KindCheckpoint {
		return fmt.Errorf("kind %q: want %q or %q", m.Kind, KindModel, KindCheckpoint)
	}
	if err := m.Arch.Validate(); err != nil {
		return err
	}
	if err := m.Norm.Validate(m.Arch.NC); err != nil {
		return err
	}
	return nil
}

func encodeMetadata(m *Metadata) (map[string]string, error) {
	js, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	return map[string]string{
		MetaKeyFormat:  "ganomaly",
		MetaKeyVersion: fmt.Sprint(m.FormatVersion),
		MetaKeyJSON:    string(js),
	}, nil
}

func decodeMetadata(kv map[string]string) (*Metadata, error) {
	js, ok := kv[MetaKeyJSON]
	if !ok {
		return nil, formatErr("no %q entry in __metadata__: this safetensors file was not written by ganomaly (use the exporter to make a model file)", MetaKeyJSON)
	}
	var m Metadata
	if err := json.Unmarshal([]byte(js), &m); err != nil {
		return nil, formatErr("__metadata__[%q] is not valid JSON: %v", MetaKeyJSON, err)
	}
	if err := m.Validate(); err != nil {
		return nil, &FormatError{What: "metadata: " + err.Error()}
	}
	return &m, nil
}
