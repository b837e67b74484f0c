// Package calibration holds the rules that give a model file its threshold
// and test numbers (docs/exporter.md, "Calibration rules"): score a folder
// of normal images with the model, set the threshold at a false-positive
// rate, score a labelled folder for AUROC, AUPRC and F1, and decide what a
// calibration stored with other weights is still worth. The exporter uses
// it; the command line, the page and tests can.
package calibration

import (
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ganomaly-go/ganomaly/engine"
	"github.com/ganomaly-go/ganomaly/preprocess"
)

// ListImages returns the paths of the images below dir (the rules of
// preprocess.ListDir), warning about each file it skipped.
func ListImages(dir string) ([]string, error) {
	l, err := scanDir(dir)
	if err != nil {
		return nil, err
	}
	return l.Paths(), nil
}

// scanDir lists the images below dir (preprocess.ListDir's rules) and warns
// about each file it skipped. A folder it cannot read, or no image at all,
// is an error: calibration must not silently miss data.
func scanDir(dir string) (*preprocess.Listing, error) {
	l, err := preprocess.ListDir(dir)
	if err != nil {
		return nil, err
	}
	for _, sk := range l.Skipped {
		slog.Warn("skipped", "path", sk.Path, "reason", sk.Reason)
	}
	if len(l.Unreadable) > 0 {
		var errs []error
		for _, u := range l.Unreadable {
			errs = append(errs, errors.New(u.String()))
		}
		return nil, errors.Join(errs...)
	}
	if len(l.Images) == 0 {
		return nil, fmt.Errorf("%s holds no images: %s", dir, preprocess.NoImagesText())
	}
	return l, nil
}

// ListLabelled returns the images of a labelled folder, the layout of the
// original code's custom datasets: DIR/0.normal/** (normal) and
// DIR/1.abnormal/** (anomalous). Images under neither are left out with a
// warning.
func ListLabelled(dir string) ([]string, []bool, error) {
	l, err := scanDir(dir)
	if err != nil {
		return nil, nil, err
	}
	var paths []string
	var anomalous []bool
	var normals, anomalies int
	for _, im := range l.Images {
		switch im.Label {
		case preprocess.Normal:
			normals++
		case preprocess.Anomalous:
			anomalies++
		default:
			slog.Warn("skipped", "path", im.Path, "reason", "not below a "+preprocess.NormalDir+"/ or "+preprocess.AbnormalDir+"/ folder")
			continue
		}
		paths = append(paths, im.Path)
		anomalous = append(anomalous, im.Label == preprocess.Anomalous)
	}
	if normals == 0 || anomalies == 0 {
		return nil, nil, fmt.Errorf("%s must hold images in both %s/ and %s/ (found %d and %d)", dir, preprocess.NormalDir, preprocess.AbnormalDir, normals, anomalies)
	}
	return paths, anomalous, nil
}

// Score loads every image with the model's preprocessing and returns
// its anomaly score, in the order of paths. Work is spread over workers
// clones of the model. The first unreadable image stops the run with an
// error naming it: calibration must not silently skip data.
func Score(model *engine.Model, paths []string, workers int) ([]float64, error) {
	if workers < 1 {
		workers = 1
	}
	meta := model.Meta()
	scores := make([]float64, len(paths))
	errs := make([]error, len(paths))
	next := make(chan int)
	var wg sync.WaitGroup
	var failed atomic.Bool
	start := time.Now()
	for w := 0; w < workers; w++ {
		m := model.Clone()
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				x, err := preprocess.LoadFile(paths[i], meta.Arch.ISize, meta.Arch.NC, meta.Norm)
				if err != nil {
					errs[i] = err
					failed.Store(true)
					continue
				}
				r, err := m.Forward(x)
				if err != nil {
					errs[i] = fmt.Errorf("%s: %w", paths[i], err)
					failed.Store(true)
					continue
				}
				scores[i] = r.Score
			}
		}()
	}
	for i := range paths {
		if failed.Load() {
			break
		}
		next <- i
	}
	close(next)
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	el := time.Since(start)
	slog.Debug("scored images", "n", len(paths), "seconds", el.Seconds(), "images_per_s", float64(len(paths))/el.Seconds())
	return scores, nil
}
