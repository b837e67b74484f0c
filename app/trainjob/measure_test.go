package trainjob

import (
	"fmt"
	"os"
	"strings"
	"testing"
)

// TestMeasureRecomputeBN trains the class demo twice, with and without
// recomputing BatchNorm's running statistics over RECOMPUTE batches before
// each evaluation, and prints the eval-mode AUROC after every half epoch
// (docs/app.md). A measurement, minutes long: it runs only with
// GANOMALY_MEASURE_BN=1.
func TestMeasureRecomputeBN(t *testing.T) {
	if os.Getenv("GANOMALY_MEASURE_BN") == "" {
		t.Skip("a measurement of minutes: GANOMALY_MEASURE_BN=1 runs it")
	}
	sub := loadSubset(t)
	for _, seed := range []int64{1, 0} {
		for _, k := range []int{0, 8} {
			st := DefaultSettings()
			st.Seed, st.RecomputeBN = seed, k
			d, err := MNISTData(sub, st)
			if err != nil {
				t.Fatal(err)
			}
			j, err := New(st, d)
			if err != nil {
				t.Fatal(err)
			}
			var line []string
			for !j.Done() {
				if _, err := j.Step(); err != nil {
					t.Fatal(err)
				}
				if j.EvalDue() || j.Done() {
					ev, err := j.Evaluate()
					if err != nil {
						t.Fatal(err)
					}
					line = append(line, fmt.Sprintf("%.3f", ev.AUROC))
				}
			}
			fmt.Printf("seed %d recompute_bn %d: AUROC per half epoch %s\n", seed, k, strings.Join(line, " "))
		}
	}
}
