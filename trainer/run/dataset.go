package run

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/ganomaly-go/ganomaly/data"
	"github.com/ganomaly-go/ganomaly/modelfile"
	"github.com/ganomaly-go/ganomaly/render"
)

// LoadDataset builds the configured one-class dataset.
func LoadDataset(cfg *Config) (*data.Dataset, error) {
	p := data.Protocol{Seed: cfg.ManualSeed, ValFraction: cfg.ValFraction, MaxTrain: cfg.MaxImages, MaxTest: cfg.MaxTest}
	if cfg.MaxImages > 0 {
		// keep the validation split in proportion to the training subset
		p.MaxVal = max(int(float64(cfg.MaxImages)*cfg.ValFraction/(1-cfg.ValFraction)), 64)
	}
	switch cfg.Dataset {
	case "mnist":
		dir := cfg.DataRoot
		if dir == "" {
			var err error
			if dir, err = data.BundledMNIST(); err != nil {
				return nil, err
			}
		}
		return data.LoadMNIST(dir, cfg.AbnormalClass, cfg.ISize, p)
	case "cifar10":
		if cfg.DataRoot == "" {
			return nil, errors.New("--dataset cifar10 needs --dataroot: a folder with the CIFAR-10 binary batches (cifar-10-binary.tar.gz unpacked)")
		}
		return data.LoadCIFAR10(cfg.DataRoot, cfg.AbnormalClass, cfg.ISize, cfg.NC, p)
	default:
		return data.LoadFolder(cfg.DataRoot, cfg.ISize, cfg.NC, p)
	}
}

func (r *Runner) datasetMeta() modelfile.Dataset {
	return modelfile.Dataset{Name: r.ds.Name, NormalClasses: r.ds.NormalClasses, AbnormalClasses: r.ds.AbnormalClasses, Description: r.ds.Description}
}

// WriteSplitImages writes the validation normals to DIR/val/ and the test set
// to DIR/test/0.normal/ and DIR/test/1.abnormal/ as PNG files, exactly as the
// model sees them (already at isize), so that the exporter can calibrate a
// quantised model on the same validation split (-calibrate DIR/val) and
// score the same test set (-test DIR/test).
func (r *Runner) WriteSplitImages(dir string) error {
	per := r.cfg.NC * r.cfg.ISize * r.cfg.ISize
	x := make([]float32, per)
	write := func(sub string, s data.Sample, i int) error {
		if err := r.loader.Image(x, s); err != nil {
			return err
		}
		img, err := render.Tensor(x, r.cfg.ISize, r.cfg.NC, r.norm)
		if err != nil {
			return err
		}
		return writePNG(filepath.Join(dir, sub, fmt.Sprintf("%06d.png", i)), img)
	}
	for _, sub := range []string{"val", "test/0.normal", "test/1.abnormal"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o755); err != nil {
			return err
		}
	}
	for i, s := range r.ds.Val {
		if err := write("val", s, i); err != nil {
			return err
		}
	}
	for i, s := range r.ds.Test {
		sub := "test/0.normal"
		if s.Anomalous {
			sub = "test/1.abnormal"
		}
		if err := write(sub, s, i); err != nil {
			return err
		}
	}
	r.log.Info("wrote the validation and test images", "dir", dir, "val", len(r.ds.Val), "test", len(r.ds.Test))
	return nil
}
