package main

import (
	"image/png"
	"io"
	"os"
	"path/filepath"

	"github.com/ganomaly-go/ganomaly/modelfile"
	"github.com/ganomaly-go/ganomaly/render"
)

// heatmapCard is what one heat-map file shows.
type heatmapCard struct {
	title            string
	x, xhat, diff    []float32
	score, threshold float64
}

// writeHeatmap writes the image's result card (render.ModelCard) as PNG.
func writeHeatmap(path string, c heatmapCard, meta modelfile.Metadata) error {
	card, err := render.ModelCard(c.title, c.x, c.xhat, c.diff, c.score, c.threshold, meta)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return modelfile.WriteFileAtomic(path, func(w io.Writer) error { return png.Encode(w, card) })
}
