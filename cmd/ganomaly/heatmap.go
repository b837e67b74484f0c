package main

import (
	"fmt"
	"image/png"
	"io"
	"os"
	"path/filepath"

	"github.com/ganomaly-go/ganomaly/modelfile"
	"github.com/ganomaly-go/ganomaly/preprocess"
	"github.com/ganomaly-go/ganomaly/render"
)

// heatFullScale is the |x - x̂| (in [0, 1] pixel units, averaged over
// channels) that gets the hottest colour. The scale is fixed, not stretched
// per image, so heat maps of different images can be compared; half the
// pixel range is already a gross reconstruction error.
const heatFullScale = 0.5

// heatmapCard is what one heat-map file shows.
type heatmapCard struct {
	title            string
	x, xhat, diff    []float32
	score, threshold float64
}

// writeHeatmap writes a result card (render.Card) as PNG: the model's input
// x after preprocessing, its reconstruction x̂, the heat map of |x - x̂| on
// the fixed heatFullScale, the score on the model's calibrated scale, the
// threshold and the verdict.
func writeHeatmap(path string, c heatmapCard, arch modelfile.Arch, meta modelfile.Metadata) error {
	norm := meta.Norm
	in := preprocess.ToImage(c.x, arch.ISize, arch.NC, norm)
	rec := preprocess.ToImage(c.xhat, arch.ISize, arch.NC, norm)
	if in == nil || rec == nil || len(c.diff) != arch.ISize*arch.ISize {
		return fmt.Errorf("tensors do not match a %dx%dx%d model", arch.NC, arch.ISize, arch.ISize)
	}
	// diff is in normalised units (already averaged over channels): the
	// pixel-unit full scale divided by the mean std.
	var std float64
	for _, s := range norm.Std {
		std += s
	}
	std /= float64(len(norm.Std))
	in2 := render.CardInput{
		Title:          c.title,
		Input:          in,
		Reconstruction: rec,
		Diff:           c.diff,
		DiffSize:       arch.ISize,
		DiffScale:      heatFullScale / std,
		Score:          c.score,
		Threshold:      c.threshold,
	}
	if meta.Calibration != nil {
		in2.Scale = meta.Calibration.ScoreScale
	}
	card, err := render.Card(in2)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return modelfile.WriteFileAtomic(path, func(w io.Writer) error { return png.Encode(w, card) })
}
