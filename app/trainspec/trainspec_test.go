package trainspec

import (
	"strings"
	"testing"
)

func TestCheckNormals(t *testing.T) {
	st := DefaultSettings() // batch 64
	for _, tc := range []struct {
		n, heldOut int
		ok         bool
	}{
		{0, 10, false}, {73, 10, false}, {74, 10, true}, {150, 15, true}, {1000, 100, true},
	} {
		if got := HeldOut(tc.n); got != tc.heldOut {
			t.Errorf("HeldOut(%d) = %d, want %d", tc.n, got, tc.heldOut)
		}
		err := CheckNormals(tc.n, st)
		if (err == nil) != tc.ok {
			t.Errorf("CheckNormals(%d): %v, want ok %v", tc.n, err, tc.ok)
		}
		if err != nil && !strings.Contains(err.Error(), "add more normal images") {
			t.Errorf("CheckNormals(%d): %q does not say what to do", tc.n, err)
		}
	}
}
