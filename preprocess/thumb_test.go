package preprocess

import (
	"bytes"
	"image"
	"image/png"
	"testing"

	"github.com/ganomaly-go/ganomaly/modelfile"
)

func TestThumbnailPNG(t *testing.T) {
	grey := modelfile.Norm{Mean: []float64{0.5}, Std: []float64{0.5}}
	rgb := modelfile.Norm{Mean: []float64{0.5, 0.5, 0.5}, Std: []float64{0.5, 0.5, 0.5}}
	for _, tc := range []struct {
		name      string
		isize, nc int
		norm      modelfile.Norm
		wantSide  int
	}{
		{"small grey stays", 28, 1, grey, 28},
		{"32 grey stays", 32, 1, grey, 32},
		{"64 rgb halves", 64, 3, rgb, 32},
		{"100 grey by 4", 100, 1, grey, 25},
	} {
		t.Run(tc.name, func(t *testing.T) {
			x := make([]float32, tc.nc*tc.isize*tc.isize)
			for i := range x {
				x[i] = float32(i%7)/3 - 1
			}
			b, err := ThumbnailPNG(x, tc.isize, tc.nc, tc.norm, 32)
			if err != nil {
				t.Fatal(err)
			}
			img, err := png.Decode(bytes.NewReader(b))
			if err != nil {
				t.Fatal(err)
			}
			if s := img.Bounds().Size(); s != image.Pt(tc.wantSide, tc.wantSide) {
				t.Fatalf("thumbnail %v, want %d×%d", s, tc.wantSide, tc.wantSide)
			}
			if tc.wantSide == tc.isize { // unscaled: the pixels of ToImage
				want := ToImage(x, tc.isize, tc.nc, tc.norm)
				for y := 0; y < tc.isize; y++ {
					for xx := 0; xx < tc.isize; xx++ {
						r1, g1, b1, _ := img.At(xx, y).RGBA()
						r2, g2, b2, _ := want.At(xx, y).RGBA()
						if r1 != r2 || g1 != g2 || b1 != b2 {
							t.Fatalf("pixel %d,%d differs", xx, y)
						}
					}
				}
			}
		})
	}
	if _, err := ThumbnailPNG(make([]float32, 5), 28, 1, grey, 32); err == nil {
		t.Fatal("a tensor of the wrong length is refused")
	}
}

// TestShrinkAverages: each output pixel is the rounded mean of its block.
func TestShrinkAverages(t *testing.T) {
	g := image.NewGray(image.Rect(0, 0, 3, 2))
	copy(g.Pix, []uint8{0, 10, 100, 20, 31, 200})
	got := shrink(g, 2).(*image.Gray)
	if want := []uint8{(0 + 10 + 20 + 31 + 2) / 4, (100 + 200 + 1) / 2}; !bytes.Equal(got.Pix, want) {
		t.Fatalf("got %v, want %v", got.Pix, want)
	}
}
