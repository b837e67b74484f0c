// Package gallery turns a labelled folder of images (DIR/0.normal/**,
// DIR/1.abnormal/**, the layout the CLI, the exporter and the trainer read)
// into a model's sample gallery for the demo page: a fixed number of
// images picked deterministically from both labels, each stored as a small
// PNG of exactly what the model sees (its input size and channels), and the
// index entries that name them.
//
// The page scores a sample's PNG as it scores a dropped file, so its score
// equals `ganomaly score` on the same PNG bit for bit. Because the PNG is the
// model's own view rounded to 8 bits, that score differs from the original
// file's only by that rounding.
package gallery

import (
	"fmt"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/ganomaly-go/ganomaly/modelfile"
	"github.com/ganomaly-go/ganomaly/preprocess"
)

// DefaultCount is the number of samples a gallery gets when the folder has
// that many images.
const DefaultCount = 30

// Labels of the two classes, as the page's data-label and the index use them.
const (
	Normal    = preprocess.Normal
	Anomalous = preprocess.Anomalous
)

// Entry is one sample image in the gallery index (web/gallery/index.json).
type Entry struct {
	File    string `json:"file"`              // path relative to web/gallery/
	Dataset string `json:"dataset,omitempty"` // for the MNIST samples: matches modelfile.Dataset.Name
	Class   string `json:"class"`             // the dataset class, or the folder's label
	Model   string `json:"model,omitempty"`   // the bundled model file this gallery belongs to
	Label   string `json:"label,omitempty"`   // Normal or Anomalous, for a model's own gallery
	Source  string `json:"source,omitempty"`  // the original file, relative to the gallery folder
}

// Skipped is a file of the gallery folder that was left out, and why.
type Skipped = preprocess.Skipped

// candidate is an image file of the folder with its label.
type candidate struct {
	path, rel, label string
}

// pick chooses up to n images of the labelled folder dir. Every image file
// is decoded first (with the same code that scores it); one that does not
// decode is reported in skipped and left out. Of the rest, half come from
// each label (the other label fills in where one has too few), spread
// evenly over each label's files in path order: file floor((i+½)·len/k) for
// i < k. The result lists the normal samples, then the anomalous ones, each
// in path order. Files outside 0.normal/ and 1.abnormal/ and files without
// an image extension are reported in skipped as well.
func pick(dir string, n int) (picked []candidate, skipped []Skipped, err error) {
	if n < 1 {
		return nil, nil, fmt.Errorf("gallery %s: asked for %d samples", dir, n)
	}
	lists, skipped, err := list(dir)
	if err != nil {
		return nil, skipped, err
	}
	if len(lists[Normal])+len(lists[Anomalous]) == 0 {
		return nil, skipped, fmt.Errorf("gallery %s holds no images in 0.normal/ or 1.abnormal/ (the labelled layout: DIR/0.normal/*.png, DIR/1.abnormal/*.png)", dir)
	}
	normal, bad := decodable(lists[Normal])
	skipped = append(skipped, bad...)
	anomalous, bad := decodable(lists[Anomalous])
	skipped = append(skipped, bad...)
	slices.SortFunc(skipped, func(a, b Skipped) int { return strings.Compare(a.Path, b.Path) })
	if len(normal)+len(anomalous) == 0 {
		return nil, skipped, fmt.Errorf("gallery %s: none of its images could be decoded", dir)
	}
	kN, kA := split(n, len(normal), len(anomalous))
	return append(spread(normal, kN), spread(anomalous, kA)...), skipped, nil
}

// split shares n samples between two labels with a and b files.
func split(n, a, b int) (int, int) {
	kb := min(b, n-n/2)
	ka := min(a, n-kb)
	return ka, min(b, n-ka)
}

// spread takes k of files, evenly spaced, in their order.
func spread(files []candidate, k int) []candidate {
	out := make([]candidate, 0, k)
	for i := range k {
		out = append(out, files[int((float64(i)+0.5)*float64(len(files))/float64(k))])
	}
	return out
}

