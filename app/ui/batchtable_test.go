package ui

import (
	"fmt"
	"math"
	"math/rand/v2"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/maxence-charriere/go-app/v9/pkg/app"
)

// randomBatch makes n rows (some names and scores equal, some labels
// missing) and the results that will finish them, in a random order.
func randomBatch(rng *rand.Rand, n int) ([]BatchRow, []batchUpdate) {
	rows := make([]BatchRow, n)
	var us []batchUpdate
	for i := range rows {
		rows[i] = BatchRow{Name: fmt.Sprintf("f%03d.png", rng.IntN(n)), Label: []string{"", "normal", "abnormal"}[rng.IntN(3)], Score: math.NaN()}
		u := batchUpdate{row: i, score: float64(rng.IntN(n/2+1)) / 7}
		if rng.IntN(10) == 0 {
			u.score, u.err = math.NaN(), "not a PNG"
		}
		us = append(us, u)
	}
	rng.Shuffle(len(us), func(i, j int) { us[i], us[j] = us[j], us[i] })
	return rows, us
}

func names(rows []BatchRow) string {
	var s []string
	for _, r := range rows {
		s = append(s, r.Name+"/"+fmt.Sprint(r.Done))
	}
	return strings.Join(s, ",")
}

// TestBatchTableMatchesSortRows: while results arrive in chunks, the
// table's merged order is SortRows' order, its AUROC BatchROC's, its filters
// and counts those of a plain scan, for every column and direction.
func TestBatchTableMatchesSortRows(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	for _, col := range []string{"score", "name", "label", "verdict"} {
		for _, asc := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s asc=%v", col, asc), func(t *testing.T) {
				rows, us := randomBatch(rng, 150)
				tab := newBatchTable(rows, col, asc)
				for len(us) > 0 {
					k := min(len(us), 1+rng.IntN(20))
					tab.apply(us[:k])
					us = us[k:]
					want := append([]BatchRow(nil), tab.rows...)
					SortRows(want, col, asc)
					if got := tab.sorted(); names(got) != names(want) {
						t.Fatalf("order after %d done:\n%s\nwant\n%s", tab.done, names(got), names(want))
					}
					_, auc, ok := BatchROC(tab.rows)
					if got := tab.roc.AUROC(); ok != !math.IsNaN(got) || ok && got != auc {
						t.Fatalf("AUROC %v, BatchROC %v (%v)", got, auc, ok)
					}
					threshold := 20.0 / 7
					anom := 0
					for _, r := range tab.rows {
						if r.scored() && Verdict(r.Score, threshold) == "anomalous" {
							anom++
						}
					}
					if got := tab.anomalous(threshold); got != anom {
						t.Fatalf("anomalous %d, want %d", got, anom)
					}
					for _, f := range []batchFilter{{verdict: "anomalous"}, {verdict: "pending"}, {verdict: "error"}, {name: "F01"}, {verdict: "normal", name: "2"}} {
						var want []int32
						for _, k := range tab.order {
							r := &tab.rows[k]
							if (f.verdict == "" || rowVerdict(r, threshold) == f.verdict) && strings.Contains(r.Name, strings.ToLower(f.name)) {
								want = append(want, k)
							}
						}
						if got := tab.filtered(f, threshold); !slices.Equal(got, want) {
							t.Fatalf("filter %+v: %v, want %v", f, got, want)
						}
					}
				}
				if tab.done != len(tab.rows) {
					t.Fatalf("%d of %d done", tab.done, len(tab.rows))
				}
			})
		}
	}
}

// TestBatchViewRendersTheRowsInView: 10,000 rows render as a window of rows
// (the others are spacers), wherever the view is scrolled.
func TestBatchViewRendersTheRowsInView(t *testing.T) {
	s, err := LoadSession("m.safetensors", testModel(t, 1, nil))
	if err != nil {
		t.Fatal(err)
	}
	d := &Demo{view: viewBatch, sess: s}
	d.singleView().threshold = 1
	b := newBatchView(d)
	b.visible = true
	rng := rand.New(rand.NewPCG(8, 8))
	rows, us := randomBatch(rng, 10000)
	b.tab = newBatchTable(rows, "score", false)
	b.tab.apply(us)
	b.state = "done"
	for _, first := range []int{0, 5000, 9990} {
		b.top = first
		v := &BatchView{host: d, visible: true, tab: b.tab, state: "done", top: first, inView: defaultView, sortBy: "score"}
		html := app.HTMLString(v)
		n := strings.Count(html, "<tr ") - 1 // the header row
		if n < 1 || n > defaultView+2*rowMargin {
			t.Fatalf("scrolled to %d: %d rows rendered", first, n)
		}
		want := b.tab.rows[b.tab.order[min(first, len(b.tab.order)-1)]].Name
		if !strings.Contains(html, ">"+want+"<") {
			t.Fatalf("scrolled to %d: row %s not rendered", first, want)
		}
		if !regexp.MustCompile(`data-rows="10000"`).MatchString(html) {
			t.Fatal("the table does not say how many rows it has")
		}
	}
	// At the top, the rows in view and the margin below; a new batch's first
	// frame, the rows in view only.
	for _, tc := range []struct {
		firstPaint bool
		want       int
	}{{false, defaultView + rowMargin}, {true, defaultView}} {
		v := &BatchView{host: d, visible: true, tab: b.tab, state: "running", inView: defaultView, sortBy: "score", firstPaint: tc.firstPaint}
		if n := strings.Count(app.HTMLString(v), ` data-row="`); n != tc.want {
			t.Fatalf("first paint %v: %d rows rendered, want %d", tc.firstPaint, n, tc.want)
		}
	}
}
