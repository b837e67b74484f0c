package trainjob

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestMeasureRecomputeBN trains the class demo with and without
// recomputing BatchNorm's running statistics over k training batches before
// each evaluation, and prints the eval-mode AUROC after every half epoch and
// the seconds the evaluations took (docs/app.md). A measurement, minutes
// long: it runs only with GANOMALY_MEASURE_BN=1 (k = 0 and 8, seeds 1 and 0)
// or GANOMALY_MEASURE_BN=K1,K2,... (those k); GANOMALY_MEASURE_SEEDS=S1,S2
// picks the seeds.
func TestMeasureRecomputeBN(t *testing.T) {
	env := os.Getenv("GANOMALY_MEASURE_BN")
	if env == "" {
		t.Skip("a measurement of minutes: GANOMALY_MEASURE_BN=1 runs it")
	}
	ks, seeds := []int{0, 8}, []int64{1, 0}
	if env != "1" {
		ks = ints(t, env)
	}
	if s := os.Getenv("GANOMALY_MEASURE_SEEDS"); s != "" {
		seeds = nil
		for _, v := range ints(t, s) {
			seeds = append(seeds, int64(v))
		}
	}
	sub := loadSubset(t)
	for _, seed := range seeds {
		for _, k := range ks {
			st := DefaultSettings()
			st.Seed, st.RecomputeBN = seed, k
			j := mnistJob(t, sub, st)
			var line []string
			var evalTime time.Duration
			for !j.Done() {
				if _, err := j.Step(); err != nil {
					t.Fatal(err)
				}
				if j.EvalDue() || j.Done() {
					t0 := time.Now()
					ev, err := j.Evaluate()
					evalTime += time.Since(t0)
					if err != nil {
						t.Fatal(err)
					}
					line = append(line, fmt.Sprintf("%.3f", ev.AUROC))
				}
			}
			fmt.Printf("seed %d recompute_bn %d: AUROC per half epoch %s (evaluations %.1f s, steps %.1f s)\n",
				seed, k, strings.Join(line, " "), evalTime.Seconds(), j.StepTime.Seconds())
		}
	}
}

func ints(t *testing.T, s string) []int {
	var out []int
	for _, f := range strings.Split(s, ",") {
		v, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil {
			t.Fatalf("%q: want comma-separated integers", s)
		}
		out = append(out, v)
	}
	return out
}
