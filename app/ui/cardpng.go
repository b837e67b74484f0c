package ui

import (
	"bytes"
	"fmt"
	"image/png"
	"path"

	"github.com/ganomaly-go/ganomaly/modelfile"
	"github.com/ganomaly-go/ganomaly/preprocess"
	"github.com/ganomaly-go/ganomaly/render"
)

// ResultCard draws the result card of an analysis as PNG bytes with
// render.Card, the same card the CLI writes with -heatmaps: x, x̂, the heat
// map on the CLI's fixed scale, the score against the threshold, the verdict.
func ResultCard(a *Analysis, m modelfile.Metadata, threshold float64) ([]byte, error) {
	in := preprocess.ToImage(a.X, m.Arch.ISize, m.Arch.NC, m.Norm)
	rec := preprocess.ToImage(a.XHat, m.Arch.ISize, m.Arch.NC, m.Norm)
	if in == nil || rec == nil {
		return nil, fmt.Errorf("the analysis does not match the model (%d×%d×%d)", m.Arch.NC, m.Arch.ISize, m.Arch.ISize)
	}
	c := render.CardInput{
		Title:          path.Base(a.Name),
		Input:          in,
		Reconstruction: rec,
		Diff:           a.Diff,
		DiffSize:       m.Arch.ISize,
		DiffScale:      heatScale(m),
		Score:          a.Score,
		Threshold:      threshold,
	}
	if m.Calibration != nil {
		c.Scale = m.Calibration.ScoreScale
	}
	img, err := render.Card(c)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
