package preprocess

import (
	"image"
	"image/color"
)

// rgba64 returns a pixel as alpha-premultiplied 16-bit values, exactly what
// img.At(x, y).RGBA() returns, without boxing a color.Color per pixel for
// the image types the decoders produce.
type rgba64 func(x, y int) (r, g, b, a uint32)

func pixelReader(img image.Image) rgba64 {
	switch m := img.(type) {
	case *image.Gray:
		return func(x, y int) (r, g, b, a uint32) {
			return color.Gray{Y: m.Pix[m.PixOffset(x, y)]}.RGBA()
		}
	case *image.Gray16:
		return func(x, y int) (r, g, b, a uint32) {
			i := m.PixOffset(x, y)
			return color.Gray16{Y: uint16(m.Pix[i])<<8 | uint16(m.Pix[i+1])}.RGBA()
		}
	case *image.RGBA:
		return func(x, y int) (r, g, b, a uint32) {
			p := m.Pix[m.PixOffset(x, y):]
			return color.RGBA{R: p[0], G: p[1], B: p[2], A: p[3]}.RGBA()
		}
	case *image.NRGBA:
		return func(x, y int) (r, g, b, a uint32) {
			p := m.Pix[m.PixOffset(x, y):]
			return color.NRGBA{R: p[0], G: p[1], B: p[2], A: p[3]}.RGBA()
		}
	case *image.RGBA64:
		return func(x, y int) (r, g, b, a uint32) {
			return m.RGBA64At(x, y).RGBA()
		}
	case *image.NRGBA64:
		return func(x, y int) (r, g, b, a uint32) {
			return m.NRGBA64At(x, y).RGBA()
		}
	case *image.YCbCr:
		return func(x, y int) (r, g, b, a uint32) {
			return m.YCbCrAt(x, y).RGBA()
		}
	case *image.NYCbCrA:
		return func(x, y int) (r, g, b, a uint32) {
			return m.NYCbCrAAt(x, y).RGBA()
		}
	case *image.CMYK:
		return func(x, y int) (r, g, b, a uint32) {
			return m.CMYKAt(x, y).RGBA()
		}
	case *image.Paletted:
		// Expand the palette once. Indices past its end (a malformed file)
		// read as opaque black instead of panicking.
		var table [256][4]uint32
		for i := range table {
			table[i][3] = 0xffff
			if i < len(m.Palette) && m.Palette[i] != nil {
				table[i][0], table[i][1], table[i][2], table[i][3] = m.Palette[i].RGBA()
			}
		}
		return func(x, y int) (r, g, b, a uint32) {
			c := &table[m.Pix[m.PixOffset(x, y)]]
			return c[0], c[1], c[2], c[3]
		}
	}
	return func(x, y int) (r, g, b, a uint32) {
		c := img.At(x, y)
		if c == nil {
			return 0, 0, 0, 0xffff
		}
		return c.RGBA()
	}
}

// Luma coefficients of ITU-R BT.601 (the "L" of Pillow and of most image
// libraries).
const (
	lumaR = 0.299
	lumaG = 0.587
	lumaB = 0.114
)

// channels writes one pixel as nc values in [0, 1], composited over white.
// Grey pixels (R = G = B) give exactly that value for nc 1.
func channels(r, g, b, a uint32, nc int, dst []float64) {
	white := 0xffff - min(a, 0xffff)
	r, g, b = min(r+white, 0xffff), min(g+white, 0xffff), min(b+white, 0xffff)
	if nc == 1 {
		if r == g && g == b {
			dst[0] = float64(r) / 0xffff
			return
		}
		// Products are rounded one by one (explicit conversions), so no
		// platform can fuse them into multiply-adds.
		dst[0] = (float64(lumaR*float64(r)) + float64(lumaG*float64(g)) + float64(lumaB*float64(b))) / 0xffff
		return
	}
	dst[0] = float64(r) / 0xffff
	dst[1] = float64(g) / 0xffff
	dst[2] = float64(b) / 0xffff
}

// fastRows enables the specialised row loops (tests turn it off to compare
// with the generic path).
var fastRows = true

// rowFunc fills dst with the displayed pixels x0..x1-1 of row y (origin at
// (0, 0)), nc values each, as channels computes them.
type rowFunc func(y, x0, x1 int, dst []float64)

// rowReader returns a rowFunc for img seen through orientation. Unrotated
// images of the types the decoders produce most get loops without a call
// per pixel; they compute exactly what the generic path computes (the same
// color conversions), which TestRowReadersMatchGeneric checks.
func rowReader(img image.Image, orientation, nc int) rowFunc {
	b := img.Bounds()
	if orientation <= 1 && fastRows {
		switch m := img.(type) {
		case *image.YCbCr:
			return func(y, x0, x1 int, dst []float64) {
				sy := b.Min.Y + y
				for x := x0; x < x1; x++ {
					sx := b.Min.X + x
					yi, ci := m.YOffset(sx, sy), m.COffset(sx, sy)
					r, g, bl, a := color.YCbCr{Y: m.Y[yi], Cb: m.Cb[ci], Cr: m.Cr[ci]}.RGBA()
					channels(r, g, bl, a, nc, dst[(x-x0)*nc:])
				}
			}
		case *image.Gray:
			return func(y, x0, x1 int, dst []float64) {
				row := m.Pix[m.PixOffset(b.Min.X, b.Min.Y+y):]
				for x := x0; x < x1; x++ {
					v := uint32(row[x]) * 0x101
					channels(v, v, v, 0xffff, nc, dst[(x-x0)*nc:])
				}
			}
		case *image.RGBA:
			return func(y, x0, x1 int, dst []float64) {
				row := m.Pix[m.PixOffset(b.Min.X, b.Min.Y+y):]
				for x := x0; x < x1; x++ {
					p := row[4*x : 4*x+4]
					r, g, bl, a := color.RGBA{R: p[0], G: p[1], B: p[2], A: p[3]}.RGBA()
					channels(r, g, bl, a, nc, dst[(x-x0)*nc:])
				}
			}
		case *image.NRGBA:
			return func(y, x0, x1 int, dst []float64) {
				row := m.Pix[m.PixOffset(b.Min.X, b.Min.Y+y):]
				for x := x0; x < x1; x++ {
					p := row[4*x : 4*x+4]
					r, g, bl, a := color.NRGBA{R: p[0], G: p[1], B: p[2], A: p[3]}.RGBA()
					channels(r, g, bl, a, nc, dst[(x-x0)*nc:])
				}
			}
		}
	}
	read := pixelReader(img)
	return func(y, x0, x1 int, dst []float64) {
		for x := x0; x < x1; x++ {
			sx, sy := sourcePoint(b, orientation, x, y)
			r, g, bl, a := read(sx, sy)
			channels(r, g, bl, a, nc, dst[(x-x0)*nc:])
		}
	}
}
