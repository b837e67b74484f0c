package preprocess

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/color/palette"
	"image/draw"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/ganomaly-go/ganomaly/modelfile"
)

// identityNorm leaves pixels in [0, 1], so tensors can be compared with
// pixel values directly.
func identityNorm(nc int) modelfile.Norm {
	n := modelfile.Norm{Mean: make([]float64, nc), Std: make([]float64, nc)}
	for i := range n.Std {
		n.Std[i] = 1
	}
	return n
}

func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatalf("fixture %s: %v (regenerate with preprocess/testdata/make_fixtures.py)", name, err)
	}
	return b
}

func decodeFixture(t testing.TB, name string) image.Image {
	t.Helper()
	img, err := DecodeBytes(readFixture(t, name))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return img
}

// rgb8 is a pixel as 8-bit RGB after compositing over white.
func rgb8(img image.Image, x, y int) [3]float64 {
	var p [3]float64
	r, g, b, a := img.At(x, y).RGBA()
	channels(r, g, b, a, 3, p[:])
	for i := range p {
		p[i] *= 255
	}
	return p
}

func encode(t testing.TB, img image.Image, enc func(*bytes.Buffer, image.Image) error) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := enc(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func pngEnc(b *bytes.Buffer, m image.Image) error { return png.Encode(b, m) }
func jpegEnc(b *bytes.Buffer, m image.Image) error {
	return jpeg.Encode(b, m, &jpeg.Options{Quality: 95})
}
func gifEnc(b *bytes.Buffer, m image.Image) error {
	return gif.Encode(b, m, &gif.Options{NumColors: 256})
}

// plan9 maps an image to Go's Plan 9 palette without dithering, so that a
// GIF of it is lossless.
func plan9(m image.Image) *image.Paletted {
	p := image.NewPaletted(m.Bounds(), palette.Plan9)
	draw.Draw(p, p.Rect, m, m.Bounds().Min, draw.Src)
	return p
}

// TestFormats decodes the same 23x17 picture stored in every format and
// compares it with the PNG original: exactly for lossless formats, within a
// stated tolerance for lossy ones.
func TestFormats(t *testing.T) {
	base := decodeFixture(t, "base.png")
	tests := []struct {
		name   string
		data   func(t *testing.T) []byte
		format string // the decoded image's concrete type, to prove the path taken
		maxAbs float64
		mean   float64 // tolerated mean absolute difference (8-bit units)
	}{
		{"png (image/png)", func(t *testing.T) []byte { return encode(t, base, pngEnc) }, "*image.RGBA", 0, 0},
		// JPEG quality 95 with 4:2:0 chroma: a few levels on a smooth image.
		{"jpeg (image/jpeg)", func(t *testing.T) []byte { return encode(t, base, jpegEnc) }, "*image.YCbCr", 40, 4},
		{"gif (image/gif)", func(t *testing.T) []byte { return encode(t, plan9(base), gifEnc) }, "*image.Paletted", 0, 0},
		{"bmp (Pillow)", func(t *testing.T) []byte { return readFixture(t, "base.bmp") }, "*image.RGBA", 0, 0},
		{"tiff (Pillow, raw)", func(t *testing.T) []byte { return readFixture(t, "base.tiff") }, "*image.RGBA", 0, 0},
		{"tiff (Pillow, LZW)", func(t *testing.T) []byte { return readFixture(t, "base_lzw.tiff") }, "*image.RGBA", 0, 0},
		{"webp lossless (Pillow)", func(t *testing.T) []byte { return readFixture(t, "base.webp") }, "*image.NRGBA", 0, 0},
		// Lossy WebP at quality 95 subsamples the strong chroma of this tiny image.
		{"webp lossy (Pillow)", func(t *testing.T) []byte { return readFixture(t, "base_lossy.webp") }, "*image.YCbCr", 40, 10},
		// Pillow writes Adobe CMYK JPEGs; Go converts with its CMYK model.
		{"cmyk jpeg (Pillow)", func(t *testing.T) []byte { return readFixture(t, "cmyk.jpg") }, "*image.CMYK", 40, 4},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			img, err := DecodeBytes(tc.data(t))
			if err != nil {
				t.Fatal(err)
			}
			if got := typeName(img); got != tc.format {
				t.Errorf("decoded as %s, want %s", got, tc.format)
			}
			if img.Bounds() != base.Bounds() {
				t.Fatalf("bounds %v, want %v", img.Bounds(), base.Bounds())
			}
			var worst, sum float64
			n := 0
			for y := 0; y < 17; y++ {
				for x := 0; x < 23; x++ {
					ref := base
					if _, ok := img.(*image.Paletted); ok {
						ref = plan9(base)
					}
					a, b := rgb8(img, x, y), rgb8(ref, x, y)
					for c := range 3 {
						d := math.Abs(a[c] - b[c])
						worst = math.Max(worst, d)
						sum += d
						n++
					}
				}
			}
			if worst > tc.maxAbs+1e-9 || sum/float64(n) > tc.mean+1e-9 {
				t.Errorf("max |diff| %.2f (allowed %v), mean %.2f (allowed %v)", worst, tc.maxAbs, sum/float64(n), tc.mean)
			}
		})
	}
}

