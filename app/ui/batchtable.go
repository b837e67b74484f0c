package ui

import (
	"math"
	"slices"
	"strings"

	"github.com/ganomaly-go/ganomaly/metrics"
)

// batchTable is a batch's rows with what the batch view draws from them kept
// up to date as results arrive, so that a frame costs the rows it shows and
// the results that came in, not the whole batch: the sort order is merged,
// not re-sorted; the live AUROC is incremental (metrics.OnlineROC); the
// filtered view and the count of anomalies are cached until something
// changes. Its order is exactly SortRows'.
type batchTable struct {
	rows    []BatchRow
	sortBy  string
	asc     bool
	order   []int32 // the scored rows in sort order, then the others (SortRows)
	spare   []int32 // the previous order's memory, reused by the next merge
	nScored int     // order[:nScored] are the scored rows
	roc     metrics.OnlineROC
	done    int
	lo, hi  float64 // range of the scores so far (NaN before the first)
	version int     // bumps on every change

	view     []int32 // cached filtered order
	viewKey  viewKey
	nAnom    int
	nAnomKey viewKey
}

type viewKey struct {
	version   int
	filter    batchFilter
	threshold float64
	ok        bool
}

// batchFilter selects rows: by verdict ("" all, "anomalous", "normal",
// "error", "pending") and by a case-insensitive part of the name.
type batchFilter struct {
	verdict string
	name    string
}

// batchUpdate is one finished image for the table.
type batchUpdate struct {
	row   int
	score float64
	thumb []byte
	err   string
}

func newBatchTable(rows []BatchRow, sortBy string, asc bool) *batchTable {
	t := &batchTable{rows: rows, lo: math.NaN(), hi: math.NaN()}
	for i := range t.rows {
		if r := &t.rows[i]; r.Done {
			t.done++
			if r.scored() {
				t.noteScore(r)
			}
		}
	}
	t.resort(sortBy, asc)
	return t
}

// cmp orders two rows as SortRows does (its sort is stable: equal rows keep
// their input order in either direction).
func (t *batchTable) cmp(i, j int32) int {
	c := compareRows(&t.rows[i], &t.rows[j], t.sortBy)
	if !t.asc {
		c = -c
	}
	if c == 0 {
		c = int(i) - int(j)
	}
	return c
}

// resort sorts every row by a column (on a click on its header).
func (t *batchTable) resort(by string, asc bool) {
	t.sortBy, t.asc = by, asc
	t.order = t.order[:0]
	for i := range t.rows {
		if t.rows[i].scored() {
			t.order = append(t.order, int32(i))
		}
	}
	t.nScored = len(t.order)
	for i := range t.rows {
		if !t.rows[i].scored() {
			t.order = append(t.order, int32(i))
		}
	}
	slices.SortFunc(t.order[:t.nScored], t.cmp)
	slices.SortFunc(t.order[t.nScored:], t.cmp)
	t.version++
}

func (t *batchTable) noteScore(r *BatchRow) {
	if r.Label != "" {
		t.roc.Add(r.Score, r.Label == "abnormal")
	}
	if !(t.lo <= r.Score) {
		t.lo = r.Score
	}
	if !(t.hi >= r.Score) {
		t.hi = r.Score
	}
}

// apply records finished images: the newly scored rows are sorted among
// themselves and merged into the order (O(rows + k log k) for k results).
func (t *batchTable) apply(us []batchUpdate) {
	var fresh []int32
	for _, u := range us {
		r := &t.rows[u.row]
		if r.Done {
			continue
		}
		r.Done, r.Score, r.Err, r.Thumb = true, u.score, u.err, u.thumb
		t.done++
		if r.scored() {
			t.noteScore(r)
			fresh = append(fresh, int32(u.row))
		}
	}
	if len(us) > 0 {
		t.version++
	}
	if len(fresh) == 0 {
		return // an error row keeps its place: its score is NaN as before
	}
	slices.SortFunc(fresh, t.cmp)
	merged := t.spare[:0]
	if cap(merged) < len(t.rows) {
		merged = make([]int32, 0, len(t.rows))
	}
	a := t.order[:t.nScored]
	i, j := 0, 0
	for i < len(a) && j < len(fresh) {
		if t.cmp(a[i], fresh[j]) < 0 {
			merged, i = append(merged, a[i]), i+1
		} else {
			merged, j = append(merged, fresh[j]), j+1
		}
	}
	merged = append(append(merged, a[i:]...), fresh[j:]...)
	rest := t.order[len(a):]
	t.nScored = len(merged)
	for _, k := range rest {
		if !t.rows[k].scored() {
			merged = append(merged, k)
		}
	}
	t.order, t.spare = merged, t.order
}

// sorted returns the rows in the table's order (for the CSV).
func (t *batchTable) sorted() []BatchRow {
	out := make([]BatchRow, len(t.order))
	for i, k := range t.order {
		out[i] = t.rows[k]
	}
	return out
}

// rowVerdict is the word a row shows: "anomalous", "normal", "error" or
// "pending".
func rowVerdict(r *BatchRow, threshold float64) string {
	switch {
	case r.Err != "":
		return "error"
	case !r.Done:
		return "pending"
	}
	return Verdict(r.Score, threshold)
}

// filtered returns the order restricted to the rows f selects (cached).
func (t *batchTable) filtered(f batchFilter, threshold float64) []int32 {
	if f == (batchFilter{}) {
		return t.order
	}
	key := viewKey{t.version, f, threshold, true}
	if t.viewKey == key {
		return t.view
	}
	name := strings.ToLower(f.name)
	t.view = t.view[:0]
	for _, k := range t.order {
		r := &t.rows[k]
		if f.verdict != "" && rowVerdict(r, threshold) != f.verdict {
			continue
		}
		if name != "" && !strings.Contains(strings.ToLower(r.Name), name) {
			continue
		}
		t.view = append(t.view, k)
	}
	t.viewKey = key
	return t.view
}

// anomalous counts the scored rows above the threshold (cached).
func (t *batchTable) anomalous(threshold float64) int {
	key := viewKey{version: t.version, threshold: threshold, ok: true}
	if t.nAnomKey != key {
		t.nAnom = 0
		for _, k := range t.order[:t.nScored] {
			if Verdict(t.rows[k].Score, threshold) == "anomalous" {
				t.nAnom++
			}
		}
		t.nAnomKey = key
	}
	return t.nAnom
}
