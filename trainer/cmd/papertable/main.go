// Command papertable turns the metrics.json files of paper-protocol runs
// (scripts/paper.sh) into a markdown table: per abnormal class the mean and
// standard deviation over seeds of the AUROCs, and every run's numbers.
// It reads only JSON (no libtorch) so it builds anywhere.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"sort"
	"strings"
)

// The subset of the trainer's metrics.json read here (schema in docs/trainer.md).
type selected struct {
	Epoch      int     `json:"epoch"`
	AUROCEval  float64 `json:"auroc_eval"`
	AUROCBatch float64 `json:"auroc_batchstats"`
}

type metricsFile struct {
	Status string `json:"status"`
	Device string `json:"device"`
	Config struct {
		Dataset       string `json:"dataset"`
		AbnormalClass string `json:"abnormal_class"`
		NIter         int    `json:"niter"`
		ManualSeed    int64  `json:"manualseed"`
		MaxImages     int    `json:"max_images"`
		MaxTest       int    `json:"max_test"`
	} `json:"config"`
	Epochs []struct {
		ImagesPerS float64 `json:"images_per_s"`
	} `json:"epochs"`
	Summary *struct {
		Last       selected `json:"last"`
		Validation selected `json:"validation_selected"`
		TestBest   selected `json:"test_selected"`
	} `json:"summary"`
}

func main() {
	title := flag.String("title", "GANomaly results", "table `title`")
	command := flag.String("command", "", "the `command` that made the runs, printed under the table")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "Usage: papertable [-title T] [-command C] metrics.json...\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() == 0 {
		flag.Usage()
		os.Exit(2)
	}
	if err := table(os.Stdout, *title, *command, flag.Args()); err != nil {
		fmt.Fprintln(os.Stderr, "papertable:", err)
		os.Exit(1)
	}
}

func meanStd(v []float64) (float64, float64) {
	var s, s2 float64
	for _, x := range v {
		s += x
	}
	m := s / float64(len(v))
	for _, x := range v {
		s2 += (x - m) * (x - m)
	}
	if len(v) < 2 {
		return m, 0
	}
	return m, math.Sqrt(s2 / float64(len(v)-1))
}

func table(w io.Writer, title, command string, paths []string) error {
	type row struct {
		class                       string
		seed                        int64
		last, val, batch, best, ips float64
		epochs                      int
	}
	var rows []row
	device := ""
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		var m metricsFile
		if err := json.Unmarshal(b, &m); err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
		if m.Summary == nil || m.Status != "finished" {
			return fmt.Errorf("%s: the run has not finished (status %q)", p, m.Status)
		}
		var ips float64
		for _, e := range m.Epochs {
			ips += e.ImagesPerS / float64(len(m.Epochs))
		}
		device = m.Device
		rows = append(rows, row{m.Config.AbnormalClass, m.Config.ManualSeed, m.Summary.Last.AUROCEval, m.Summary.Validation.AUROCEval,
			m.Summary.Last.AUROCBatch, m.Summary.TestBest.AUROCEval, ips, len(m.Epochs)})
	}
	sort.SliceStable(rows, func(i, j int) bool {
		if rows[i].class != rows[j].class {
			return rows[i].class < rows[j].class
		}
		return rows[i].seed < rows[j].seed
	})
	fmt.Fprintf(w, "## %s\n\n", title)
	fmt.Fprintf(w, "AUROC per abnormal class, mean ± std over seeds. *eval BN*: BatchNorm running statistics (single-image,\n"+
		"what the browser engine computes); *batch stats*: the original's scoring in test batches of 64; *validation-selected*:\n"+
		"the epoch with the lowest validation loss; *test-selected*: the best epoch on the test set itself (optimistic, as the\n"+
		"original reports).\n\n")
	fmt.Fprintf(w, "| abnormal | runs | last, eval BN | validation-selected, eval BN | last, batch stats | test-selected (optimistic) |\n|---|---|---|---|---|---|\n")
	var classes []string
	by := map[string][]row{}
	for _, r := range rows {
		if _, ok := by[r.class]; !ok {
			classes = append(classes, r.class)
		}
		by[r.class] = append(by[r.class], r)
	}
	var all [4][]float64
	for _, c := range classes {
		var v [4][]float64
		for _, r := range by[c] {
			for k, x := range []float64{r.last, r.val, r.batch, r.best} {
				v[k] = append(v[k], x)
				all[k] = append(all[k], x)
			}
		}
		cells := make([]string, 4)
		for k := range v {
			m, s := meanStd(v[k])
			cells[k] = fmt.Sprintf("%.3f ± %.3f", m, s)
		}
		fmt.Fprintf(w, "| %s | %d | %s |\n", c, len(by[c]), strings.Join(cells, " | "))
	}
	if len(classes) > 1 {
		cells := make([]string, 4)
		for k := range all {
			m, _ := meanStd(all[k])
			cells[k] = fmt.Sprintf("**%.3f**", m)
		}
		fmt.Fprintf(w, "| mean | %d | %s |\n", len(rows), strings.Join(cells, " | "))
	}
	fmt.Fprintf(w, "\n<details><summary>every run</summary>\n\n| abnormal | seed | epochs | last eval | val-selected eval | last batch stats | test-selected | train img/s |\n|---|---|---|---|---|---|---|---|\n")
	for _, r := range rows {
		fmt.Fprintf(w, "| %s | %d | %d | %.4f | %.4f | %.4f | %.4f | %.0f |\n", r.class, r.seed, r.epochs, r.last, r.val, r.batch, r.best, r.ips)
	}
	fmt.Fprintf(w, "\n</details>\n\nDevice: %s.", device)
	if command != "" {
		fmt.Fprintf(w, " Command: `%s`", command)
	}
	fmt.Fprintln(w)
	return nil
}
