package ui

import (
	"bytes"
	"encoding/base64"
	"image"
	"image/color"
	"image/png"
	"strings"
	"testing"

	"github.com/maxence-charriere/go-app/v9/pkg/app"
)

func pngOf(t *testing.T, im image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, im); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func inPageItems(files ...[]byte) []GalleryItem {
	var items []GalleryItem
	for i, b := range files {
		items = append(items, GalleryItem{File: strings.Repeat("x", i+1) + ".png", Bytes: b, Data: base64.StdEncoding.EncodeToString(b)})
	}
	return items
}

// Every cell of the sprite is its item's image, pixel for pixel, and the
// items know their cells; a gallery the sprite cannot hold keeps its images.
func TestGallerySprite(t *testing.T) {
	seven, two := galleryBytes(t, "digit-7-0.png"), galleryBytes(t, "digit-2-0.png")
	rgb := image.NewNRGBA(image.Rect(0, 0, 28, 28))
	rgb.Set(3, 4, color.NRGBA{200, 10, 30, 255})
	small := image.NewGray(image.Rect(0, 0, 16, 16))
	tests := []struct {
		name  string
		items []GalleryItem
		ok    bool
	}{
		{"grey samples", inPageItems(seven, two, seven), true},
		{"grey and colour", inPageItems(seven, pngOf(t, rgb)), true},
		{"two sizes", inPageItems(seven, pngOf(t, small)), false},
		{"too many pixels together", inPageItems(pngOf(t, image.NewGray(image.Rect(0, 0, 1500, 1500))), pngOf(t, image.NewGray(image.Rect(0, 0, 1500, 1500)))), false},
		{"not a PNG", inPageItems(seven, []byte("GIF89a")), false},
		{"not in the page", []GalleryItem{{File: "a.png", Bytes: seven}}, false},
		{"empty", nil, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b, ok := GallerySprite(tc.items)
			if ok != tc.ok {
				t.Fatalf("ok = %v, want %v", ok, tc.ok)
			}
			if !ok {
				for _, it := range tc.items {
					if it.Cell != 0 {
						t.Errorf("%s has cell %d without a sprite", it.File, it.Cell)
					}
				}
				return
			}
			sprite, err := png.Decode(bytes.NewReader(b))
			if err != nil {
				t.Fatal(err)
			}
			if got := sprite.Bounds().Size(); got != image.Pt(28*len(tc.items), 28) {
				t.Fatalf("sprite %v", got)
			}
			for i, it := range tc.items {
				if it.Cell != i+1 {
					t.Errorf("%s: cell %d, want %d", it.File, it.Cell, i+1)
				}
				im, _ := png.Decode(bytes.NewReader(it.Bytes))
				for y := 0; y < 28; y++ {
					for x := 0; x < 28; x++ {
						if a, b := color.NRGBAModel.Convert(im.At(x, y)), color.NRGBAModel.Convert(sprite.At(28*i+x, y)); a != b {
							t.Fatalf("%s at (%d,%d): sprite %v, image %v", it.File, x, y, b, a)
						}
					}
				}
			}
		})
	}
}

// The head gives the gallery its sprite; a sample with a cell shows it, one
// without its own image.
func TestSamplesShowTheirSpriteCell(t *testing.T) {
	s := SiteData{Models: []BundledModel{{File: "m.safetensors"}}, DefaultModel: "m.safetensors",
		Gallery: make([]GalleryItem, 30), Sprite: "QUJD", Styles: ".a { color: red; }"}
	head := headElements(s)
	if want := "<style>.a { color: red; }\n.sample .spr { background-image: url(data:image/png;base64,QUJD); --cells: 30; }\n</style>"; head[0] != want {
		t.Errorf("head %q, want %q", head[0], want)
	}
	s.Styles = ""
	if head := headElements(s); !strings.HasPrefix(head[0], "<style>\n.sample .spr { background-image: url(data:image/png;base64,QUJD)") {
		t.Errorf("without a stylesheet: head %.60q", head[0])
	}
	s.Sprite = ""
	if head := headElements(s); !strings.HasPrefix(head[0], "<script>") {
		t.Errorf("without a sprite or stylesheet: head %.60q", head[0])
	}
	// go-app writes attributes in no fixed order.
	for _, tc := range []struct {
		it   GalleryItem
		tag  string
		want []string
	}{
		{GalleryItem{URL: "data:image/png;base64,QUJD", Cell: 8}, "<i ", []string{`class="spr"`, `role="img"`, `aria-label="seven"`, `style="--i:7;"`}},
		{GalleryItem{URL: "/web/gallery/a.png"}, "<img ", []string{`src="/web/gallery/a.png"`, `alt="seven"`}},
	} {
		got := app.HTMLString(sampleImage(tc.it, "seven"))
		ok := strings.HasPrefix(got, tc.tag)
		for _, a := range tc.want {
			ok = ok && strings.Contains(got, " "+a)
		}
		if !ok {
			t.Errorf("cell %d: %s, want %s with %q", tc.it.Cell, got, tc.tag, tc.want)
		}
	}
}
