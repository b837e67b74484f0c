// The -format csv writer of ganomaly score.

package main

import (
	"encoding/csv"
	"io"
	"strconv"
)

func formatScore(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

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
