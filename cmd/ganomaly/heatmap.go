package main

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"io"
	"os"
	"path/filepath"

	"github.com/ganomaly-go/ganomaly/modelfile"
	"github.com/ganomaly-go/ganomaly/preprocess"
)

// heatFullScale is the |x - x̂| (in [0, 1] pixel units, averaged over
// channels) that gets the hottest colour. The scale is fixed, not stretched
// per image, so heat maps of different images can be compared; half the
// pixel range is already a gross reconstruction error.
const heatFullScale = 0.5

// minPanel is the smallest side a panel is drawn at (nearest-neighbour
// enlargement keeps pixels visible).
const minPanel = 128

// panelGap is the white space between panels.
const panelGap = 4

// writeHeatmap writes a PNG with three panels side by side: the model's
// input x (after preprocessing), its reconstruction x̂, and the heat map
// of diff (the engine's per-pixel mean over channels of |x - x̂| in
// normalised units).
func writeHeatmap(path string, x, xhat, diff []float32, isize, nc int, norm modelfile.Norm) error {
	in := preprocess.ToImage(x, isize, nc, norm)
	rec := preprocess.ToImage(xhat, isize, nc, norm)
	if in == nil || rec == nil || len(diff) != isize*isize {
		return fmt.Errorf("tensors do not match a %dx%dx%d model", nc, isize, isize)
	}
	// Normalised units back to pixel units: multiply by std (its mean over
	// channels, since diff is already averaged over them).
	var std float64
	for _, s := range norm.Std {
		std += s
	}
	std /= float64(len(norm.Std))
	heat := image.NewNRGBA(image.Rect(0, 0, isize, isize))
	for i, d := range diff {
		heat.SetNRGBA(i%isize, i/isize, inferno(float64(d)*std/heatFullScale))
	}

	scale := max(1, (minPanel+isize-1)/isize)
	side := isize * scale
	out := image.NewNRGBA(image.Rect(0, 0, 3*side+2*panelGap, side))
	draw.Draw(out, out.Bounds(), image.White, image.Point{}, draw.Src)
	for k, panel := range []image.Image{in, rec, heat} {
		x0 := k * (side + panelGap)
		for y := range side {
			for x := range side {
				out.Set(x0+x, y, panel.At(x/scale, y/scale))
			}
		}
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return modelfile.WriteFileAtomic(path, func(w io.Writer) error { return png.Encode(w, out) })
}

// infernoStops approximate matplotlib's "inferno" colour map (perceptually
// uniform, readable in grey print) at 0, 1/4, 1/2, 3/4 and 1.
var infernoStops = [5][3]float64{{0, 0, 4}, {87, 16, 110}, {188, 55, 84}, {249, 142, 9}, {252, 255, 164}}

// inferno maps v (clamped to [0, 1]; NaN is treated as 1) to a colour.
func inferno(v float64) color.NRGBA {
	if !(v <= 1) {
		v = 1
	}
	if v < 0 {
		v = 0
	}
	t := v * 4
	i := min(int(t), 3)
	f := t - float64(i)
	var c [3]uint8
	for k := range 3 {
		a, b := infernoStops[i][k], infernoStops[i+1][k]
		c[k] = uint8(a + (b-a)*f + 0.5)
	}
	return color.NRGBA{R: c[0], G: c[1], B: c[2], A: 255}
}
