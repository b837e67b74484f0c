package main

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ganomaly-go/ganomaly/engine"
	"github.com/ganomaly-go/ganomaly/preprocess"
)

// imageExts are the file extensions scored in a folder; other files (a
// README, a .DS_Store) are skipped.
var imageExts = map[string]bool{
	".png": true, ".jpg": true, ".jpeg": true, ".gif": true, ".bmp": true,
	".tif": true, ".tiff": true, ".webp": true,
}

// listImages returns the image files below dir (recursively), sorted.
func listImages(dir string) ([]string, error) {
	st, err := os.Stat(dir)
	if err != nil {
		return nil, err
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("%s is not a folder", dir)
	}
	var paths []string
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && imageExts[strings.ToLower(filepath.Ext(p))] {
			paths = append(paths, p)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(paths) == 0 {
		return nil, fmt.Errorf("%s holds no images (%s)", dir, extList())
	}
	sort.Strings(paths)
	return paths, nil
}

func extList() string {
	var e []string
	for k := range imageExts {
		e = append(e, k)
	}
	sort.Strings(e)
	return strings.Join(e, " ")
}

// listLabelled returns the images of a labelled folder: DIR/0.normal/**
// (normal) and DIR/1.abnormal/** (anomalous), the layout of the original
// code's custom datasets.
func listLabelled(dir string) ([]string, []bool, error) {
	normal, err := listImages(filepath.Join(dir, "0.normal"))
	if err != nil {
		return nil, nil, fmt.Errorf("%s must hold 0.normal/ and 1.abnormal/ image folders: %w", dir, err)
	}
	abnormal, err := listImages(filepath.Join(dir, "1.abnormal"))
	if err != nil {
		return nil, nil, fmt.Errorf("%s must hold 0.normal/ and 1.abnormal/ image folders: %w", dir, err)
	}
	paths := append(normal, abnormal...)
	labels := make([]bool, len(paths))
	for i := len(normal); i < len(paths); i++ {
		labels[i] = true
	}
	return paths, labels, nil
}

// scoreImages loads every image with the model's preprocessing and returns
// its anomaly score, in the order of paths. Work is spread over workers
// clones of the model. The first unreadable image stops the run with an
// error naming it: calibration must not silently skip data.
func scoreImages(model *engine.Model, paths []string, workers int) ([]float64, error) {
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
