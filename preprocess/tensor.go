package preprocess

import (
	"errors"
	"fmt"
	"image"
	"math"
	"os"

	"github.com/ganomaly-go/ganomaly/modelfile"
)

// MaxISize is the largest output side ToTensor accepts.
const MaxISize = 4096

// LoadFile decodes the image file at path and returns its CHW tensor (see
// ToTensor). Errors name the path.
func LoadFile(path string, isize, nc int, norm modelfile.Norm) ([]float32, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	img, err := Decode(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	x, err := ToTensor(img, isize, nc, norm)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return x, nil
}

// LoadBytes decodes an image file held in memory and returns its CHW tensor
// (see ToTensor).
func LoadBytes(b []byte, isize, nc int, norm modelfile.Norm) ([]float32, error) {
	img, err := DecodeBytes(b)
	if err != nil {
		return nil, err
	}
	return ToTensor(img, isize, nc, norm)
}

// ToTensor converts an image to the normalised CHW float32 tensor of a model
// with nc channels (1 grey, 3 RGB) and side isize: alpha composited over
// white, grey as BT.601 luma, resize so the shorter side is isize (Pillow's
// antialiased bilinear filter), centre crop, x = (p − mean[c]) / std[c].
// An *Oriented image (from Decode) is read through its orientation without
// copying.
func ToTensor(img image.Image, isize, nc int, norm modelfile.Norm) ([]float32, error) {
	if img == nil {
		return nil, errors.New("preprocess: no image")
	}
	if isize < 1 || isize > MaxISize {
		return nil, fmt.Errorf("preprocess: isize %d: must be between 1 and %d", isize, MaxISize)
	}
	if nc != 1 && nc != 3 {
		return nil, fmt.Errorf("preprocess: nc %d: must be 1 (grey) or 3 (RGB)", nc)
	}
	if err := norm.Validate(nc); err != nil {
		return nil, fmt.Errorf("preprocess: %w", err)
	}
	src, orientation := img, 1
	if o, ok := img.(*Oriented); ok {
		src, orientation = o.Src, o.Orientation
	}
	sb := src.Bounds()
	if sb.Empty() {
		return nil, errors.New("preprocess: the image has no pixels")
	}
	w, h := orientedSize(sb, orientation)
	rw, rh := resizedSize(w, h, isize)
	// torchvision's CenterCrop: int(round((size - crop) / 2)), Python's round
	// being round-half-to-even.
	left := int(math.RoundToEven(float64(rw-isize) / 2))
	top := int(math.RoundToEven(float64(rh-isize) / 2))
	xt := triangleTaps(w, rw, left, isize)
	yt := triangleTaps(h, rh, top, isize)
	x0, x1 := xt.span()
	y0, y1 := yt.span()

	readRow := rowReader(src, orientation, nc)
	row := make([]float64, (x1-x0)*nc) // one source row, channels interleaved
	hrow := make([]float64, nc*isize)  // that row filtered horizontally, planar
	acc := make([]float64, nc*isize*isize)
	plane := isize * isize
	first := 0 // the first output row whose taps are not all behind us
	for y := y0; y < y1; y++ {
		readRow(y, x0, x1, row)
		for ox := range isize {
			base := xt.start[ox] - x0
			for c := range nc {
				var s float64
				for k, wt := range xt.weights[ox] {
					s += float64(wt * row[(base+k)*nc+c])
				}
				hrow[c*isize+ox] = s
			}
		}
		for first < isize && yt.start[first]+len(yt.weights[first]) <= y {
			first++
		}
		for oy := first; oy < isize && yt.start[oy] <= y; oy++ {
			k := y - yt.start[oy]
			if k >= len(yt.weights[oy]) {
				continue
			}
			wt := yt.weights[oy][k]
			for c := range nc {
				dst := acc[c*plane+oy*isize : c*plane+(oy+1)*isize]
				src := hrow[c*isize : (c+1)*isize]
				for ox := range dst {
					dst[ox] += float64(wt * src[ox])
				}
			}
		}
	}
	out := make([]float32, len(acc))
	for c := range nc {
		mean, std := norm.Mean[c], norm.Std[c]
		for i, p := range acc[c*plane : (c+1)*plane] {
			out[c*plane+i] = float32((p - mean) / std)
		}
	}
	return out, nil
}

// resizedSize is torchvision's Resize(size) output for a w×h image: the
// shorter side becomes size, the longer int(size * long / short).
func resizedSize(w, h, size int) (int, int) {
	if w <= h {
		return size, int(float64(size*h) / float64(w))
	}
	return int(float64(size*w) / float64(h)), size
}

// taps holds, for each output pixel along one axis, the first source index
// and the normalised filter weights from there on.
type taps struct {
	start   []int
	weights [][]float64
}

// span is the source range [lo, hi) the taps read.
func (t taps) span() (lo, hi int) {
	lo, hi = t.start[0], 0
	for i, s := range t.start {
		lo = min(lo, s)
		hi = max(hi, s+len(t.weights[i]))
	}
	return lo, hi
}

// triangleTaps computes Pillow's bilinear resampling coefficients
// (Resample.c, precompute_coeffs with the triangle filter of support 1) for
// resizing inSize to outSize, for the n output indices from `from` on: the
// filter is widened by the scale factor when shrinking (antialiasing) and
// the weights of each output pixel are normalised to sum to 1.
func triangleTaps(inSize, outSize, from, n int) taps {
	scale := float64(inSize) / float64(outSize)
	filterScale := max(scale, 1)
	support := filterScale // the triangle's support is 1
	inv := 1 / filterScale
	t := taps{start: make([]int, n), weights: make([][]float64, n)}
	for i := range n {
		center := (float64(from+i) + 0.5) * scale
		lo := max(int(center-support+0.5), 0) // int() truncates toward zero, as C does
		hi := min(int(center+support+0.5), inSize)
		ws := make([]float64, max(hi-lo, 0))
		var sum float64
		for k := range ws {
			d := math.Abs((float64(lo+k) - center + 0.5) * inv)
			if d < 1 {
				ws[k] = 1 - d
			}
			sum += ws[k]
		}
		if sum > 0 {
			for k := range ws {
				ws[k] /= sum
			}
		}
		t.start[i], t.weights[i] = lo, ws
	}
	return t
}

// ToImage turns a normalised CHW tensor back into an image for display:
// p = x·std[c] + mean[c], clamped to [0, 1], rounded to 8 bits; *image.Gray
// for nc 1, *image.NRGBA (opaque) for nc 3. NaN shows as 0. It returns nil
// when len(chw) is not nc·isize·isize or norm does not fit nc.
func ToImage(chw []float32, isize, nc int, norm modelfile.Norm) image.Image {
	if isize < 1 || (nc != 1 && nc != 3) || len(chw) != nc*isize*isize || norm.Validate(nc) != nil {
		return nil
	}
	plane := isize * isize
	pixel := func(c, i int) uint8 {
		p := float64(float64(chw[c*plane+i])*norm.Std[c]) + norm.Mean[c]
		if !(p > 0) { // NaN too
			return 0
		}
		if p >= 1 {
			return 255
		}
		return uint8(float64(p*255) + 0.5)
	}
	r := image.Rect(0, 0, isize, isize)
	if nc == 1 {
		g := image.NewGray(r)
		for i := range plane {
			g.Pix[i] = pixel(0, i)
		}
		return g
	}
	m := image.NewNRGBA(r)
	for i := range plane {
		m.Pix[4*i] = pixel(0, i)
		m.Pix[4*i+1] = pixel(1, i)
		m.Pix[4*i+2] = pixel(2, i)
		m.Pix[4*i+3] = 255
	}
	return m
}
