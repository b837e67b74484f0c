package main

import (
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/ganomaly-go/ganomaly/engine"
	"github.com/ganomaly-go/ganomaly/metrics"
	"github.com/ganomaly-go/ganomaly/modelfile"
	"github.com/ganomaly-go/ganomaly/preprocess"
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
		fmt.Fprintf(stderr, "ganomaly score: model %s: %v\n", o.model, err)
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

// collect expands the PATH arguments into rows, in argument order and, in a
// folder, in lexical order (preprocess.ListDir's rules), and returns what
// the folder scans left out. Paths that do not exist, unreadable folders
// and folders without images become error rows.
func collect(paths []string) ([]*row, []preprocess.Skipped) {
	var rows []*row
	var skipped []preprocess.Skipped
	seen := map[string]bool{}
	add := func(r *row) {
		key := filepath.Clean(r.path)
		if r.err == "" && seen[key] {
			return // named twice (a file and its folder): score it once
		}
		seen[key] = true
		rows = append(rows, r)
	}
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			add(&row{path: p, err: describeErr(err)})
			continue
		}
		if !st.IsDir() {
			add(&row{path: p, label: preprocess.LabelOf(p)})
			continue
		}
		l, err := preprocess.ListDir(p)
		if err != nil {
			add(&row{path: p, err: describeErr(err)})
			continue
		}
		for _, im := range l.Images {
			add(&row{path: im.Path, label: im.Label})
		}
		for _, u := range l.Unreadable {
			add(&row{path: u.Path, err: u.Reason})
		}
		skipped = append(skipped, l.Skipped...)
		if len(l.Images) == 0 && len(l.Unreadable) == 0 {
			add(&row{path: p, err: "no image files in this folder: " + preprocess.NoImagesText()})
		}
	}
	return rows, skipped
}

func describeErr(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Op + ": " + pe.Err.Error()
	}
	return err.Error()
}

// assignHeatmaps decides every row's heat-map file: the folder structure
// below each folder argument (under the folder's own name) is mirrored in
// dir; files named directly go to dir itself; clashes get -2, -3, ...
func assignHeatmaps(rows []*row, paths []string, dir string) {
	used := map[string]bool{}
	for _, r := range rows {
		if r.err != "" {
			continue
		}
		rel := filepath.Base(r.path)
		for _, p := range paths {
			clean := filepath.Clean(p)
			if st, err := os.Stat(clean); err == nil && st.IsDir() {
				if sub, err := filepath.Rel(clean, r.path); err == nil && !strings.HasPrefix(sub, "..") {
					root := filepath.Base(clean)
					if abs, err := filepath.Abs(clean); err == nil {
						root = filepath.Base(abs)
					}
					rel = filepath.Join(root, sub)
					break
				}
			}
		}
		name := filepath.Join(dir, rel+".png")
		for i := 2; used[name]; i++ {
			name = filepath.Join(dir, fmt.Sprintf("%s-%d.png", rel, i))
		}
		used[name] = true
		r.heatmap = name
	}
}

// scoreAll scores the rows without an error, o.workers at a time, each
// worker with its own clone of the model.
func scoreAll(model *engine.Model, rows []*row, o scoreOptions, done func(), log *slog.Logger) {
	jobs := make(chan *row)
	var wg sync.WaitGroup
	for w := 0; w < o.workers; w++ {
		m := model
		if w > 0 {
			m = model.Clone()
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := range jobs {
				scoreOne(m, r, o.threshold, log)
				done()
			}
		}()
	}
	for _, r := range rows {
		if r.err == "" {
			jobs <- r
		}
	}
	close(jobs)
	wg.Wait()
}

func scoreOne(m *engine.Model, r *row, threshold float64, log *slog.Logger) {
	arch, meta := m.Arch(), m.Meta()
	x, err := preprocess.LoadFile(r.path, arch.ISize, arch.NC, meta.Norm)
	if err != nil {
		r.err = strings.TrimPrefix(err.Error(), r.path+": ")
		return
	}
	res, err := m.Forward(x)
	if err != nil {
		r.err = err.Error()
		return
	}
	r.score, r.scored = res.Score, true
	if r.heatmap != "" {
		card := heatmapCard{title: filepath.Base(r.path), x: x, xhat: res.XHat, diff: res.Diff, score: res.Score, threshold: threshold}
		if err := writeHeatmap(r.heatmap, card, arch, meta); err != nil {
			// The score stands; the missing picture is worth a warning.
			log.Warn("heat map not written", "path", r.path, "err", err)
			r.heatmap = ""
		}
	}
}

// progress returns the function called after each image: a progress bar
// on stderr when it is a terminal, nothing otherwise (pipes, files, tests).
func progress(stderr io.Writer, rows []*row) func() {
	f, ok := stderr.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return func() {}
	}
	n := 0
	for _, r := range rows {
		if r.err == "" {
			n++
		}
	}
	bar := progressbar.NewOptions(n,
		progressbar.OptionSetWriter(stderr),
		progressbar.OptionSetDescription("scoring"),
		progressbar.OptionShowCount(),
		progressbar.OptionShowIts(),
		progressbar.OptionSetItsString("img"),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionClearOnFinish(),
	)
	var mu sync.Mutex
	return func() {
		mu.Lock()
		defer mu.Unlock()
		bar.Add(1)
	}
}

// summary is the labelled-set evaluation and counts.
type summary struct {
	Images, Scored, Failed int
	Threshold              float64
	Labelled               bool // AUROC, AUPRC and F1 are set
	Normals, Anomalies     int
	AUROC, AUPRC, F1       float64
	Skipped                []preprocess.Skipped // what folder scans left out
}

