package main

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/ganomaly-go/ganomaly/engine"
	"github.com/ganomaly-go/ganomaly/modelfile"
	"github.com/ganomaly-go/ganomaly/spec"
)

const inspectAbout = `Prints a model file's (or training checkpoint's) words (title, description,
what normal and anomalous mean; "(default)" where the file does not set
them and they come from the dataset) and its metadata: format version,
kind, architecture, normalisation, calibration (threshold, validation
quantiles, test AUROC), dataset and training summary; then the table of its
tensors (name, dtype, shape, bytes); then whether the engine can load it.

A valid safetensors file that is not a ganomaly model file (a checkpoint from
elsewhere, no ganomaly metadata) gets its tensor table and its raw
__metadata__, and is reported as not a ganomaly model file.

Exit status: 0 the file is valid and loads, 1 it cannot be read or loaded
(a safetensors file that is not a ganomaly model included), 2 usage error.`

// inspectReport is the -json output.
type inspectReport struct {
	Path      string              `json:"path"`
	FileBytes int64               `json:"file_bytes"`
	Metadata  *modelfile.Metadata `json:"metadata,omitempty"`
	Words     *modelfile.About    `json:"words,omitempty"` // metadata.about with the defaults filled in
	// NotGanomaly says why a valid safetensors file is not a ganomaly
	// model file; RawMetadata is then its __metadata__ as stored.
	NotGanomaly string              `json:"not_ganomaly,omitempty"`
	RawMetadata map[string]string   `json:"raw_metadata,omitempty"`
	Tensors     []inspectTensorInfo `json:"tensors"`
	Parameters  int64               `json:"parameters"`
	MACs        int64               `json:"macs_per_image,omitempty"`
	EngineError string              `json:"engine_error,omitempty"`
}

type inspectTensorInfo struct {
	Name  string `json:"name"`
	DType string `json:"dtype"`
	Shape []int  `json:"shape"`
	Bytes int    `json:"bytes"`
}

func runInspect(args []string, stdout, stderr io.Writer, log *slog.Logger) int {
	fs := newFlagSet("inspect", "ganomaly inspect FILE [-json]", inspectAbout, stderr)
	asJSON := fs.Bool("json", false, "print one JSON object (path, file_bytes, metadata, words, tensors, parameters, macs_per_image, engine_error) instead of text")
	paths, status, ok := parseInterspersed(fs, args)
	if !ok {
		return status
	}
	if len(paths) != 1 {
		fmt.Fprintln(stderr, "ganomaly inspect: give exactly one model file")
		return exitUsage
	}
	path := paths[0]
	rep := inspectReport{Path: path}
	if st, err := os.Stat(path); err == nil {
		rep.FileBytes = st.Size()
	}
	var tensors []*modelfile.Tensor
	f, err := modelfile.Open(path)
	if err != nil {
		// A valid safetensors file without ganomaly metadata still has a
		// tensor table worth showing.
		raw, kv, rerr := readSafetensors(path)
		if rerr != nil {
			fmt.Fprintf(stderr, "ganomaly inspect: %v\n", err)
			return exitFail
		}
		tensors, rep.RawMetadata = raw, kv
		rep.NotGanomaly = strings.TrimPrefix(strings.TrimPrefix(err.Error(), path+": "), "modelfile: invalid file: ")
	} else {
		words := f.Meta.Words()
		tensors, rep.Metadata, rep.Words = f.Tensors(), &f.Meta, &words
	}
	for _, t := range tensors {
		rep.Tensors = append(rep.Tensors, inspectTensorInfo{Name: t.Name, DType: string(t.DType), Shape: t.Shape, Bytes: len(t.Data)})
		if isParameter(t.Name) {
			rep.Parameters += int64(t.NumElements())
		}
	}
	if f != nil {
		if m, err := engine.Load(f); err != nil {
			rep.EngineError = err.Error()
		} else {
			rep.MACs = m.MACs()
		}
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			fmt.Fprintf(stderr, "ganomaly inspect: %v\n", err)
			return exitFail
		}
	} else {
		writeInspect(stdout, rep)
	}
	switch {
	case rep.NotGanomaly != "":
		fmt.Fprintf(stderr, "ganomaly inspect: %s is a safetensors file but not a ganomaly model file (%s): the exporter turns a GANomaly netG.pth or a trainer checkpoint into one\n", path, rep.NotGanomaly)
		return exitFail
	case rep.EngineError != "":
		log.Error("the engine cannot load this file", "path", path, "err", rep.EngineError)
		return exitFail
	}
	return exitOK
}

// readSafetensors reads any safetensors file: its tensors and __metadata__.
func readSafetensors(path string) ([]*modelfile.Tensor, map[string]string, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer fh.Close()
	st, err := fh.Stat()
	if err != nil {
		return nil, nil, err
	}
	return modelfile.ReadFrom(fh, st.Size())
}

