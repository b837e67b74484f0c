// The -format json writer of ganomaly score.

package main

import (
	"encoding/json"
	"io"
)

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

// jsonRow is one image in the JSON output. Score is null when the image was
// not scored (error set).
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
			// Always finite: the engine refuses NaN and infinite scores
			// (an error row instead).
			v := r.score
			jr.Score = &v
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
