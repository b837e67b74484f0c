package preprocess

import (
	"image"
	"image/color"
)

// Oriented is an image shown with an EXIF orientation applied, without
// copying its pixels. Orientation follows the EXIF/TIFF tag 0x0112:
//
//	1 as stored           5 transposed (flipped over the main diagonal)
//	2 mirrored left-right 6 rotated 90° clockwise
//	3 rotated 180°        7 transverse (flipped over the anti-diagonal)
//	4 mirrored top-bottom 8 rotated 90° counter-clockwise
//
// Bounds start at (0, 0); for 5..8 width and height are swapped.
type Oriented struct {
	Src         image.Image
	Orientation int
}

// ColorModel is the source's colour model.
func (o *Oriented) ColorModel() color.Model { return o.Src.ColorModel() }

// Bounds is the displayed rectangle, at the origin.
func (o *Oriented) Bounds() image.Rectangle {
	w, h := orientedSize(o.Src.Bounds(), o.Orientation)
	return image.Rect(0, 0, w, h)
}

// At returns the displayed pixel at (x, y).
func (o *Oriented) At(x, y int) color.Color {
	if !(image.Point{x, y}.In(o.Bounds())) {
		return color.RGBA64{}
	}
	sx, sy := sourcePoint(o.Src.Bounds(), o.Orientation, x, y)
	return o.Src.At(sx, sy)
}

func orientedSize(b image.Rectangle, orientation int) (w, h int) {
	if orientation >= 5 && orientation <= 8 {
		return b.Dy(), b.Dx()
	}
	return b.Dx(), b.Dy()
}

// sourcePoint maps a displayed pixel (x, y), origin (0, 0), to the stored
// image's coordinates.
func sourcePoint(b image.Rectangle, orientation, x, y int) (int, int) {
	w, h := b.Dx(), b.Dy()
	var sx, sy int
	switch orientation {
	case 2:
		sx, sy = w-1-x, y
	case 3:
		sx, sy = w-1-x, h-1-y
	case 4:
		sx, sy = x, h-1-y
	case 5:
		sx, sy = y, x
	case 6:
		sx, sy = y, h-1-x
	case 7:
		sx, sy = w-1-y, h-1-x
	case 8:
		sx, sy = w-1-y, x
	default:
		sx, sy = x, y
	}
	return b.Min.X + sx, b.Min.Y + sy
}