func typeName(img image.Image) string {
	switch img.(type) {
	case *image.RGBA:
		return "*image.RGBA"
	case *image.NRGBA:
		return "*image.NRGBA"
	case *image.YCbCr:
		return "*image.YCbCr"
	case *image.Paletted:
		return "*image.Paletted"
	case *image.CMYK:
		return "*image.CMYK"
	case *image.Gray16:
		return "*image.Gray16"
	case *image.Gray:
		return "*image.Gray"
	}
	return "other"
}

// square crops a test image to its top-left square so that ToTensor at
// that size is an exact identity (scale 1: each output takes one source
// pixel with weight 1).
func identityTensor(t *testing.T, img image.Image, nc int) ([]float32, int) {
	t.Helper()
	b := img.Bounds()
	side := min(b.Dx(), b.Dy())
	x, err := ToTensor(img, side, nc, identityNorm(nc))
	if err != nil {
		t.Fatal(err)
	}
	return x, side
}

func TestIdentitySizeIsExact(t *testing.T) {
	img := image.NewNRGBA(image.Rect(0, 0, 16, 16))
	for i := range img.Pix {
		img.Pix[i] = uint8(i * 7)
	}
	for i := 3; i < len(img.Pix); i += 4 {
		img.Pix[i] = 255
	}
	x, side := identityTensor(t, img, 3)
	for y := range side {
		for xx := range side {
			for c := range 3 {
				want := float32(float64(uint32(img.Pix[img.PixOffset(xx, y)+c])*0x101) / 0xffff)
				if got := x[c*side*side+y*side+xx]; got != want {
					t.Fatalf("(%d,%d,c%d) = %v, want %v", xx, y, c, got, want)
				}
			}
		}
	}
}

func TestAlphaCompositesOverWhite(t *testing.T) {
	img := image.NewNRGBA(image.Rect(0, 0, 3, 3))
	set := func(x, y int, c color.NRGBA) { img.SetNRGBA(x, y, c) }
	set(0, 0, color.NRGBA{R: 10, G: 20, B: 30, A: 0})   // transparent: white
	set(1, 0, color.NRGBA{R: 10, G: 20, B: 30, A: 255}) // opaque: itself
	set(2, 0, color.NRGBA{R: 0, G: 0, B: 0, A: 128})    // half black over white
	set(0, 1, color.NRGBA{R: 255, G: 0, B: 0, A: 51})   // 20 % red
	x, _ := identityTensor(t, img, 3)
	at := func(c, px, py int) float64 { return float64(x[c*9+py*3+px]) }
	tests := []struct {
		name      string
		px, py    int
		want      [3]float64
		tolerance float64
	}{
		{"transparent", 0, 0, [3]float64{1, 1, 1}, 0},
		{"opaque", 1, 0, [3]float64{10.0 / 255, 20.0 / 255, 30.0 / 255}, 1e-7},
		{"half black", 2, 0, [3]float64{1 - 128.0/255, 1 - 128.0/255, 1 - 128.0/255}, 1e-4},
		{"20% red", 0, 1, [3]float64{1, 0.8, 0.8}, 1e-4},
	}
	for _, tc := range tests {
		for c := range 3 {
			if got := at(c, tc.px, tc.py); math.Abs(got-tc.want[c]) > tc.tolerance {
				t.Errorf("%s channel %d: %v, want %v", tc.name, c, got, tc.want[c])
			}
		}
	}
	// The same RGBA picture as PNG and as lossless WebP (Pillow) gives the
	// same tensor, grey and colour.
	for _, nc := range []int{1, 3} {
		a, _ := identityTensor(t, decodeFixture(t, "alpha.png"), nc)
		b, _ := identityTensor(t, decodeFixture(t, "alpha.webp"), nc)
		if hashFloats(a) != hashFloats(b) {
			t.Errorf("nc %d: alpha.png and alpha.webp give different tensors", nc)
		}
	}
}

