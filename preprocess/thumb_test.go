package preprocess

import (
	"bytes"
	"image"
	"image/png"
	"runtime"
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

// TestThumbnailPNGReusesItsEncoder: the thumbnails are the bytes of a fresh
// encoder's, and making one does not allocate a compressor each time.
func TestThumbnailPNGReusesItsEncoder(t *testing.T) {
	norm := modelfile.Norm{Mean: []float64{0.5}, Std: []float64{0.5}}
	x := make([]float32, 32*32)
	for i := range x {
		x[i] = float32(i%11)/5 - 1
	}
	var fresh bytes.Buffer
	if err := (&png.Encoder{CompressionLevel: png.BestSpeed}).Encode(&fresh, ToImage(x, 32, 1, norm)); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		b, err := ThumbnailPNG(x, 32, 1, norm, ThumbSide)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(b, fresh.Bytes()) {
			t.Fatal("the reused encoder writes other bytes than a fresh one")
		}
	}
	var ms0, ms1 runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms0)
	for range 20 {
		if _, err := ThumbnailPNG(x, 32, 1, norm, ThumbSide); err != nil {
			t.Fatal(err)
		}
	}
	runtime.ReadMemStats(&ms1)
	// A fresh encoder allocates about 1.2 MB per thumbnail.
	if per := (ms1.TotalAlloc - ms0.TotalAlloc) / 20; per > 400_000 {
		t.Fatalf("%d bytes allocated per thumbnail: the encoder's buffers are not reused", per)
	}
}
