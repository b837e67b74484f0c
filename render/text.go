package render

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"sync"

	"github.com/golang/freetype"
	"github.com/golang/freetype/truetype"
	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/math/fixed"
)

var (
	fontsOnce     sync.Once
	regular, bold *truetype.Font
	fontErr       error
)

func fonts() (*truetype.Font, *truetype.Font, error) {
	fontsOnce.Do(func() {
		if regular, fontErr = truetype.Parse(goregular.TTF); fontErr != nil {
			return
		}
		bold, fontErr = truetype.Parse(gobold.TTF)
	})
	if fontErr != nil {
		return nil, nil, fmt.Errorf("render: parsing the Go fonts: %w", fontErr)
	}
	return regular, bold, nil
}

// Style is how a line of text is drawn.
type Style struct {
	Size  float64 // points at 72 dpi, i.e. pixels
	Color color.Color
	Bold  bool
}

func (s Style) face() (font.Face, error) {
	r, b, err := fonts()
	if err != nil {
		return nil, err
	}
	f := r
	if s.Bold {
		f = b
	}
	return truetype.NewFace(f, &truetype.Options{Size: s.Size, DPI: 72, Hinting: font.HintingFull}), nil
}

// TextWidth is the advance width of s in pixels.
func TextWidth(text string, s Style) (int, error) {
	face, err := s.face()
	if err != nil {
		return 0, err
	}
	defer face.Close()
	return font.MeasureString(face, text).Ceil(), nil
}

// DrawText draws one line of text with its baseline at y, starting at x.
func DrawText(dst draw.Image, x, y int, text string, s Style) error {
	r, b, err := fonts()
	if err != nil {
		return err
	}
	f := r
	if s.Bold {
		f = b
	}
	col := s.Color
	if col == nil {
		col = color.Black
	}
	c := freetype.NewContext()
	c.SetDPI(72)
	c.SetFont(f)
	c.SetFontSize(s.Size)
	c.SetClip(dst.Bounds())
	c.SetDst(dst)
	c.SetSrc(image.NewUniform(col))
	c.SetHinting(font.HintingFull)
	_, err = c.DrawString(text, fixed.P(x, y))
	return err
}

// DrawTextCentered draws text centred horizontally on cx.
func DrawTextCentered(dst draw.Image, cx, y int, text string, s Style) error {
	w, err := TextWidth(text, s)
	if err != nil {
		return err
	}
	return DrawText(dst, cx-w/2, y, text, s)
}

// Ellipsize shortens text with "…" until it fits width pixels.
func Ellipsize(text string, width int, s Style) string {
	if w, err := TextWidth(text, s); err != nil || w <= width {
		return text
	}
	r := []rune(text)
	for len(r) > 0 {
		r = r[:len(r)-1]
		t := string(r) + "…"
		if w, err := TextWidth(t, s); err == nil && w <= width {
			return t
		}
	}
	return ""
}