// decodable keeps the files that decode, in order, and reports the others.
func decodable(files []candidate) ([]candidate, []Skipped) {
	errs := make([]error, len(files))
	var wg sync.WaitGroup
	next := make(chan int)
	for range runtime.NumCPU() {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				errs[i] = check(files[i].path)
			}
		}()
	}
	for i := range files {
		next <- i
	}
	close(next)
	wg.Wait()
	var good []candidate
	var bad []Skipped
	for i, f := range files {
		if errs[i] != nil {
			bad = append(bad, Skipped{Path: f.path, Reason: errs[i].Error()})
			continue
		}
		good = append(good, f)
	}
	return good, bad
}

// check decodes a file with the same code that scores it.
func check(path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if _, err := preprocess.DecodeBytes(b); err != nil {
		return fmt.Errorf("not usable: %w", err)
	}
	return nil
}

// list scans dir with the project's one folder lister
// (preprocess.ListDir): the images below 0.normal/ and 1.abnormal/ by
// label, in path order; everything it left out, and images outside the two
// label folders, as skipped.
func list(dir string) (map[string][]candidate, []Skipped, error) {
	l, err := preprocess.ListDir(dir)
	if err != nil {
		return nil, nil, fmt.Errorf("gallery %s: %w (want a folder with 0.normal/ and 1.abnormal/ images)", dir, err)
	}
	skipped := append(append([]Skipped(nil), l.Skipped...), l.Unreadable...)
	out := map[string][]candidate{}
	for _, im := range l.Images {
		rel, err := filepath.Rel(dir, im.Path)
		if err != nil {
			return nil, skipped, err
		}
		rel = filepath.ToSlash(rel)
		label := preprocess.LabelOf(rel)
		if label == "" {
			skipped = append(skipped, Skipped{Path: im.Path, Reason: "not below " + preprocess.NormalDir + "/ or " + preprocess.AbnormalDir + "/"})
			continue
		}
		out[label] = append(out[label], candidate{path: im.Path, rel: rel, label: label})
	}
	return out, skipped, nil
}

// Build picks up to n samples of the labelled folder dir for a model with
// metadata meta, writes each as a PNG of the model's input (meta.Arch.ISize
// square, grey or RGB as meta.Arch.NC) into outDir/sub/, and returns their
// index entries (File relative to outDir, Model set to model) and the files
// it left out.
func Build(dir, outDir, sub, model string, meta modelfile.Metadata, n int) ([]Entry, []Skipped, error) {
	picked, skipped, err := pick(dir, n)
	if err != nil {
		return nil, skipped, err
	}
	if err := os.MkdirAll(filepath.Join(outDir, sub), 0o755); err != nil {
		return nil, skipped, err
	}
	a := meta.Arch
	// The identity normalisation: the tensor holds the pixels p in [0, 1].
	id := modelfile.Norm{Mean: make([]float64, a.NC), Std: slices.Repeat([]float64{1}, a.NC)}
	count := map[string]int{}
	var entries []Entry
	for _, c := range picked {
		x, err := preprocess.LoadFile(c.path, a.ISize, a.NC, id)
		if err != nil {
			return nil, skipped, err // decoded a moment ago: a real I/O failure
		}
		name := fmt.Sprintf("%s/%s-%02d.png", sub, c.label, count[c.label])
		count[c.label]++
		if err := writePNG(filepath.Join(outDir, filepath.FromSlash(name)), preprocess.ToImage(x, a.ISize, a.NC, id)); err != nil {
			return nil, skipped, err
		}
		entries = append(entries, Entry{File: name, Class: c.label, Model: model, Label: c.label, Source: c.rel})
	}
	return entries, skipped, nil
}

func writePNG(path string, img image.Image) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := (&png.Encoder{CompressionLevel: png.BestCompression}).Encode(f, img); err != nil {
		f.Close()
		return fmt.Errorf("%s: %w", path, err)
	}
	return f.Close()
}
