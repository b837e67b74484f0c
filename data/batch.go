package data

import (
	"context"
	"fmt"
	"math/rand/v2"

	"github.com/ganomaly-go/ganomaly/modelfile"
	"github.com/ganomaly-go/ganomaly/preprocess"
)

// Batch is a run of normalised images, NCHW float32.
type Batch struct {
	X       []float32
	N       int   // images in the batch
	Indices []int // positions in the sample list
	Err     error
}

// Loader turns samples into normalised batches ahead of time, in goroutines,
// so that decoding overlaps with training.
type Loader struct {
	ISize, NC int
	Norm      modelfile.Norm
	// Prefetch is how many batches are prepared ahead (default 4); each is
	// built by its own goroutine.
	Prefetch int
}

// Normalize converts CHW uint8 pixels to (p/255 - mean)/std.
func (l *Loader) Normalize(dst []float32, pix []uint8) {
	hw := l.ISize * l.ISize
	for c := 0; c < l.NC; c++ {
		scale := float32(1 / (255 * l.Norm.Std[c]))
		off := float32(l.Norm.Mean[c] / l.Norm.Std[c])
		d, p := dst[c*hw:(c+1)*hw], pix[c*hw:(c+1)*hw]
		for i, v := range p {
			d[i] = float32(float32(v)*scale) - off // no FMA: the same values on every platform
		}
	}
}

// Image returns one sample as a normalised CHW slice.
func (l *Loader) Image(dst []float32, s Sample) error {
	if s.Pix != nil {
		if len(s.Pix) != len(dst) {
			return fmt.Errorf("sample has %d pixels, want %d", len(s.Pix), len(dst))
		}
		l.Normalize(dst, s.Pix)
		return nil
	}
	x, err := preprocess.LoadFile(s.Path, l.ISize, l.NC, l.Norm)
	if err != nil {
		return fmt.Errorf("%s: %w", s.Path, err)
	}
	if len(x) != len(dst) {
		return fmt.Errorf("%s: decoded %d values, want %d", s.Path, len(x), len(dst))
	}
	copy(dst, x)
	return nil
}

// Batches streams the samples in batches of size bs. With rng the order is
// shuffled (training); dropLast drops a final partial batch, as the
// original's training loader. The channel closes after the last batch or
// when ctx is cancelled; a batch with Err set reports a sample that failed.
func (l *Loader) Batches(ctx context.Context, samples []Sample, bs int, rng *rand.Rand, dropLast bool) <-chan Batch {
	order := make([]int, len(samples))
	for i := range order {
		order[i] = i
	}
	if rng != nil {
		rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
	}
	prefetch := l.Prefetch
	if prefetch <= 0 {
		prefetch = 4
	}
	pending := make(chan chan Batch, prefetch)
	out := make(chan Batch)
	per := l.NC * l.ISize * l.ISize
	go func() {
		defer close(pending)
		for start := 0; start < len(order); start += bs {
			end := min(start+bs, len(order))
			if dropLast && end-start < bs {
				break
			}
			ch := make(chan Batch, 1)
			select {
			case pending <- ch:
			case <-ctx.Done():
				return
			}
			idx := order[start:end]
			go func() {
				b := Batch{X: make([]float32, len(idx)*per), N: len(idx), Indices: idx}
				for i, k := range idx {
					if err := l.Image(b.X[i*per:(i+1)*per], samples[k]); err != nil {
						b.Err = err
						break
					}
				}
				ch <- b
			}()
		}
	}()
	go func() {
		defer close(out)
		for ch := range pending {
			var b Batch
			select {
			case b = <-ch:
			case <-ctx.Done():
				return
			}
			select {
			case out <- b:
			case <-ctx.Done():
				return
			}
		}
	}()
	return out
}