func TestSixteenBitKeepsPrecision(t *testing.T) {
	img := decodeFixture(t, "gray16.tiff")
	g, ok := img.(*image.Gray16)
	if !ok {
		t.Fatalf("gray16.tiff decoded as %T, want *image.Gray16", img)
	}
	// 5x3: the identity size is 3, cropping columns 1..3.
	x, err := ToTensor(img, 3, 1, identityNorm(1))
	if err != nil {
		t.Fatal(err)
	}
	for y := range 3 {
		for xx := range 3 {
			v := g.Gray16At(xx+1, y).Y
			if got, want := x[y*3+xx], float32(float64(v)/0xffff); got != want {
				t.Errorf("pixel (%d,%d) = %v, want %v/65535 = %v", xx+1, y, got, v, want)
			}
		}
	}
	// 256 and 257 are the same in 8 bits; they must differ here.
	if x[2] == x[0] || g.Gray16At(1, 0).Y != 1 {
		t.Errorf("16-bit values collapsed: %v", x[:3])
	}
	// A 16-bit RGB PNG from image/png: full precision in every channel.
	rgb := image.NewRGBA64(image.Rect(0, 0, 2, 2))
	rgb.SetRGBA64(0, 0, color.RGBA64{R: 257, G: 256, B: 65535, A: 0xffff})
	back, err := DecodeBytes(encode(t, rgb, pngEnc))
	if err != nil {
		t.Fatal(err)
	}
	y, _ := identityTensor(t, back, 3)
	if y[0] != float32(257.0/65535) || y[4] != float32(256.0/65535) || y[8] != 1 {
		t.Errorf("16-bit PNG pixel = %v %v %v", y[0], y[4], y[8])
	}
}

func TestPaletteExpands(t *testing.T) {
	pal := color.Palette{color.NRGBA{R: 255, A: 255}, color.NRGBA{G: 255, A: 255}, color.NRGBA{B: 200, A: 0}}
	img := image.NewPaletted(image.Rect(0, 0, 2, 2), pal)
	img.Pix = []uint8{0, 1, 2, 0}
	dec, err := DecodeBytes(encode(t, img, pngEnc))
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := dec.(*image.Paletted); !ok {
		t.Fatalf("decoded as %T, want *image.Paletted", dec)
	}
	x, _ := identityTensor(t, dec, 3)
	want := []float32{1, 0, 1, 1, 0, 1, 1, 0, 0, 0, 1, 0} // R plane, G plane, B plane; index 2 is transparent: white
	for i := range want {
		if x[i] != want[i] {
			t.Fatalf("tensor %v, want %v", x, want)
		}
	}
	// An index past the palette reads as opaque black, without a panic.
	img.Palette = pal[:1]
	img.Pix = []uint8{0, 5, 0, 0}
	if _, err := ToTensor(img, 2, 1, identityNorm(1)); err != nil {
		t.Fatal(err)
	}
}

func TestAnimatedGIFFirstFrame(t *testing.T) {
	frame := func(c color.Color) *image.Paletted {
		m := image.NewPaletted(image.Rect(0, 0, 4, 4), palette.Plan9)
		for y := range 4 {
			for x := range 4 {
				m.Set(x, y, c)
			}
		}
		return m
	}
	var buf bytes.Buffer
	anim := &gif.GIF{Image: []*image.Paletted{frame(color.RGBA{R: 255, A: 255}), frame(color.RGBA{B: 255, A: 255})}, Delay: []int{10, 10}}
	if err := gif.EncodeAll(&buf, anim); err != nil {
		t.Fatal(err)
	}
	x, err := LoadBytes(buf.Bytes(), 4, 3, identityNorm(3))
	if err != nil {
		t.Fatal(err)
	}
	if x[0] != 1 || x[16] != 0 || x[32] != 0 {
		t.Errorf("first pixel RGB = %v %v %v, want the red first frame", x[0], x[16], x[32])
	}
}

