// The -format table writer of ganomaly score.

package main

import (
	"fmt"
	"io"
	"strconv"
	"text/tabwriter"

	"github.com/ganomaly-go/ganomaly/preprocess"
)

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
