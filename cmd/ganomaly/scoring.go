// Scoring the rows in parallel and summarising them.

package main

import (
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/ganomaly-go/ganomaly/engine"
	"github.com/ganomaly-go/ganomaly/metrics"
	"github.com/ganomaly-go/ganomaly/preprocess"
)

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
		if err := writeHeatmap(r.heatmap, card, meta); err != nil {
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