// TestGIFFrameOnItsScreen: a first frame smaller than the GIF's logical
// screen is placed at its offset on a transparent screen, as browsers show
// it, not taken in its own rectangle.
func TestGIFFrameOnItsScreen(t *testing.T) {
	pal := color.Palette{color.RGBA{R: 255, A: 255}, color.RGBA{}}
	frame := image.NewPaletted(image.Rect(4, 2, 8, 6), pal) // index 0: red everywhere
	var buf bytes.Buffer
	g := &gif.GIF{Image: []*image.Paletted{frame}, Delay: []int{0}, Config: image.Config{ColorModel: pal, Width: 8, Height: 8}}
	if err := gif.EncodeAll(&buf, g); err != nil {
		t.Fatal(err)
	}
	img, err := DecodeBytes(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if got := img.Bounds(); got != image.Rect(0, 0, 8, 8) {
		t.Fatalf("bounds %v, want the 8x8 screen", got)
	}
	for _, tc := range []struct {
		x, y  int
		alpha uint32
	}{{0, 0, 0}, {3, 2, 0}, {4, 2, 0xffff}, {7, 5, 0xffff}, {7, 6, 0}} {
		r, _, _, a := img.At(tc.x, tc.y).RGBA()
		if a != tc.alpha || (a != 0 && r != 0xffff) {
			t.Errorf("pixel (%d,%d): r %#x alpha %#x, want alpha %#x (red inside the frame)", tc.x, tc.y, r, a, tc.alpha)
		}
	}
}

// TestOrientation decodes JPEGs whose EXIF orientation (1..8) tells how the
// stored pixels must be turned; Pillow's exif_transpose confirmed when the
// fixtures were written that every one of them displays the same picture:
// red, green over blue, white quadrants, 48x32.
func TestOrientation(t *testing.T) {
	quadrants := []struct {
		x, y int
		rgb  [3]float64
	}{{10, 8, [3]float64{255, 0, 0}}, {36, 8, [3]float64{0, 255, 0}}, {10, 24, [3]float64{0, 0, 255}}, {36, 24, [3]float64{255, 255, 255}}}
	for o := 1; o <= 8; o++ {
		name := "orient_" + string(rune('0'+o)) + ".jpg"
		t.Run(name, func(t *testing.T) {
			b := readFixture(t, name)
			if got := jpegOrientation(b); got != o {
				t.Fatalf("orientation tag read as %d, want %d", got, o)
			}
			img, err := DecodeBytes(b)
			if err != nil {
				t.Fatal(err)
			}
			if img.Bounds() != image.Rect(0, 0, 48, 32) {
				t.Fatalf("bounds %v, want 48x32", img.Bounds())
			}
			for _, q := range quadrants {
				got := rgb8(img, q.x, q.y)
				for c := range 3 {
					if math.Abs(got[c]-q.rgb[c]) > 24 {
						t.Errorf("(%d,%d) = %v, want %v", q.x, q.y, got, q.rgb)
						break
					}
				}
			}
			// ToTensor reads through the orientation without copying: the
			// same tensor as from a materialised copy.
			copyImg := image.NewRGBA64(img.Bounds())
			for y := range 32 {
				for x := range 48 {
					copyImg.Set(x, y, img.At(x, y))
				}
			}
			a, err := ToTensor(img, 16, 3, modelfile.DefaultNorm(3))
			if err != nil {
				t.Fatal(err)
			}
			c, _ := ToTensor(copyImg, 16, 3, modelfile.DefaultNorm(3))
			if hashFloats(a) != hashFloats(c) {
				t.Error("tensor through Oriented differs from the tensor of a copy")
			}
		})
	}
}

// exifJPEG builds SOI + an APP1 segment with the given TIFF payload + the
// rest of a real JPEG.
func exifJPEG(tiffBlock []byte) []byte {
	seg := append([]byte("Exif\x00\x00"), tiffBlock...)
	out := []byte{0xFF, 0xD8, 0xFF, 0xE1, byte((len(seg) + 2) >> 8), byte(len(seg) + 2)}
	return append(append(out, seg...), 0xFF, 0xD9)
}

func tiffWithOrientation(bo binary.ByteOrder, typ uint16, count uint32, value uint16, ifdOffset uint32, entries uint16) []byte {
	b := make([]byte, 8+2+12)
	if bo == binary.LittleEndian {
		copy(b, "II*\x00")
	} else {
		copy(b, "MM\x00*")
	}
	bo.PutUint32(b[4:], ifdOffset)
	bo.PutUint16(b[8:], entries)
	bo.PutUint16(b[10:], 0x0112)
	bo.PutUint16(b[12:], typ)
	bo.PutUint32(b[14:], count)
	bo.PutUint16(b[18:], value)
	return b
}

func TestEXIFParserValidates(t *testing.T) {
	le, be := binary.LittleEndian, binary.BigEndian
	tests := []struct {
		name string
		data []byte
		want int
	}{
		{"little endian", exifJPEG(tiffWithOrientation(le, 3, 1, 6, 8, 1)), 6},
		{"big endian", exifJPEG(tiffWithOrientation(be, 3, 1, 8, 8, 1)), 8},
		{"value out of range", exifJPEG(tiffWithOrientation(le, 3, 1, 9, 8, 1)), 0},
		{"wrong type", exifJPEG(tiffWithOrientation(le, 4, 1, 6, 8, 1)), 0},
		{"IFD offset past the end", exifJPEG(tiffWithOrientation(le, 3, 1, 6, 4000, 1)), 0},
		{"IFD offset inside the header", exifJPEG(tiffWithOrientation(le, 3, 1, 6, 2, 1)), 0},
		{"entry count past the end", exifJPEG(tiffWithOrientation(le, 3, 1, 6, 8, 999)), 0},
		{"bad byte order", exifJPEG([]byte("XX*\x00\x08\x00\x00\x00")), 0},
		{"segment length past the end", []byte{0xFF, 0xD8, 0xFF, 0xE1, 0xFF, 0xFF, 'E', 'x'}, 0},
		{"segment length below 2", []byte{0xFF, 0xD8, 0xFF, 0xE1, 0x00, 0x01, 0, 0}, 0},
		{"not a JPEG", []byte("GIF89a"), 0},
		{"empty", nil, 0},
	}
	for _, tc := range tests {
		if got := jpegOrientation(tc.data); got != tc.want {
			t.Errorf("%s: orientation %d, want %d", tc.name, got, tc.want)
		}
	}
}

// pngHeader is a PNG signature and an IHDR chunk (correct CRC) and nothing
// else: enough for DecodeConfig, not for Decode.
func pngHeader(w, h uint32) []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	ihdr := make([]byte, 4+13)
	copy(ihdr, "IHDR")
	binary.BigEndian.PutUint32(ihdr[4:], w)
	binary.BigEndian.PutUint32(ihdr[8:], h)
	ihdr[12], ihdr[13] = 8, 2 // 8-bit RGB
	binary.Write(&b, binary.BigEndian, uint32(13))
	b.Write(ihdr)
	binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(ihdr))
	return b.Bytes()
}