// isParameter excludes bookkeeping tensors (BatchNorm's batch counter,
// running statistics and I8 scales) from the parameter count.
func isParameter(name string) bool {
	for _, k := range []spec.Kind{spec.NumBatchesTracked, spec.RunningMean, spec.RunningVar} {
		if strings.HasSuffix(name, "."+k.Suffix()) {
			return false
		}
	}
	return !strings.HasSuffix(name, modelfile.ScaleSuffix)
}

func g6(v float64) string { return strconv.FormatFloat(v, 'g', 6, 64) }

func writeInspect(w io.Writer, r inspectReport) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	line := func(k, format string, a ...any) { fmt.Fprintf(tw, "%s\t%s\n", k, fmt.Sprintf(format, a...)) }
	line("file", "%s (%s)", r.Path, humanBytes(r.FileBytes))
	if r.Metadata == nil {
		line("format", "safetensors, NOT a ganomaly model file: %s", r.NotGanomaly)
		keys := make([]string, 0, len(r.RawMetadata))
		for k := range r.RawMetadata {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			line("metadata", "%s = %s", k, r.RawMetadata[k])
		}
		line("parameters", "%d", r.Parameters)
		tw.Flush()
		writeTensorTable(w, r.Tensors)
		return
	}
	m := *r.Metadata
	wa := m.About
	if wa == nil {
		wa = &modelfile.About{}
	}
	word := func(k, v, stored string) {
		if stored == "" {
			v += " (default)"
		}
		line(k, "%s", v)
	}
	word("title", r.Words.Title, wa.Title)
	word("about", r.Words.Description, wa.Description)
	word("normal means", r.Words.NormalName, wa.NormalName)
	word("anomaly means", r.Words.AbnormalName, wa.AbnormalName)
	line("format", "ganomaly model file, version %d, kind %s", m.FormatVersion, m.Kind)
	line("architecture", "isize %d, nc %d, nz %d, ngf %d, extralayers %d", m.Arch.ISize, m.Arch.NC, m.Arch.NZ, m.Arch.NGF, m.Arch.ExtraLayers)
	line("normalisation", "x = (p - mean) / std, p in [0,1]: mean %v, std %v", m.Norm.Mean, m.Norm.Std)
	line("parameters", "%d", r.Parameters)
	if r.MACs > 0 {
		line("compute", "%.1f M multiply-adds per image", float64(r.MACs)/1e6)
	}
	if c := m.Calibration; c != nil {
		line("threshold", "%s (anomalous above it; %.1f%% of %d validation normals are above it)", g6(c.Threshold), 100*c.ThresholdFPR, c.ValCount)
		var qs []string
		for _, q := range c.ValQuantiles {
			qs = append(qs, fmt.Sprintf("p%g=%s", 100*q.P, g6(q.Score)))
		}
		if len(qs) > 0 {
			line("val quantiles", "%s", strings.Join(qs, " "))
		}
		line("score scale", "[%s, %s]", g6(c.ScoreScale.Min), g6(c.ScoreScale.Max))
		if h := c.ValHistogram; h != nil && len(h.Counts) > 0 {
			line("val histogram", "%d bins from %s to %s: %v", len(h.Counts), g6(h.Edges[0]), g6(h.Edges[len(h.Edges)-1]), h.Counts)
		}
		if t := c.Test; t != nil {
			line("test", "AUROC %.4f, AUPRC %.4f, F1 %.4f on %d normal and %d anomalous images (%d ROC points)", t.AUROC, t.AUPRC, t.F1, t.Normals, t.Anomalies, len(t.ROC))
		}
	} else {
		line("threshold", "none: not calibrated (score with -threshold, or export with -calibrate)")
	}
	if d := m.Dataset; d != nil {
		line("dataset", "%s", d.Name)
		if len(d.NormalClasses) > 0 {
			line("normal classes", "%s", strings.Join(d.NormalClasses, ", "))
		}
		if len(d.AbnormalClasses) > 0 {
			line("abnormal classes", "%s", strings.Join(d.AbnormalClasses, ", "))
		}
		if d.Description != "" {
			line("description", "%s", d.Description)
		}
	}
	if t := m.Training; t != nil {
		line("training", "epoch %d of %d, seed %d, selected %q", t.Epoch, t.Epochs, t.Seed, t.Selected)
		if t.Device != "" {
			line("device", "%s", t.Device)
		}
		if t.Date != "" {
			line("date", "%s", t.Date)
		}
		if t.Command != "" {
			line("command", "%s", t.Command)
		}
	}
	if r.EngineError != "" {
		line("engine", "CANNOT LOAD: %s", r.EngineError)
	} else {
		line("engine", "loads")
	}
	tw.Flush()
	writeTensorTable(w, r.Tensors)
}

func writeTensorTable(w io.Writer, tensors []inspectTensorInfo) {
	fmt.Fprintf(w, "\n%d tensors:\n", len(tensors))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tDTYPE\tSHAPE\tBYTES")
	var total int
	for _, t := range tensors {
		fmt.Fprintf(tw, "%s\t%s\t%v\t%d\n", t.Name, t.DType, t.Shape, t.Bytes)
		total += t.Bytes
	}
	fmt.Fprintf(tw, "total\t\t\t%d\n", total)
	tw.Flush()
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}
