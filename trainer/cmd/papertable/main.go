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
		// BatchStatsSeed is absent in files of trainers that scored the
		// batch-statistics numbers in file order.
		BatchStatsSeed *int64 `json:"batchstats_order_seed"`
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
		labelOrder                  bool // batch stats scored in label order: inflated
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
		// Without the order seed the test set was scored as listed: normals,
		// then anomalies, unless --max_test drew a random subset.
		labelOrder := m.Config.BatchStatsSeed == nil && m.Config.MaxTest == 0
		rows = append(rows, row{m.Config.AbnormalClass, m.Config.ManualSeed, m.Summary.Last.AUROCEval, m.Summary.Validation.AUROCEval,
			m.Summary.Last.AUROCBatch, m.Summary.TestBest.AUROCEval, ips, len(m.Epochs), labelOrder})
	}
	sort.SliceStable(rows, func(i, j int) bool {
		if rows[i].class != rows[j].class {
			return rows[i].class < rows[j].class
		}
		return rows[i].seed < rows[j].seed
	})
	fmt.Fprintf(w, "## %s\n\n", title)
	fmt.Fprintf(w, "AUROC per abnormal class, mean ± std over seeds. *eval BN*: BatchNorm running statistics (single-image,\n"+
		"what the browser engine and the command line compute); *batch stats*: the original's scoring, each test batch of 64\n"+
		"normalised by its own statistics, the test set in a seeded random order as the original's MNIST loader shuffles it;\n"+
		"*validation-selected*: the epoch with the lowest loss on held-out training normals; *test-selected*: the best epoch\n"+
		"on the test set itself (optimistic, as the original reports).\n\n")
	fmt.Fprintf(w, "| abnormal | runs | last, eval BN | validation-selected, eval BN | last, batch stats | test-selected (optimistic) |\n|---|---|---|---|---|---|\n")
	var classes []string
	by := map[string][]row{}
	for _, r := range rows {
		if _, ok := by[r.class]; !ok {
			classes = append(classes, r.class)
		}
		by[r.class] = append(by[r.class], r)
	}
	const mark = " †"
	var all [4][]float64
	anyLabelOrder := false
	for _, c := range classes {
		var v [4][]float64
		labelOrder := false
		for _, r := range by[c] {
			for k, x := range []float64{r.last, r.val, r.batch, r.best} {
				v[k] = append(v[k], x)
				all[k] = append(all[k], x)
			}
			labelOrder = labelOrder || r.labelOrder
		}
		anyLabelOrder = anyLabelOrder || labelOrder
		cells := make([]string, 4)
		for k := range v {
			m, s := meanStd(v[k])
			cells[k] = fmt.Sprintf("%.3f ± %.3f", m, s)
		}
		if labelOrder {
			cells[2] += mark
		}
		fmt.Fprintf(w, "| %s | %d | %s |\n", c, len(by[c]), strings.Join(cells, " | "))
	}
	if len(classes) > 1 {
		cells := make([]string, 4)
		for k := range all {
			m, _ := meanStd(all[k])
			cells[k] = fmt.Sprintf("**%.3f**", m)
		}
		if anyLabelOrder {
			cells[2] += mark
		}
		fmt.Fprintf(w, "| mean | %d | %s |\n", len(rows), strings.Join(cells, " | "))
	}
	fmt.Fprintf(w, "\n<details><summary>every run</summary>\n\n| abnormal | seed | epochs | last eval | val-selected eval | last batch stats | test-selected | train img/s |\n|---|---|---|---|---|---|---|---|\n")
	for _, r := range rows {
		batch := fmt.Sprintf("%.4f", r.batch)
		if r.labelOrder {
			batch += mark
		}
		fmt.Fprintf(w, "| %s | %d | %d | %.4f | %.4f | %s | %.4f | %.0f |\n", r.class, r.seed, r.epochs, r.last, r.val, batch, r.best, r.ips)
	}
	fmt.Fprintf(w, "\n</details>\n\n")
	if anyLabelOrder {
		fmt.Fprintf(w, "%s Scored by an older trainer in label order (all normals, then all anomalies): a batch of anomalies only\n"+
			"tells the network what it sees, so this number measures the file order, not the model. Delete those run folders and\n"+
			"run again for the shuffled number.\n\n", strings.TrimSpace(mark))
	}
	fmt.Fprintf(w, "Device: %s.", device)
	if command != "" {
		fmt.Fprintf(w, " Command: `%s`", command)
	}
	fmt.Fprintln(w)
	return nil
}