func TestLimits(t *testing.T) {
	tests := []struct {
		name string
		data []byte
		want string // "limit", "format"
	}{
		{"100000x100000 PNG header", pngHeader(100000, 100000), "limit"},
		{"side above MaxDimension", pngHeader(MaxDimension+1, 1), "limit"},
		{"64 megapixels", pngHeader(8000, 8000), "limit"},
		{"header only, within limits", pngHeader(64, 64), "format"},
		{"empty", nil, "format"},
		{"not an image", []byte("hello, this is text and not a picture"), "format"},
		// Found by FuzzDecode: a 72-byte TIFF whose IFD offset is near 4 GiB
		// made x/image/tiff allocate that much behind image.DecodeConfig.
		{"TIFF with a 4 GiB IFD offset", readFixture(t, "tiff_offset_bomb.tiff"), "format"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			img, err := DecodeBytes(tc.data)
			runtime.ReadMemStats(&after)
			if img != nil || err == nil {
				t.Fatalf("got an image, want an error")
			}
			var le *LimitError
			var fe *FormatError
			switch tc.want {
			case "limit":
				if !errors.As(err, &le) {
					t.Fatalf("error %T %v, want *LimitError", err, err)
				}
			case "format":
				if !errors.As(err, &fe) {
					t.Fatalf("error %T %v, want *FormatError", err, err)
				}
			}
			if grown := after.TotalAlloc - before.TotalAlloc; grown > 1<<20 {
				t.Errorf("refusing the file allocated %d bytes", grown)
			}
		})
	}
	// The messages say what to do.
	_, err := DecodeBytes(pngHeader(100000, 100000))
	if want := "png image is 100000x100000: a side is longer than 16384 pixels; downscale it"; !bytes.Contains([]byte(err.Error()), []byte(want)) {
		t.Errorf("message %q does not contain %q", err, want)
	}
}

func TestFileSizeLimit(t *testing.T) {
	// The reader stops one byte past the limit, whatever the stream's length.
	if _, err := readLimited(io.LimitReader(zeros{}, 1<<40), 1000); err == nil {
		t.Fatal("no error for an endless stream")
	} else if le := (*LimitError)(nil); !errors.As(err, &le) || le.Bytes != 1001 || !strings.Contains(err.Error(), "MiB") {
		t.Errorf("error %v", err)
	}
	if b, err := readLimited(bytes.NewReader(make([]byte, 1000)), 1000); err != nil || len(b) != 1000 {
		t.Errorf("a stream of exactly the limit: %d bytes, %v", len(b), err)
	}
	if _, err := Decode(errReader{}); err == nil || !strings.Contains(err.Error(), "reading image") {
		t.Errorf("reader error: %v", err)
	}
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) { clear(p); return len(p), nil }

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("disk on fire") }

func TestTruncatedFiles(t *testing.T) {
	full := readFixture(t, "orient_1.jpg")
	for _, tc := range []struct {
		name, format string
		data         []byte
	}{
		{"jpeg cut in the scan", "jpeg", full[:len(full)/2]},
		{"png cut after the header", "png", pngHeader(8, 8)},
	} {
		_, err := DecodeBytes(tc.data)
		var fe *FormatError
		if !errors.As(err, &fe) || fe.Format != tc.format {
			t.Errorf("%s: error %v, want a *FormatError for %s", tc.name, err, tc.format)
		}
	}
}

