package render

import (
	"errors"
	"fmt"
	"image"
	"image/color"
	"math"

	"github.com/ganomaly-go/ganomaly/modelfile"
	"github.com/ganomaly-go/ganomaly/preprocess"
	"golang.org/x/image/draw"
)

// Tensor turns a normalised CHW tensor (the engine's input or x̂) back into
// an image: grey for nc 1, RGB for nc 3.
func Tensor(chw []float32, isize, nc int, norm modelfile.Norm) (image.Image, error) {
	img := preprocess.ToImage(chw, isize, nc, norm)
	if img == nil {
		return nil, fmt.Errorf("render: tensor of %d values is not %d×%d×%d with a %d-channel normalisation", len(chw), nc, isize, isize, nc)
	}
	return img, nil
}

// heatStops is a perceptually ordered black → purple → orange → yellow
// colour map (close to matplotlib's "inferno"), sampled at 0, 0.25, …, 1.
var heatStops = [...][3]float64{{0, 0, 4}, {87, 16, 110}, {188, 55, 84}, {249, 142, 9}, {252, 255, 164}}

// HeatColor maps v in [0, 1] (clamped; NaN as 1) to the heat colour map.
func HeatColor(v float64) color.NRGBA {
	if math.IsNaN(v) || v > 1 {
		v = 1
	}
	if v < 0 {
		v = 0
	}
	f := v * float64(len(heatStops)-1)
	i := int(f)
	if i >= len(heatStops)-1 {
		i = len(heatStops) - 2
	}
	t := f - float64(i)
	a, b := heatStops[i], heatStops[i+1]
	c := func(k int) uint8 { return uint8(a[k] + t*(b[k]-a[k]) + 0.5) }
	return color.NRGBA{c(0), c(1), c(2), 255}
}

// HeatMap colours a size×size map of non-negative values (the engine's
// Result.Diff, the mean over channels of |x − x̂|): value/scale through
// HeatColor. scale ≤ 0 uses the map's own maximum.
func HeatMap(values []float32, size int, scale float64) (*image.NRGBA, error) {
	if size < 1 || len(values) != size*size {
		return nil, fmt.Errorf("render: heat map of %d values is not %d×%d", len(values), size, size)
	}
	if !(scale > 0) {
		for _, v := range values {
			scale = math.Max(scale, float64(v))
		}
		if !(scale > 0) {
			scale = 1
		}
	}
	m := image.NewNRGBA(image.Rect(0, 0, size, size))
	for i, v := range values {
		c := HeatColor(float64(v) / scale)
		m.Pix[4*i], m.Pix[4*i+1], m.Pix[4*i+2], m.Pix[4*i+3] = c.R, c.G, c.B, 255
	}
	return m, nil
}

// Overlay blends heat over base (same size) with the given opacity.
func Overlay(base, heat image.Image, alpha float64) (*image.NRGBA, error) {
	if base.Bounds().Size() != heat.Bounds().Size() {
		return nil, errors.New("render: overlay of images of different sizes")
	}
	alpha = math.Min(math.Max(alpha, 0), 1)
	b := base.Bounds()
	out := image.NewNRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	hb := heat.Bounds()
	for y := 0; y < b.Dy(); y++ {
		for x := 0; x < b.Dx(); x++ {
			p := color.NRGBAModel.Convert(base.At(b.Min.X+x, b.Min.Y+y)).(color.NRGBA)
			h := color.NRGBAModel.Convert(heat.At(hb.Min.X+x, hb.Min.Y+y)).(color.NRGBA)
			mix := func(a, c uint8) uint8 { return uint8(float64(a)*(1-alpha) + float64(c)*alpha + 0.5) }
			out.SetNRGBA(x, y, color.NRGBA{mix(p.R, h.R), mix(p.G, h.G), mix(p.B, h.B), 255})
		}
	}
	return out, nil
}

// Scale resizes img to size×size pixels: nearest neighbour when enlarging
// by a whole factor (crisp pixels), bilinear otherwise.
func Scale(img image.Image, size int) *image.NRGBA {
	out := image.NewNRGBA(image.Rect(0, 0, size, size))
	b := img.Bounds()
	if b.Dx() > 0 && size%b.Dx() == 0 && b.Dx() == b.Dy() {
		draw.NearestNeighbor.Scale(out, out.Bounds(), img, b, draw.Src, nil)
	} else {
		draw.BiLinear.Scale(out, out.Bounds(), img, b, draw.Src, nil)
	}
	return out
}
