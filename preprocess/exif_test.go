package preprocess

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/png"
	"testing"
)

// exifBlock is a big-endian TIFF structure whose IFD0 holds one entry: the
// orientation o.
func exifBlock(o uint16) []byte {
	var b bytes.Buffer
	b.WriteString("MM\x00*")
	binary.Write(&b, binary.BigEndian, uint32(8)) // IFD0 offset
	binary.Write(&b, binary.BigEndian, uint16(1)) // one entry
	binary.Write(&b, binary.BigEndian, []uint16{0x0112, 3})
	binary.Write(&b, binary.BigEndian, uint32(1))
	binary.Write(&b, binary.BigEndian, []uint16{o, 0})
	binary.Write(&b, binary.BigEndian, uint32(0)) // no next IFD
	return b.Bytes()
}

// withPNGChunk inserts a chunk after a PNG's IHDR (which ends at byte 33).
func withPNGChunk(p []byte, typ string, data []byte) []byte {
	var c bytes.Buffer
	binary.Write(&c, binary.BigEndian, uint32(len(data)))
	c.WriteString(typ)
	c.Write(data)
	binary.Write(&c, binary.BigEndian, crc32.ChecksumIEEE(append([]byte(typ), data...)))
	return append(append(append([]byte{}, p[:33]...), c.Bytes()...), p[33:]...)
}

// withWebPEXIF turns a simple WebP file (RIFF, one VP8L chunk) into an
// extended one: VP8X with the EXIF flag, the image chunk, then EXIF.
func withWebPEXIF(w []byte, width, height int, exif []byte) []byte {
	var body bytes.Buffer
	body.WriteString("WEBP")
	body.WriteString("VP8X")
	binary.Write(&body, binary.LittleEndian, uint32(10))
	body.Write([]byte{0x08, 0, 0, 0}) // flags: EXIF
	for _, v := range []int{width - 1, height - 1} {
		body.Write([]byte{byte(v), byte(v >> 8), byte(v >> 16)})
	}
	body.Write(w[12:])
	body.WriteString("EXIF")
	binary.Write(&body, binary.LittleEndian, uint32(len(exif)))
	body.Write(exif)
	if len(exif)%2 == 1 {
		body.WriteByte(0)
	}
	var out bytes.Buffer
	out.WriteString("RIFF")
	binary.Write(&out, binary.LittleEndian, uint32(body.Len()))
	out.Write(body.Bytes())
	return out.Bytes()
}

// TestOrientationPNGAndWebP: PNG (eXIf chunk) and WebP (EXIF chunk) files
// are turned by their EXIF orientation as JPEGs are. Pillow 10.4's
// ImageOps.exif_transpose turned files built this way (orientation 6) the
// same way when the test was written, read the WebP orientation with or
// without an "Exif\0\0" header, and refused the PNG one with it.
func TestOrientationPNGAndWebP(t *testing.T) {
	// Displayed: red, green over blue, white quadrants, 48x32. Stored for
	// orientation 6 (rotate 90° clockwise to display): 32x48.
	quadrant := func(x, y int) color.RGBA {
		return [2][2]color.RGBA{{{255, 0, 0, 255}, {0, 255, 0, 255}}, {{0, 0, 255, 255}, {255, 255, 255, 255}}}[y/16][x/24]
	}
	stored := image.NewRGBA(image.Rect(0, 0, 32, 48))
	for y := range 32 {
		for x := range 48 {
			stored.SetRGBA(y, 47-x, quadrant(x, y))
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, stored); err != nil {
		t.Fatal(err)
	}
	t.Run("png", func(t *testing.T) {
		b := withPNGChunk(buf.Bytes(), "eXIf", exifBlock(6))
		img, err := DecodeBytes(b)
		if err != nil {
			t.Fatal(err)
		}
		if img.Bounds() != image.Rect(0, 0, 48, 32) {
			t.Fatalf("bounds %v, want the displayed 48x32", img.Bounds())
		}
		for y := range 32 {
			for x := range 48 {
				if r, g, b, _ := img.At(x, y).RGBA(); [3]uint32{r >> 8, g >> 8, b >> 8} != [3]uint32{uint32(quadrant(x, y).R), uint32(quadrant(x, y).G), uint32(quadrant(x, y).B)} {
					t.Fatalf("(%d,%d) = %d %d %d, want %v", x, y, r>>8, g>>8, b>>8, quadrant(x, y))
				}
			}
		}
	})

	t.Run("webp", func(t *testing.T) {
		plainBytes := readFixture(t, "base.webp")
		plain, err := DecodeBytes(plainBytes)
		if err != nil {
			t.Fatal(err)
		}
		pb := plain.Bounds()
		// an "Exif\0\0" header before the TIFF structure is accepted in WebP, as Pillow does
		if o := exifOrientation("webp", withWebPEXIF(plainBytes, pb.Dx(), pb.Dy(), append([]byte("Exif\x00\x00"), exifBlock(6)...))); o != 6 {
			t.Errorf("WebP EXIF with the Exif header: orientation %d, want 6", o)
		}
		img, err := DecodeBytes(withWebPEXIF(plainBytes, pb.Dx(), pb.Dy(), exifBlock(6)))
		if err != nil {
			t.Fatal(err)
		}
		want := &Oriented{Src: plain, Orientation: 6}
		if img.Bounds() != want.Bounds() || img.Bounds().Dx() != pb.Dy() {
			t.Fatalf("bounds %v, want %v", img.Bounds(), want.Bounds())
		}
		for y := range want.Bounds().Dy() {
			for x := range want.Bounds().Dx() {
				if img.At(x, y) != want.At(x, y) {
					t.Fatalf("(%d,%d) = %v, want %v", x, y, img.At(x, y), want.At(x, y))
				}
			}
		}
	})

	// Broken or absent blocks leave the image as it is.
	for name, b := range map[string][]byte{
		"png without eXIf":        buf.Bytes(),
		"png eXIf not TIFF":       withPNGChunk(buf.Bytes(), "eXIf", []byte("nonsense")),
		"png eXIf bad offset":     withPNGChunk(buf.Bytes(), "eXIf", append([]byte("MM\x00*\xff\xff\xff\xf0"), make([]byte, 8)...)),
		"png orientation 9":       withPNGChunk(buf.Bytes(), "eXIf", exifBlock(9)),
		"webp without EXIF":       readFixture(t, "base.webp"),
		"webp chunk past the end": append(readFixture(t, "base.webp")[:12:12], []byte("EXIF\xff\xff\x00\x00MM")...),
	} {
		var format string
		if bytes.HasPrefix(b, []byte("RIFF")) {
			format = "webp"
		} else {
			format = "png"
		}
		if o := exifOrientation(format, b); o != 0 {
			t.Errorf("%s: orientation %d, want 0", name, o)
		}
	}
}