// TestResizeMatchesPillow compares with torchvision's Resize + CenterCrop as
// Pillow computes them. Pillow rounds to 8 bits after each of its two
// passes; the second pass is a convex combination, so the rounding of the
// first stays below 0.5 and the final rounding adds 0.5: at most one 8-bit
// level apart.
func TestResizeMatchesPillow(t *testing.T) {
	const tolerance = 1.0 + 1e-6 // 8-bit levels
	tests := []struct {
		src, ref string
		isize    int
		nc       int
	}{
		{"resize_src_rgb.png", "resize_ref_rgb_8.png", 8, 3},     // shrink, antialiased
		{"resize_src_grey.png", "resize_ref_grey_32.png", 32, 1}, // MNIST 28 -> 32
		{"resize_src_tall.png", "resize_ref_tall_16.png", 16, 1}, // tall, crop rows
		{"resize_src_tall.png", "resize_ref_tall_7.png", 7, 1},   // strong shrink
	}
	for _, tc := range tests {
		t.Run(tc.ref, func(t *testing.T) {
			x, err := ToTensor(decodeFixture(t, tc.src), tc.isize, tc.nc, identityNorm(tc.nc))
			if err != nil {
				t.Fatal(err)
			}
			ref := decodeFixture(t, tc.ref)
			var worst, sum float64
			plane := tc.isize * tc.isize
			for y := range tc.isize {
				for xx := range tc.isize {
					want := rgb8(ref, xx, y)
					for c := range tc.nc {
						d := math.Abs(float64(x[c*plane+y*tc.isize+xx])*255 - want[c])
						worst = math.Max(worst, d)
						sum += d
					}
				}
			}
			if worst > tolerance {
				t.Errorf("max difference from Pillow %.3f levels, allowed %v", worst, tolerance)
			}
			if mean := sum / float64(plane*tc.nc); mean > 0.5 {
				t.Errorf("mean difference from Pillow %.3f levels, want below 0.5", mean)
			}
		})
	}
}

func TestResizeAndCropGeometry(t *testing.T) {
	tests := []struct {
		w, h, size int
		rw, rh     int
		left, top  int
	}{
		{23, 17, 8, 10, 8, 1, 0},
		{19, 41, 16, 16, 34, 0, 9},
		{28, 28, 32, 32, 32, 0, 0},
		{3, 2, 2, 3, 2, 0, 0}, // round(0.5) = 0: Python rounds half to even
		{5, 2, 2, 5, 2, 2, 0}, // round(1.5) = 2
		{7, 2, 2, 7, 2, 2, 0}, // round(2.5) = 2
	}
	for _, tc := range tests {
		rw, rh := resizedSize(tc.w, tc.h, tc.size)
		left := int(math.RoundToEven(float64(rw-tc.size) / 2))
		top := int(math.RoundToEven(float64(rh-tc.size) / 2))
		if rw != tc.rw || rh != tc.rh || left != tc.left || top != tc.top {
			t.Errorf("%dx%d -> %d: resized %dx%d crop at (%d,%d), want %dx%d at (%d,%d)",
				tc.w, tc.h, tc.size, rw, rh, left, top, tc.rw, tc.rh, tc.left, tc.top)
		}
	}
	// The crop really takes those columns: a 5x2 image with one value per
	// column, cropped to 2x2 from column 2.
	img := image.NewGray(image.Rect(0, 0, 5, 2))
	for i := range img.Pix {
		img.Pix[i] = uint8(10 * (i % 5))
	}
	x, err := ToTensor(img, 2, 1, identityNorm(1))
	if err != nil {
		t.Fatal(err)
	}
	if x[0]*255 != 20 || x[1]*255 != 30 {
		t.Errorf("cropped row %v, want columns 2 and 3 (20, 30)", []float32{x[0] * 255, x[1] * 255})
	}
}

func TestGreyAndColour(t *testing.T) {
	img := image.NewNRGBA(image.Rect(0, 0, 2, 2))
	img.SetNRGBA(0, 0, color.NRGBA{R: 255, A: 255})
	img.SetNRGBA(1, 0, color.NRGBA{G: 255, A: 255})
	img.SetNRGBA(0, 1, color.NRGBA{B: 255, A: 255})
	img.SetNRGBA(1, 1, color.NRGBA{R: 77, G: 77, B: 77, A: 255})
	x, _ := identityTensor(t, img, 1)
	want := []float32{0.299, 0.587, 0.114, float32(77 * 257.0 / 65535)}
	for i := range want {
		if math.Abs(float64(x[i]-want[i])) > 1e-7 {
			t.Errorf("luma %d = %v, want %v", i, x[i], want[i])
		}
	}
	if x[3] != want[3] {
		t.Errorf("grey pixel %v is not exactly its value %v", x[3], want[3])
	}
	// A grey image in a colour model: three equal planes.
	g := image.NewGray(image.Rect(0, 0, 3, 3))
	for i := range g.Pix {
		g.Pix[i] = uint8(i * 30)
	}
	y, _ := identityTensor(t, g, 3)
	for i := range 9 {
		if y[i] != y[9+i] || y[i] != y[18+i] {
			t.Fatalf("grey pixel %d replicated as %v %v %v", i, y[i], y[9+i], y[18+i])
		}
	}
}

