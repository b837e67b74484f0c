package render

import (
	"errors"
	"image"
	"image/color"

	"golang.org/x/image/draw"
)

// Colours used by grids and cards.
var (
	Background   = color.NRGBA{255, 255, 255, 255}
	TextColor    = color.NRGBA{20, 20, 20, 255}
	MutedColor   = color.NRGBA{100, 100, 100, 255}
	NormalColor  = color.NRGBA{22, 128, 60, 255} // verdict "normal"
	AnomalyColor = color.NRGBA{200, 30, 30, 255} // verdict "anomalous"
	FrameColor   = color.NRGBA{210, 210, 210, 255}
)

// Cell is one image of a grid with an optional caption under it.
type Cell struct {
	Image        image.Image
	Caption      string
	CaptionColor color.Color // nil: TextColor
	Frame        color.Color // nil: no frame; e.g. the verdict colour
}

// GridOptions lay out a grid.
type GridOptions struct {
	CellSize  int      // pixels of each image (default 96)
	Title     string   // drawn above the grid
	RowLabels []string // drawn left of each row
	ColLabels []string // drawn above each column
	FontSize  float64  // caption size (default 12)
}

// Grid draws rows of captioned images on a white background.
func Grid(rows [][]Cell, opt GridOptions) (*image.NRGBA, error) {
	if len(rows) == 0 {
		return nil, errors.New("render: empty grid")
	}
	cs := opt.CellSize
	if cs <= 0 {
		cs = 96
	}
	fs := opt.FontSize
	if fs <= 0 {
		fs = 12
	}
	cols := 0
	for _, r := range rows {
		cols = max(cols, len(r))
	}
	small := Style{Size: fs, Color: TextColor}
	pad := 6
	capH := int(fs*1.4) + 4
	left := 0
	for _, l := range opt.RowLabels {
		w, err := TextWidth(l, Style{Size: fs, Bold: true})
		if err != nil {
			return nil, err
		}
		left = max(left, w+2*pad)
	}
	top := 0
	if opt.Title != "" {
		top += int(fs*2) + pad
	}
	if len(opt.ColLabels) > 0 {
		top += capH
	}
	cellW, cellH := cs+pad, cs+capH+pad
	W := left + cols*cellW + pad
	H := top + len(rows)*cellH + pad
	out := image.NewNRGBA(image.Rect(0, 0, W, H))
	draw.Draw(out, out.Bounds(), image.NewUniform(Background), image.Point{}, draw.Src)
	y := pad
	if opt.Title != "" {
		if err := DrawText(out, pad, y+int(fs*1.3), Ellipsize(opt.Title, W-2*pad, Style{Size: fs * 1.3, Bold: true}), Style{Size: fs * 1.3, Bold: true, Color: TextColor}); err != nil {
			return nil, err
		}
		y = int(fs*2) + pad
	}
	if len(opt.ColLabels) > 0 {
		for c, l := range opt.ColLabels {
			cx := left + pad + c*cellW + cs/2
			if err := DrawTextCentered(out, cx, y+int(fs), Ellipsize(l, cs, small), Style{Size: fs, Bold: true, Color: TextColor}); err != nil {
				return nil, err
			}
		}
	}
	for r, row := range rows {
		y0 := top + pad + r*cellH
		if r < len(opt.RowLabels) {
			if err := DrawText(out, pad, y0+cs/2, opt.RowLabels[r], Style{Size: fs, Bold: true, Color: TextColor}); err != nil {
				return nil, err
			}
		}
		for c, cell := range row {
			x0 := left + pad + c*cellW
			if cell.Image != nil {
				img := Scale(cell.Image, cs)
				draw.Draw(out, image.Rect(x0, y0, x0+cs, y0+cs), img, image.Point{}, draw.Src)
			}
			if cell.Frame != nil {
				frame(out, image.Rect(x0-2, y0-2, x0+cs+2, y0+cs+2), 2, cell.Frame)
			}
			if cell.Caption != "" {
				st := small
				if cell.CaptionColor != nil {
					st.Color = cell.CaptionColor
				}
				if err := DrawTextCentered(out, x0+cs/2, y0+cs+int(fs)+2, Ellipsize(cell.Caption, cs+pad, st), st); err != nil {
					return nil, err
				}
			}
		}
	}
	return out, nil
}

// frame draws a rectangle outline of width w inside r.
func frame(dst draw.Image, r image.Rectangle, w int, c color.Color) {
	u := image.NewUniform(c)
	draw.Draw(dst, image.Rect(r.Min.X, r.Min.Y, r.Max.X, r.Min.Y+w), u, image.Point{}, draw.Src)
	draw.Draw(dst, image.Rect(r.Min.X, r.Max.Y-w, r.Max.X, r.Max.Y), u, image.Point{}, draw.Src)
	draw.Draw(dst, image.Rect(r.Min.X, r.Min.Y, r.Min.X+w, r.Max.Y), u, image.Point{}, draw.Src)
	draw.Draw(dst, image.Rect(r.Max.X-w, r.Min.Y, r.Max.X, r.Max.Y), u, image.Point{}, draw.Src)
}
