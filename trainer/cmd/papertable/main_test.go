package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func TestTable(t *testing.T) {
	dir := t.TempDir()
	write := func(name, class string, seed int, last, batch float64) string {
		p := filepath.Join(dir, name)
		js := `{"status":"finished","device":"cpu","config":{"dataset":"mnist","abnormal_class":"` + class + `","niter":2,"manualseed":` +
			string(rune('0'+seed)) + `,"batchstats_order_seed":` + string(rune('0'+seed)) + `},"epochs":[{"images_per_s":100},{"images_per_s":200}],"summary":{"last":{"epoch":2,"auroc_eval":` +
			ftoa(last) + `,"auroc_batchstats":` + ftoa(batch) + `},"validation_selected":{"epoch":1,"auroc_eval":0.5},"test_selected":{"epoch":2,"auroc_eval":0.9}}}`
		if err := os.WriteFile(p, []byte(js), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	paths := []string{write("a.json", "2", 1, 0.8, 0.7), write("b.json", "2", 0, 0.6, 0.5), write("c.json", "0", 0, 0.9, 0.9)}
	var b strings.Builder
	if err := table(&b, "T", "make paper", paths); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{"| 2 | 2 | 0.700 ± 0.141 | 0.500 ± 0.000 | 0.600 ± 0.141 | 0.900 ± 0.000 |", "| 0 | 1 | 0.900 ± 0.000", "| mean | 3 | **0.767**", "| 2 | 0 | 2 | 0.6000 |", "`make paper`"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "†") {
		t.Errorf("shuffled runs marked as label-ordered:\n%s", out)
	}

	// A file without the order seed and without --max_test was scored in
	// label order: its batch-statistics number is marked.
	old := filepath.Join(dir, "old.json")
	os.WriteFile(old, []byte(`{"status":"finished","config":{"abnormal_class":"3","manualseed":0},"summary":{"last":{"auroc_eval":0.7,"auroc_batchstats":0.95}}}`), 0o644)
	b.Reset()
	if err := table(&b, "T", "", []string{paths[2], old}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"| 3 | 1 | 0.700 ± 0.000 | 0.000 ± 0.000 | 0.950 ± 0.000 †", "| 3 | 0 | 0 | 0.7000 | 0.0000 | 0.9500 † |", "| 0 | 0 | 2 | 0.9000 | 0.5000 | 0.9000 |", "† Scored by an older trainer in label order"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, b.String())
		}
	}

	unfinished := filepath.Join(dir, "u.json")
	os.WriteFile(unfinished, []byte(`{"status":"running"}`), 0o644)
	if err := table(&b, "T", "", []string{unfinished}); err == nil || !strings.Contains(err.Error(), "not finished") {
		t.Errorf("unfinished run: err = %v", err)
	}
}

func ftoa(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