func TestNormalisationAndToImage(t *testing.T) {
	g := image.NewGray(image.Rect(0, 0, 16, 16))
	for i := range g.Pix {
		g.Pix[i] = uint8(i)
	}
	for _, norm := range []modelfile.Norm{modelfile.DefaultNorm(1), {Mean: []float64{0.1307}, Std: []float64{0.3081}}} {
		x, err := ToTensor(g, 16, 1, norm)
		if err != nil {
			t.Fatal(err)
		}
		if want := float32((0 - norm.Mean[0]) / norm.Std[0]); x[0] != want {
			t.Errorf("black pixel normalised to %v, want %v", x[0], want)
		}
		back := ToImage(x, 16, 1, norm).(*image.Gray)
		if !bytes.Equal(back.Pix, g.Pix) {
			t.Errorf("mean %v: ToImage(ToTensor(img)) differs from img", norm.Mean)
		}
	}
	rgb := ToImage([]float32{-5, 5, float32(math.NaN())}, 1, 3, modelfile.DefaultNorm(3))
	if rgb == nil {
		t.Fatal("ToImage returned nil")
	}
	if c := rgb.(*image.NRGBA).NRGBAAt(0, 0); c != (color.NRGBA{R: 0, G: 255, B: 0, A: 255}) {
		t.Errorf("clamped pixel %v", c)
	}
	if ToImage(make([]float32, 5), 2, 1, modelfile.DefaultNorm(1)) != nil {
		t.Error("ToImage with a wrong length must be nil")
	}
}

func TestToTensorArguments(t *testing.T) {
	img := image.NewGray(image.Rect(0, 0, 4, 4))
	tests := []struct {
		name  string
		img   image.Image
		isize int
		nc    int
		norm  modelfile.Norm
	}{
		{"nil image", nil, 4, 1, modelfile.DefaultNorm(1)},
		{"isize 0", img, 0, 1, modelfile.DefaultNorm(1)},
		{"isize too large", img, MaxISize + 1, 1, modelfile.DefaultNorm(1)},
		{"nc 2", img, 4, 2, modelfile.DefaultNorm(2)},
		{"norm for the wrong nc", img, 4, 3, modelfile.DefaultNorm(1)},
		{"zero std", img, 4, 1, modelfile.Norm{Mean: []float64{0}, Std: []float64{0}}},
		{"empty image", image.NewGray(image.Rect(0, 0, 0, 3)), 4, 1, modelfile.DefaultNorm(1)},
	}
	for _, tc := range tests {
		if _, err := ToTensor(tc.img, tc.isize, tc.nc, tc.norm); err == nil {
			t.Errorf("%s: no error", tc.name)
		}
	}
}

