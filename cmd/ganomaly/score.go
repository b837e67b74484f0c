package main

import (
	"fmt"
	"io"
	"log/slog"
	"math"
	"runtime"
	"strconv"
	"time"

	"github.com/ganomaly-go/ganomaly/engine"
	"github.com/ganomaly-go/ganomaly/modelfile"
)

const scoreAbout = `Scores every image with the model and prints, per image: path, score (the
GANomaly anomaly score, mean (latentI - latentO)^2), verdict ("normal" or
"anomalous": anomalous when the score is above the threshold) and the
threshold used (the model's calibrated threshold unless -threshold is given).

PATH is an image file or a folder. Folders are searched recursively for
images: files named *.png, *.jpg, *.jpeg, *.gif, *.bmp, *.tif, *.tiff or
*.webp (any case), and files with another or no extension whose content is
one of these formats. Hidden files and folders (a name starting with ".")
and files that are not images are skipped, each named on stderr with the
reason (and, for -format json, in the summary's "skipped" list). A file named
on the command line is always tried. A file that cannot be scored (not an
image, truncated, larger than the preprocess limits) gets its error in its
row and the others are still scored.

Images below a folder named "0.normal" or "1.abnormal" are labelled; when both
labels occur, AUROC, AUPRC and F1 at the threshold are printed too: after the
table, as a final {"summary": {...}} element of the JSON array, or on stderr
for CSV (which keeps stdout a plain table). The JSON summary element is there
when the images are labelled or a folder scan skipped something; it is
always the last element.

Exit status: 0 every image scored, 1 some failed, 2 usage error (including a
model file that cannot be read).`

// row is one input's outcome.
type row struct {
	path    string
	label   string // "normal", "anomalous" or ""
	heatmap string // where its heat map goes, "" for none
	score   float64
	scored  bool
	err     string
}

type scoreOptions struct {
	model     string
	format    string
	heatmaps  string
	threshold float64
	hasThresh bool
	workers   int
}

func runScore(args []string, stdout, stderr io.Writer, log *slog.Logger) int {
	var o scoreOptions
	fs := newFlagSet("score", "ganomaly score -model FILE [-format table|csv|json] [-heatmaps DIR] [-threshold T] [-workers N] PATH...", scoreAbout, stderr)
	fs.StringVar(&o.model, "model", "", "model `file` (safetensors, from the exporter or ganomaly init; a training checkpoint works too)")
	fs.StringVar(&o.format, "format", "table", "output `format`: table (aligned columns), csv, or json (one array of objects with path, score, verdict, threshold, error, and label when known)")
	fs.StringVar(&o.heatmaps, "heatmaps", "", "write a PNG result card per scored image into `DIR`: the input, its reconstruction, the |x - x̂| heat map, score, threshold and verdict (folder structure mirrored, name = image name + .png)")
	fs.Func("threshold", "score `T` above which an image is anomalous (default: the model's calibrated threshold)", func(s string) error {
		v, err := strconv.ParseFloat(s, 64)
		if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("not a finite number: %q", s)
		}
		o.threshold, o.hasThresh = v, true
		return nil
	})
	fs.IntVar(&o.workers, "workers", runtime.NumCPU(), "images scored in parallel (one model copy each)")
	paths, status, ok := parseInterspersed(fs, args)
	if !ok {
		return status
	}
	switch {
	case o.model == "":
		fmt.Fprintln(stderr, "ganomaly score: -model FILE is required (make one with the exporter, or a random one with ganomaly init)")
		return exitUsage
	case len(paths) == 0:
		fmt.Fprintln(stderr, "ganomaly score: give at least one image or folder to score")
		return exitUsage
	case o.format != "table" && o.format != "csv" && o.format != "json":
		fmt.Fprintf(stderr, "ganomaly score: -format %q: want table, csv or json\n", o.format)
		return exitUsage
	case o.workers < 1:
		fmt.Fprintf(stderr, "ganomaly score: -workers %d: want at least 1\n", o.workers)
		return exitUsage
	}

	f, err := modelfile.Open(o.model)
	if err != nil {
		fmt.Fprintf(stderr, "ganomaly score: -model: %v\n", err) // the error names the file
		return exitUsage
	}
	model, err := engine.Load(f)
	if err != nil {
		fmt.Fprintf(stderr, "ganomaly score: model %s: %v\n", o.model, err)
		return exitUsage
	}
	meta := model.Meta()
	if !o.hasThresh {
		if meta.Calibration == nil {
			fmt.Fprintf(stderr, "ganomaly score: model %s has no calibration (no threshold): pass -threshold T, or export it with -calibrate DIR\n", o.model)
			return exitUsage
		}
		o.threshold = meta.Calibration.Threshold
	}

	rows, skipped := collect(paths)
	for _, sk := range skipped {
		log.Warn("skipped", "path", sk.Path, "reason", sk.Reason)
	}
	if o.heatmaps != "" {
		assignHeatmaps(rows, paths, o.heatmaps)
	}
	start := time.Now()
	done := progress(stderr, rows)
	scoreAll(model, rows, o, done, log)
	elapsed := time.Since(start)

	var failed, scored int
	for _, r := range rows {
		if r.scored {
			scored++
		} else {
			failed++
		}
	}
	sum := summarise(rows, o.threshold)
	sum.Skipped = skipped
	log.Info("scored", "images", len(rows), "failed", failed, "seconds", fmt.Sprintf("%.2f", elapsed.Seconds()),
		"images_per_s", fmt.Sprintf("%.1f", float64(scored)/math.Max(elapsed.Seconds(), 1e-9)))

	var werr error
	switch o.format {
	case "table":
		werr = writeTable(stdout, rows, o.threshold, sum)
	case "csv":
		werr = writeCSV(stdout, rows, o.threshold)
		if sum != nil && sum.Labelled {
			log.Info("labelled images", "normals", sum.Normals, "anomalies", sum.Anomalies, "auroc", sum.AUROC, "auprc", sum.AUPRC, "f1", sum.F1)
		}
	case "json":
		werr = writeJSON(stdout, rows, o.threshold, sum)
	}
	if werr != nil {
		fmt.Fprintf(stderr, "ganomaly score: writing results: %v\n", werr)
		return exitFail
	}
	if failed > 0 {
		return exitFail
	}
	return exitOK
}
