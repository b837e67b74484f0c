package ui

import (
	"bytes"
	"fmt"
	"image/png"
	"path"

	"github.com/ganomaly-go/ganomaly/modelfile"
	"github.com/ganomaly-go/ganomaly/render"
)

// ResultCard draws the result card of an analysis as PNG bytes: the card
// the CLI writes with -heatmaps (render.ModelCard).
func ResultCard(a *Analysis, m modelfile.Metadata, threshold float64) ([]byte, error) {
	img, err := render.ModelCard(path.Base(a.Name), a.X, a.XHat, a.Diff, a.Score, threshold, m)
	if err != nil {
		return nil, fmt.Errorf("the analysis does not match the model (%d×%d×%d): %w", m.Arch.NC, m.Arch.ISize, m.Arch.ISize, err)
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
