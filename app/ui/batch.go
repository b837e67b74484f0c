package ui

import (
	"bytes"
	"encoding/csv"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/ganomaly-go/ganomaly/metrics"
	"github.com/ganomaly-go/ganomaly/modelfile"
	"github.com/ganomaly-go/ganomaly/preprocess"
	"github.com/ganomaly-go/ganomaly/render"
)

// BatchRow is one image of the batch view.
type BatchRow struct {
	Name  string  // file name (with its folder when the browser gives one)
	Label string  // "normal", "abnormal" or "" when unknown
	Score float64 // NaN while pending or on error
	Err   string  // why the image could not be scored
	Thumb []byte  // small PNG of the model's input (preprocess.ThumbnailPNG)
	Done  bool
}

// scored reports a row with a score (done, no error).
func (r *BatchRow) scored() bool { return r.Done && r.Err == "" }

// LabelFromPath is the page's label of a file from its path
// (preprocess.LabelOf): "normal", "abnormal" or "".
func LabelFromPath(p string) string {
	switch preprocess.LabelOf(p) {
	case preprocess.Normal:
		return "normal"
	case preprocess.Anomalous:
		return "abnormal"
	}
	return ""
}

// Verdict is the page's verdict word for a score (metrics.IsAnomalous).
func Verdict(score, threshold float64) string {
	if metrics.IsAnomalous(score, threshold) {
		return "anomalous"
	}
	return "normal"
}

// FormatScore prints a score as a plain decimal number (no exponent) that
// parses back to the same float64.
func FormatScore(s float64) string {
	return strconv.FormatFloat(s, 'f', -1, 64)
}

// ShortScore is the page's score for people to read (render.ShortScore:
// 4 significant digits). Hooks and files keep FormatScore.
func ShortScore(s float64) string { return render.ShortScore(s) }

// SortRows orders rows by a column ("name", "score", "verdict", "label"),
// ascending or not. Unscored rows go last either way.
func SortRows(rows []BatchRow, by string, asc bool) {
	sort.SliceStable(rows, func(i, j int) bool {
		a, b := &rows[i], &rows[j]
		if an, bn := !a.scored(), !b.scored(); an != bn {
			return bn
		}
		c := compareRows(a, b, by)
		if asc {
			return c < 0
		}
		return c > 0
	})
}

// compareRows is SortRows' order of two rows by one column.
func compareRows(a, b *BatchRow, by string) int {
	switch by {
	case "name":
		return strings.Compare(a.Name, b.Name)
	case "label":
		return strings.Compare(a.Label, b.Label)
	}
	switch { // score (verdict sorts the same way at a fixed threshold)
	case a.Score < b.Score:
		return -1
	case a.Score > b.Score:
		return 1
	}
	return strings.Compare(a.Name, b.Name)
}

// BatchCSV writes the rows as CSV with the columns of `ganomaly score
// -format csv` plus the label: path, score, verdict, threshold, error, label.
func BatchCSV(rows []BatchRow, threshold float64) []byte {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	w.Write([]string{"path", "score", "verdict", "threshold", "error", "label"})
	for _, r := range rows {
		score, verdict := "", ""
		if r.Done && r.Err == "" {
			score, verdict = FormatScore(r.Score), Verdict(r.Score, threshold)
		}
		w.Write([]string{r.Name, score, verdict, FormatScore(threshold), r.Err, r.Label})
	}
	w.Flush()
	return b.Bytes()
}

// BatchROC computes the live ROC and AUROC of the labelled, scored rows. ok
// is false when either class is missing.
func BatchROC(rows []BatchRow) (pts []modelfile.ROCPoint, auroc float64, ok bool) {
	var scores []float64
	var anomalous []bool
	for _, r := range rows {
		if !r.Done || r.Err != "" || r.Label == "" || math.IsNaN(r.Score) {
			continue
		}
		scores = append(scores, r.Score)
		anomalous = append(anomalous, r.Label == "abnormal")
	}
	pts = metrics.ROC(scores, anomalous)
	if pts == nil {
		return nil, 0, false
	}
	return pts, metrics.AUROC(scores, anomalous), true
}
