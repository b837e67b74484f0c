package render

import (
	"errors"
	"fmt"
	"image"
	"math"
	"strconv"

	"github.com/ganomaly-go/ganomaly/modelfile"
	"golang.org/x/image/draw"
)

// ShortScore prints a score for people to read: a plain decimal with 4
// significant digits (0.02270, 12.35), on the page and on result cards.
// Files, hooks and JSON keep every digit.
func ShortScore(s float64) string {
	if s == 0 || math.IsNaN(s) || math.IsInf(s, 0) {
		return strconv.FormatFloat(s, 'f', -1, 64)
	}
	decimals := 3 - int(math.Floor(math.Log10(math.Abs(s))))
	return strconv.FormatFloat(s, 'f', max(decimals, 0), 64)
}

// HeatFullScale is the |x − x̂| in [0, 1] pixel units (averaged over
// channels) that gets the hottest colour in every heat map: the page, the
// command line's cards and the trainer's report. It is fixed, not stretched
// per image, so that heat maps of different images compare; half the pixel
// range is already a gross reconstruction error.
const HeatFullScale = 0.5

// HeatScale is HeatFullScale in the units of a |x − x̂| map of tensors
// normalised with norm (the engine's Result.Diff): divided by the mean of
// the standard deviations.
func HeatScale(norm modelfile.Norm) float64 {
	var std float64
	for _, s := range norm.Std {
		std += s
	}
	if std <= 0 {
		return HeatFullScale
	}
	return HeatFullScale / (std / float64(len(norm.Std)))
}

// ModelCard draws the result card of an image scored by a model, from the
// tensors: x and x̂ (normalised CHW), the |x − x̂| map (isize×isize, mean
// over channels) on HeatScale, and the score against the threshold on the
// model's calibrated score scale. The command line, the page and tests use
// it, so the card looks the same everywhere.
func ModelCard(title string, x, xhat, diff []float32, score, threshold float64, meta modelfile.Metadata) (*image.NRGBA, error) {
	arch := meta.Arch
	in, err := Tensor(x, arch.ISize, arch.NC, meta.Norm)
	if err != nil {
		return nil, err
	}
	rec, err := Tensor(xhat, arch.ISize, arch.NC, meta.Norm)
	if err != nil {
		return nil, err
	}
	c := CardInput{Title: title, Input: in, Reconstruction: rec, Diff: diff, DiffSize: arch.ISize,
		DiffScale: HeatScale(meta.Norm), Score: score, Threshold: threshold}
	if meta.Calibration != nil {
		c.Scale = meta.Calibration.ScoreScale
	}
	return Card(c)
}

// CardInput is one scored image.
type CardInput struct {
	Title          string      // e.g. the file name
	Input          image.Image // the image as the model saw it
	Reconstruction image.Image // x̂
	Diff           []float32   // |x − x̂| map, DiffSize×DiffSize (engine Result.Diff)
	DiffSize       int
	DiffScale      float64 // heat map full scale; ≤ 0: the map's maximum
	Score          float64
	Threshold      float64
	Scale          modelfile.ScoreScale // display range of scores (calibration); zero: none
	ImageSize      int                  // pixels per image on the card (default 128)
}

// Anomalous is the card's verdict: score above threshold, or NaN.
func (c CardInput) Anomalous() bool { return math.IsNaN(c.Score) || c.Score > c.Threshold }

// Card draws a result card: the title, the input, its reconstruction and the
// heat map of |x − x̂| side by side, the score against the threshold with a
// bar on the calibrated scale, and the verdict.
func Card(c CardInput) (*image.NRGBA, error) {
	if c.Input == nil || c.Reconstruction == nil {
		return nil, errors.New("render: a card needs the input and the reconstruction")
	}
	s := c.ImageSize
	if s <= 0 {
		s = 128
	}
	heat, err := HeatMap(c.Diff, c.DiffSize, c.DiffScale)
	if err != nil {
		return nil, err
	}
	verdict, vcol := "normal", NormalColor
	if c.Anomalous() {
		verdict, vcol = "anomalous", AnomalyColor
	}
	cells := []Cell{
		{Image: c.Input, Caption: "input"},
		{Image: c.Reconstruction, Caption: "reconstruction"},
		{Image: heat, Caption: "|x − recon|"},
	}
	grid, err := Grid([][]Cell{cells}, GridOptions{CellSize: s, Title: c.Title, FontSize: 13})
	if err != nil {
		return nil, err
	}
	gb := grid.Bounds()
	extra := 64
	out := image.NewNRGBA(image.Rect(0, 0, gb.Dx(), gb.Dy()+extra))
	draw.Draw(out, out.Bounds(), image.NewUniform(Background), image.Point{}, draw.Src)
	draw.Draw(out, gb, grid, image.Point{}, draw.Src)
	y := gb.Dy() + 4
	pad := 6
	line := fmt.Sprintf("score %s   threshold %s", ShortScore(c.Score), ShortScore(c.Threshold))
	if err := DrawText(out, pad, y+14, line, Style{Size: 14, Color: TextColor}); err != nil {
		return nil, err
	}
	if err := DrawText(out, pad, y+36, verdict, Style{Size: 18, Bold: true, Color: vcol}); err != nil {
		return nil, err
	}
	frame(out, image.Rect(0, 0, out.Bounds().Dx(), out.Bounds().Dy()), 3, vcol)
	if c.Scale.Max > c.Scale.Min {
		x0, x1 := 120, out.Bounds().Dx()-2*pad
		if x1-x0 > 40 {
			by := y + 46
			frac := func(v float64) int {
				f := (v - c.Scale.Min) / (c.Scale.Max - c.Scale.Min)
				f = math.Min(math.Max(f, 0), 1)
				return x0 + int(f*float64(x1-x0))
			}
			draw.Draw(out, image.Rect(x0, by, x1, by+8), image.NewUniform(FrameColor), image.Point{}, draw.Src)
			sx := frac(c.Score)
			if math.IsNaN(c.Score) {
				sx = x1
			}
			draw.Draw(out, image.Rect(x0, by, max(sx, x0+1), by+8), image.NewUniform(vcol), image.Point{}, draw.Src)
			tx := frac(c.Threshold)
			draw.Draw(out, image.Rect(tx-1, by-4, tx+1, by+12), image.NewUniform(TextColor), image.Point{}, draw.Src)
		}
	}
	return out, nil
}
