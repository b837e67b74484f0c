// Package render draws GANomaly results as images: tensors back to pixels,
// anomaly heat maps of |x − x̂|, and labelled grids and result cards with text
// drawn by golang/freetype in the Go fonts. It is pure Go (no cgo), used by
// the trainer's report and by the browser app.
package render
