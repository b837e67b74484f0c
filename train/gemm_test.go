package train

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// TestMulMatchesTheSumsInOrder checks gemmer.mul and mulSpill against the
// plain sums (over p in increasing order, one float32-rounded product at a
// time, exactly what the kernel computes) for every operand layout the
// layers use (row-major, transposed) and for shapes with partial panels,
// so the packing's pointer walks are checked element by element.
func TestMulMatchesTheSumsInOrder(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	fill := func(n int) []float32 {
		v := make([]float32, n)
		for i := range v {
			v[i] = float32(rng.NormFloat64())
		}
		return v
	}
	var g gemmer
	for _, sz := range [][3]int{{1, 1, 1}, {3, 4, 4}, {2, 5, 8}, {16, 4, 64}, {4, 16, 64}, {5, 7, 9}, {7, 5, 13}, {64, 32, 128}, {100, 64, 10}, {32, 1024, 8}, {6, 3, 12}} {
		m, k, n := sz[0], sz[1], sz[2]
		for _, ta := range []bool{false, true} {
			for _, tb := range []bool{false, true} {
				for _, acc := range []bool{false, true} {
					t.Run(fmt.Sprintf("%dx%dx%d-ta%v-tb%v-acc%v", m, k, n, ta, tb, acc), func(t *testing.T) {
						a := rowMajor(fill(m*k), k)
						if ta {
							a = rowMajor(fill(m*k), m).t()
						}
						b := rowMajor(fill(k*n), n)
						if tb {
							b = rowMajor(fill(k*n), k).t()
						}
						init := fill(m * n)
						want := append([]float32(nil), init...)
						for i := 0; i < m; i++ {
							for j := 0; j < n; j++ {
								var s float32
								for p := 0; p < k; p++ {
									s += float32(a.data[i*a.rs+p*a.cs] * b.data[p*b.rs+j*b.cs])
								}
								if acc {
									want[i*n+j] += s
								} else {
									want[i*n+j] = s
								}
							}
						}
						got := append([]float32(nil), init...)
						if acc {
							g.mul(a, b, m, k, n, got, true)
						} else {
							got = append(got, make([]float32, tileM*n)...) // mulSpill's slack
							g.mulSpill(a, b, m, k, n, got)
							got = got[:m*n]
						}
						for i := range want {
							if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
								t.Fatalf("element %d: got %v, want %v", i, got[i], want[i])
							}
						}
					})
				}
			}
		}
	}
}