// jsonSummary is the summary element of the JSON output: the evaluation
// fields appear only when the images were labelled.
type jsonSummary struct {
	Images      int               `json:"images"`
	Scored      int               `json:"scored"`
	Failed      int               `json:"failed"`
	Threshold   float64           `json:"threshold"`
	Normals     int               `json:"normals"`
	Anomalies   int               `json:"anomalies"`
	AUROC       *float64          `json:"auroc,omitempty"`
	AUPRC       *float64          `json:"auprc,omitempty"`
	F1          *float64          `json:"f1,omitempty"`
	Skipped     []string          `json:"skipped,omitempty"`      // paths
	SkipReasons map[string]string `json:"skip_reasons,omitempty"` // path: why
}

// summarise counts the rows and, when scored images of both labels exist,
// evaluates them (failed images are left out).
func summarise(rows []*row, threshold float64) *summary {
	s := &summary{Images: len(rows), Threshold: threshold}
	var scores []float64
	var anomalous []bool
	for _, r := range rows {
		if !r.scored {
			s.Failed++
			continue
		}
		s.Scored++
		if r.label != "" {
			scores = append(scores, r.score)
			anomalous = append(anomalous, r.label == "anomalous")
			if r.label == "anomalous" {
				s.Anomalies++
			} else {
				s.Normals++
			}
		}
	}
	if ev := metrics.Evaluate(scores, anomalous, threshold); ev != nil {
		s.Labelled = true
		s.AUROC, s.AUPRC, s.F1 = ev.AUROC, ev.AUPRC, ev.F1
	}
	return s
}

func verdict(r *row, threshold float64) string {
	if !r.scored {
		return ""
	}
	if metrics.IsAnomalous(r.score, threshold) {
		return "anomalous"
	}
	return "normal"
}

func formatScore(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

func hasLabels(rows []*row) bool {
	for _, r := range rows {
		if r.label != "" {
			return true
		}
	}
	return false
}

func writeTable(w io.Writer, rows []*row, threshold float64, s *summary) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	labels := hasLabels(rows)
	header := "PATH\tSCORE\tVERDICT\tTHRESHOLD"
	if labels {
		header += "\tLABEL"
	}
	fmt.Fprintln(tw, header+"\tERROR")
	for _, r := range rows {
		score := "-"
		if r.scored {
			score = strconv.FormatFloat(r.score, 'g', 6, 64)
		}
		v := verdict(r, threshold)
		if v == "" {
			v = "-"
		}
		line := fmt.Sprintf("%s\t%s\t%s\t%s", r.path, score, v, strconv.FormatFloat(threshold, 'g', 6, 64))
		if labels {
			l := r.label
			if l == "" {
				l = "-"
			}
			line += "\t" + l
		}
		fmt.Fprintln(tw, line+"\t"+r.err)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(w, "\n%d images: %d scored, %d failed\n", s.Images, s.Scored, s.Failed)
	switch {
	case s.Labelled:
		fmt.Fprintf(w, "labelled: %d normal, %d anomalous: AUROC %.4f  AUPRC %.4f  F1 %.4f (threshold %s)\n",
			s.Normals, s.Anomalies, s.AUROC, s.AUPRC, s.F1, strconv.FormatFloat(threshold, 'g', 6, 64))
	case s.Normals+s.Anomalies > 0:
		fmt.Fprintf(w, "labelled: %d normal, %d anomalous: AUROC needs scored images in both %s/ and %s/\n", s.Normals, s.Anomalies, preprocess.NormalDir, preprocess.AbnormalDir)
	}
	_, err := fmt.Fprint(w)
	return err
}

func writeCSV(w io.Writer, rows []*row, threshold float64) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"path", "score", "verdict", "threshold", "label", "error"})
	for _, r := range rows {
		score := ""
		if r.scored {
			score = formatScore(r.score)
		}
		cw.Write([]string{r.path, score, verdict(r, threshold), formatScore(threshold), r.label, r.err})
	}
	cw.Flush()
	return cw.Error()
}

// jsonRow is one image in the JSON output. Score is null when the image was
// not scored (error set) or the score is NaN (verdict anomalous).
type jsonRow struct {
	Path      string   `json:"path"`
	Score     *float64 `json:"score"`
	Verdict   string   `json:"verdict"`
	Threshold float64  `json:"threshold"`
	Error     string   `json:"error"`
	Label     string   `json:"label,omitempty"`
	Heatmap   string   `json:"heatmap,omitempty"`
}

func writeJSON(w io.Writer, rows []*row, threshold float64, s *summary) error {
	out := make([]any, 0, len(rows)+1)
	for _, r := range rows {
		jr := jsonRow{Path: r.path, Verdict: verdict(r, threshold), Threshold: threshold, Error: r.err, Label: r.label}
		if r.scored {
			if !math.IsNaN(r.score) && !math.IsInf(r.score, 0) {
				v := r.score
				jr.Score = &v
			}
			jr.Heatmap = r.heatmap
		}
		out = append(out, jr)
	}
	if s.Labelled || len(s.Skipped) > 0 {
		js := jsonSummary{Images: s.Images, Scored: s.Scored, Failed: s.Failed, Threshold: s.Threshold, Normals: s.Normals, Anomalies: s.Anomalies}
		if s.Labelled {
			js.AUROC, js.AUPRC, js.F1 = &s.AUROC, &s.AUPRC, &s.F1
		}
		for _, sk := range s.Skipped {
			if js.SkipReasons == nil {
				js.SkipReasons = map[string]string{}
			}
			js.Skipped = append(js.Skipped, sk.Path)
			js.SkipReasons[sk.Path] = sk.Reason
		}
		out = append(out, map[string]jsonSummary{"summary": js})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}
