package ui

import (
	"bytes"
	"encoding/base64"
	"image"
	"image/color"
	"math"

	"github.com/ganomaly-go/ganomaly/modelfile"
	"github.com/ganomaly-go/ganomaly/preprocess"
	"github.com/ganomaly-go/ganomaly/render"
)

// PNGDataURL encodes an image as a data: URL (the page shows small tensors
// scaled up with CSS, pixelated).
func PNGDataURL(img image.Image) string {
	if img == nil {
		return ""
	}
	var b bytes.Buffer
	if err := preprocess.EncodePNG(&b, img); err != nil {
		return ""
	}
	return pngURL(b.Bytes())
}

// pngPrefix starts the data URL of a PNG file.
const pngPrefix = "data:image/png;base64,"

// pngURL is the data URL of the PNG file b.
func pngURL(b []byte) string { return pngPrefix + base64.StdEncoding.EncodeToString(b) }

// TensorURL is the data URL of a normalised CHW tensor shown as an image.
func TensorURL(chw []float32, m modelfile.Metadata) string {
	return PNGDataURL(preprocess.ToImage(chw, m.Arch.ISize, m.Arch.NC, m.Norm))
}

// heatScale is the heat maps' full scale for the model's diff maps.
func heatScale(m modelfile.Metadata) float64 { return render.HeatScale(m.Norm) }

func heatColour(v float64) color.NRGBA { return render.HeatColor(v) }

// HeatImage colours the per-pixel difference map (isize×isize) on the
// fixed scale of every heat map (render.HeatScale).
func HeatImage(diff []float32, m modelfile.Metadata) image.Image {
	img, err := render.HeatMap(diff, m.Arch.ISize, heatScale(m))
	if err != nil {
		return nil
	}
	return img
}

// OverlayImage blends the heat map over the input: where the difference is
// small the input shows through.
func OverlayImage(x []float32, diff []float32, m modelfile.Metadata) image.Image {
	isize := m.Arch.ISize
	base := preprocess.ToImage(x, isize, m.Arch.NC, m.Norm)
	if base == nil || len(diff) != isize*isize {
		return nil
	}
	scale := heatScale(m)
	out := image.NewNRGBA(image.Rect(0, 0, isize, isize))
	for y := 0; y < isize; y++ {
		for xx := 0; xx < isize; xx++ {
			i := y*isize + xx
			r, g, b, _ := base.At(xx, y).RGBA()
			v := math.Min(1, float64(diff[i])/scale)
			a := 0.15 + 0.85*v
			c := heatColour(v)
			mix := func(p uint32, h uint8) uint8 {
				return uint8(float64(p>>8)*0.6*(1-a) + float64(h)*a + 0.5)
			}
			out.Pix[4*i], out.Pix[4*i+1], out.Pix[4*i+2], out.Pix[4*i+3] = mix(r, c.R), mix(g, c.G), mix(b, c.B), 255
		}
	}
	return out
}

// MosaicImage lays out up to maxMaps channels of a C×H×W feature map as a
// grid, each channel stretched to its own min..max (grey), one pixel of gap.
// It returns the image and the number of channels shown.
func MosaicImage(fm []float32, c, h int, maxMaps int) (image.Image, int) {
	if c <= 0 || h <= 0 || len(fm) != c*h*h {
		return nil, 0
	}
	n := c
	if n > maxMaps {
		n = maxMaps
	}
	cols := int(math.Ceil(math.Sqrt(float64(n))))
	rows := (n + cols - 1) / cols
	W, H := cols*(h+1)-1, rows*(h+1)-1
	img := image.NewNRGBA(image.Rect(0, 0, W, H))
	for i := range img.Pix {
		img.Pix[i] = 255 // white gaps
	}
	for ch := 0; ch < n; ch++ {
		plane := fm[ch*h*h : (ch+1)*h*h]
		lo, hi := float32(math.Inf(1)), float32(math.Inf(-1))
		for _, v := range plane {
			lo, hi = min(lo, v), max(hi, v)
		}
		ox, oy := (ch%cols)*(h+1), (ch/cols)*(h+1)
		for y := 0; y < h; y++ {
			for x := 0; x < h; x++ {
				v := uint8(0)
				if hi > lo {
					v = uint8(255 * (plane[y*h+x] - lo) / (hi - lo))
				}
				p := img.PixOffset(ox+x, oy+y)
				img.Pix[p], img.Pix[p+1], img.Pix[p+2], img.Pix[p+3] = v, v, v, 255
			}
		}
	}
	return img, n
}