func TestLoadFile(t *testing.T) {
	x, err := LoadFile(filepath.Join("testdata", "base.png"), 16, 3, modelfile.DefaultNorm(3))
	if err != nil || len(x) != 3*16*16 {
		t.Fatalf("LoadFile: %d values, %v", len(x), err)
	}
	_, err = LoadFile(filepath.Join("testdata", "make_fixtures.py"), 16, 3, modelfile.DefaultNorm(3))
	var fe *FormatError
	if !errors.As(err, &fe) || !bytes.Contains([]byte(err.Error()), []byte("make_fixtures.py")) {
		t.Errorf("LoadFile on a script: %v, want a *FormatError naming the file", err)
	}
	if _, err := LoadFile(filepath.Join("testdata", "missing.png"), 16, 3, modelfile.DefaultNorm(3)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}

func hashFloats(x []float32) string {
	h := sha256.New()
	b := make([]byte, 4)
	for _, v := range x {
		binary.LittleEndian.PutUint32(b, math.Float32bits(v))
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// TestGoldenTensors pins the exact output bits. The same hashes must come
// out natively and under GOOS=js GOARCH=wasm (scripts/test-wasm.sh); a
// deliberate change of the pipeline updates them (the failure prints the new
// value).
func TestGoldenTensors(t *testing.T) {
	tests := []struct {
		file  string
		isize int
		nc    int
		want  string
	}{
		{"resize_src_rgb.png", 8, 3, "3d0daac316ecb895"},
		{"resize_src_grey.png", 32, 1, "3bf53e5920208448"},
		{"orient_6.jpg", 16, 3, "8bd1c3f3c64cc328"},
		{"cmyk.jpg", 16, 1, "ee964318fa437b91"},
		{"base_lossy.webp", 32, 3, "788c69cb0c5ca9ec"},
		{"gray16.tiff", 32, 1, "ec12822211842ecf"},
		{"alpha.webp", 16, 3, "ea5045008d3795c4"},
	}
	for _, tc := range tests {
		x, err := LoadFile(filepath.Join("testdata", tc.file), tc.isize, tc.nc, modelfile.DefaultNorm(tc.nc))
		if err != nil {
			t.Fatal(err)
		}
		if got := hashFloats(x); got != tc.want {
			t.Errorf("%s isize %d nc %d: hash %s, want %s", tc.file, tc.isize, tc.nc, got, tc.want)
		}
	}
}

func FuzzDecode(f *testing.F) {
	entries, err := os.ReadDir("testdata")
	if err != nil {
		f.Fatal(err)
	}
	for _, e := range entries {
		if !e.IsDir() && filepath.Ext(e.Name()) != ".py" {
			f.Add(readFixture(f, e.Name()))
		}
	}
	f.Add(pngHeader(100000, 100000))
	f.Add(exifJPEG(tiffWithOrientation(binary.LittleEndian, 3, 1, 6, 8, 1)))
	f.Fuzz(func(t *testing.T, b []byte) {
		img, err := DecodeBytes(b)
		if err != nil {
			var le *LimitError
			var fe *FormatError
			if !errors.As(err, &le) && !errors.As(err, &fe) {
				t.Fatalf("untyped error %T: %v", err, err)
			}
			return
		}
		bd := img.Bounds()
		if bd.Empty() || bd.Dx() > MaxDimension || bd.Dy() > MaxDimension {
			t.Fatalf("accepted bounds %v", bd)
		}
		if _, err := ToTensor(img, 8, 3, modelfile.DefaultNorm(3)); err != nil {
			t.Fatalf("decoded image does not convert: %v", err)
		}
	})
}

func BenchmarkToTensorPhoto(b *testing.B) {
	img := image.NewYCbCr(image.Rect(0, 0, 1024, 768), image.YCbCrSubsampleRatio420)
	for i := range img.Y {
		img.Y[i] = uint8(i)
	}
	for b.Loop() {
		if _, err := ToTensor(img, 32, 3, modelfile.DefaultNorm(3)); err != nil {
			b.Fatal(err)
		}
	}
}

// TestRowReadersMatchGeneric checks that the specialised row loops give
// exactly the bits of the generic per-pixel path, for every image type they
// handle, both channel counts, and an image whose bounds do not start at 0.
func TestRowReadersMatchGeneric(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	fill := func(p []uint8) {
		for i := range p {
			p[i] = uint8(rng.IntN(256))
		}
	}
	r := image.Rect(3, 5, 40, 31)
	ycc := image.NewYCbCr(r, image.YCbCrSubsampleRatio420)
	fill(ycc.Y)
	fill(ycc.Cb)
	fill(ycc.Cr)
	gray := image.NewGray(r)
	fill(gray.Pix)
	rgba := image.NewRGBA(r)
	fill(rgba.Pix)
	for i := 0; i < len(rgba.Pix); i += 4 { // keep it valid premultiplied
		a := rgba.Pix[i+3]
		rgba.Pix[i], rgba.Pix[i+1], rgba.Pix[i+2] = min(rgba.Pix[i], a), min(rgba.Pix[i+1], a), min(rgba.Pix[i+2], a)
	}
	nrgba := image.NewNRGBA(r)
	fill(nrgba.Pix)
	for _, img := range []image.Image{ycc, gray, rgba, nrgba, ycc.SubImage(image.Rect(10, 10, 30, 20))} {
		for _, nc := range []int{1, 3} {
			fastRows = true
			fast, err := ToTensor(img, 12, nc, modelfile.DefaultNorm(nc))
			fastRows = false
			slow, err2 := ToTensor(img, 12, nc, modelfile.DefaultNorm(nc))
			fastRows = true
			if err != nil || err2 != nil {
				t.Fatal(err, err2)
			}
			if hashFloats(fast) != hashFloats(slow) {
				t.Errorf("%T nc %d: the fast row loop differs from the generic path", img, nc)
			}
		}
	}
}

func BenchmarkToTensorPhotoGeneric(b *testing.B) {
	fastRows = false
	defer func() { fastRows = true }()
	BenchmarkToTensorPhoto(b)
}
