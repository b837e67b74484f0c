package train

import (
	"sync"

	"github.com/ganomaly-go/ganomaly/engine"
)

const (
	tileM = engine.GEMMTileM
	tileN = engine.GEMMTileN
)

// matrix is a strided view of a float32 matrix: element (i, j) is
// data[i·rs + j·cs]. A transposed view swaps the strides.
type matrix struct {
	data   []float32
	rs, cs int
}

func rowMajor(data []float32, cols int) matrix { return matrix{data, cols, 1} }

func (a matrix) t() matrix { return matrix{a.data, a.cs, a.rs} }

// gemmer computes matrix products with the engine's register-tiled kernel,
// packing both operands into its panel layout. Its buffers grow to the
// largest product and are then reused: no allocation per step. With
// workers > 1 the row panels of a large product are shared out among that
// many goroutines; every output element is still one sum in the same order,
// so the results do not depend on the number of workers.
type gemmer struct {
	ap, bp, c []float32
	workers   int
	jobs      chan gemmJob
	wg        sync.WaitGroup
}

// gemmJob is one band of rows of a product.
type gemmJob struct {
	ap, bp, c []float32
	mp, k, np int
	wg        *sync.WaitGroup
}

// parallelMACs is the size of product below which splitting it costs more
// than it saves.
const parallelMACs = 1 << 18

func (g *gemmer) start(workers int) {
	if workers <= 1 || g.jobs != nil {
		return
	}
	g.workers = workers
	g.jobs = make(chan gemmJob, workers)
	for range workers - 1 {
		go func() {
			for j := range g.jobs {
				engine.GEMM(j.ap, j.bp, j.c, j.mp, j.k, j.np)
				j.wg.Done()
			}
		}()
	}
}

// stop ends the worker goroutines.
func (g *gemmer) stop() {
	if g.jobs != nil {
		close(g.jobs)
		g.jobs = nil
	}
}

// gemm is engine.GEMM into c, its rows split among the workers.
func (g *gemmer) gemm(c []float32, mp, k, np int) {
	if g.jobs == nil || mp*k*np < parallelMACs || mp < 2*tileM {
		engine.GEMM(g.ap, g.bp, c, mp, k, np)
		return
	}
	panels := mp / tileM
	per := (panels + g.workers - 1) / g.workers
	var mine gemmJob
	for w := 0; w < g.workers; w++ {
		p0, p1 := w*per, min(panels, (w+1)*per)
		if p0 >= p1 {
			break
		}
		r0, r1 := p0*tileM, p1*tileM
		j := gemmJob{ap: g.ap[r0*k:], bp: g.bp, c: c[r0*np:], mp: r1 - r0, k: k, np: np, wg: &g.wg}
		if w == 0 {
			mine = j
			continue
		}
		g.wg.Add(1)
		g.jobs <- j
	}
	engine.GEMM(mine.ap, mine.bp, mine.c, mine.mp, mine.k, mine.np)
	g.wg.Wait()
}

func grow(b []float32, n int) []float32 {
	if cap(b) < n {
		return make([]float32, n)
	}
	return b[:n]
}

// mul computes dst[i][j] (row-major, m×n) = Σ_p A[i][p]·B[p][j], or adds it
// to dst when acc is set. Every sum runs over p in increasing order.
func (g *gemmer) mul(a, b matrix, m, k, n int, dst []float32, acc bool) {
	mp, np := roundUp(m, tileM), roundUp(n, tileN)
	g.ap = grow(g.ap, mp*k+engine.GEMMSlack)
	g.bp = grow(g.bp, np*k+engine.GEMMSlack)
	g.c = grow(g.c, mp*np)
	packA(g.ap, a, m, k, mp)
	packB(g.bp, b, k, n, np)
	g.gemm(g.c, mp, k, np)
	dst = dst[:m*n]
	for i := 0; i < m; i++ {
		row, out := g.c[i*np:i*np+n], dst[i*n:i*n+n]
		if acc {
			for j, v := range row {
				out[j] += v
			}
		} else {
			copy(out, row)
		}
	}
}

func roundUp(x, t int) int { return (x + t - 1) / t * t }

// mulSpill is mul without acc, written straight into dst when n is a whole
// number of column panels: the rows of the last row panel past m (zeros)
// then spill into dst[m·n : roundUp(m, tileM)·n], which must be slack or
// data the caller overwrites afterwards (the next of a sequence of products
// stored one after another).
func (g *gemmer) mulSpill(a, b matrix, m, k, n int, dst []float32) {
	mp := roundUp(m, tileM)
	if n%tileN != 0 || len(dst) < mp*n {
		g.mul(a, b, m, k, n, dst, false)
		return
	}
	g.ap = grow(g.ap, mp*k+engine.GEMMSlack)
	g.bp = grow(g.bp, n*k+engine.GEMMSlack)
	packA(g.ap, a, m, k, mp)
	packB(g.bp, b, k, n, n)
	g.gemm(dst[:mp*n], mp, k, n)
}
