package preprocess

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/draw"
	"io"

	// The decoders registered with package image.
	_ "image/gif" // first frame of animated GIFs: gif.Decode stops there (see onGIFScreen)
	_ "image/jpeg"
	_ "image/png"

	_ "golang.org/x/image/bmp"
	"golang.org/x/image/tiff"
	_ "golang.org/x/image/webp"
)

// Limits checked before any pixel memory is allocated.
const (
	// MaxPixels is the largest image accepted, in pixels (40 megapixels:
	// more than any phone camera; decoding it takes at most 320 MB).
	MaxPixels = 40_000_000
	// MaxDimension is the longest side accepted, in pixels.
	MaxDimension = 16384
	// MaxFileBytes is the largest file accepted (256 MiB).
	MaxFileBytes = 256 << 20
)

// Formats lists the formats Decode understands, as image.DecodeConfig names
// them.
var Formats = []string{"png", "jpeg", "gif", "bmp", "tiff", "webp"}

// LimitError says that a file or image is larger than this package accepts.
// Nothing was decoded: the check reads only the file header.
type LimitError struct {
	Format        string // "png", "jpeg", ... (empty for a file-size error)
	Width, Height int    // from the header (0 for a file-size error)
	Bytes         int64  // the file size, for a file-size error
	Reason        string // what was exceeded
}

func (e *LimitError) Error() string {
	if e.Width == 0 && e.Height == 0 {
		return fmt.Sprintf("preprocess: file has %s, above the limit of %d MiB; downscale or re-encode the image", e.Reason, MaxFileBytes>>20)
	}
	return fmt.Sprintf("preprocess: %s image is %dx%d: %s; downscale it (for example to 4096 pixels on the longer side) and try again",
		e.Format, e.Width, e.Height, e.Reason)
}

// FormatError says that the bytes are not a supported image, or that the
// image is corrupt or truncated. Err, when set, is the decoder's error.
type FormatError struct {
	Format string // the detected format, empty when unknown
	Err    error
}

func (e *FormatError) Error() string {
	if e.Format == "" {
		msg := "preprocess: not a PNG, JPEG, GIF, BMP, TIFF or WebP image"
		if e.Err != nil && !errors.Is(e.Err, image.ErrFormat) {
			msg += ": " + e.Err.Error()
		}
		return msg
	}
	return fmt.Sprintf("preprocess: corrupt or truncated %s image: %v", e.Format, e.Err)
}

func (e *FormatError) Unwrap() error { return e.Err }

// Decode reads an image (at most MaxFileBytes), checks its header against
// the limits, decodes it and applies its EXIF orientation (JPEG, PNG, WebP).
// Errors are *LimitError or *FormatError, or the reader's own error.
func Decode(r io.Reader) (image.Image, error) {
	b, err := readLimited(r, MaxFileBytes)
	if err != nil {
		return nil, err
	}
	return DecodeBytes(b)
}

// readLimited reads all of r, refusing more than limit bytes.
func readLimited(r io.Reader, limit int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, fmt.Errorf("preprocess: reading image: %w", err)
	}
	if int64(len(b)) > limit {
		return nil, &LimitError{Bytes: int64(len(b)), Reason: fmt.Sprintf("more than %d bytes", limit)}
	}
	return b, nil
}

// DecodeBytes is Decode for an image already in memory.
func DecodeBytes(b []byte) (img image.Image, err error) {
	var format string
	// A decoder bug must not take the program down: malformed input is an
	// error like any other.
	defer func() {
		if p := recover(); p != nil {
			img, err = nil, &FormatError{Format: format, Err: fmt.Errorf("decoder failed on malformed data: %v", p)}
		}
	}()
	if len(b) == 0 {
		return nil, &FormatError{Err: errors.New("empty file")}
	}
	if len(b) > MaxFileBytes {
		return nil, &LimitError{Bytes: int64(len(b)), Reason: fmt.Sprintf("more than %d bytes", MaxFileBytes)}
	}
	decodeConfig, decode := image.DecodeConfig, image.Decode
	if isTIFF(b) {
		// image.DecodeConfig hands the TIFF decoder a bufio.Reader, which it
		// wraps in a buffer that grows to whatever offset the file names
		// (4 GiB for a hostile 40-byte file); given an io.ReaderAt it reads
		// only what is there.
		decodeConfig = func(r io.Reader) (image.Config, string, error) {
			c, err := tiff.DecodeConfig(r)
			return c, "tiff", err
		}
		decode = func(r io.Reader) (image.Image, string, error) {
			m, err := tiff.Decode(r)
			return m, "tiff", err
		}
	}
	cfg, format, err := decodeConfig(bytes.NewReader(b))
	if err != nil {
		return nil, &FormatError{Format: format, Err: err}
	}
	if err := checkLimits(format, cfg.Width, cfg.Height); err != nil {
		return nil, err
	}
	img, format, err = decode(bytes.NewReader(b))
	if err != nil {
		return nil, &FormatError{Format: format, Err: err}
	}
	bnd := img.Bounds()
	if bnd.Empty() {
		return nil, &FormatError{Format: format, Err: errors.New("the image has no pixels")}
	}
	// The decoded size can differ from the header (a GIF frame, a TIFF
	// with several sizes): check again.
	if err := checkLimits(format, bnd.Dx(), bnd.Dy()); err != nil {
		return nil, err
	}
	if format == "gif" {
		img = onGIFScreen(img, cfg.Width, cfg.Height)
	}
	if o := exifOrientation(format, b); o > 1 {
		return &Oriented{Src: img, Orientation: o}, nil
	}
	return img, nil
}

// onGIFScreen places a GIF's first frame on the GIF's logical screen (w×h,
// from its header), as a browser shows it: where a smaller or offset frame
// leaves the screen uncovered, the picture is transparent. A frame that
// already fills the screen is returned as it is.
func onGIFScreen(frame image.Image, w, h int) image.Image {
	screen := image.Rect(0, 0, w, h)
	if frame.Bounds() == screen {
		return frame
	}
	c := image.NewNRGBA(screen)
	draw.Draw(c, frame.Bounds(), frame, frame.Bounds().Min, draw.Src)
	return c
}

// isTIFF reports whether b starts with a TIFF byte-order mark.
func isTIFF(b []byte) bool {
	return len(b) >= 4 && (string(b[:4]) == "II*\x00" || string(b[:4]) == "MM\x00*")
}

func checkLimits(format string, w, h int) error {
	switch {
	case w <= 0 || h <= 0:
		return &FormatError{Format: format, Err: fmt.Errorf("the header says %dx%d pixels", w, h)}
	case w > MaxDimension || h > MaxDimension:
		return &LimitError{Format: format, Width: w, Height: h,
			Reason: fmt.Sprintf("a side is longer than %d pixels", MaxDimension)}
	case int64(w)*int64(h) > MaxPixels:
		return &LimitError{Format: format, Width: w, Height: h,
			Reason: fmt.Sprintf("%.1f megapixels is more than the limit of %d", float64(w)*float64(h)/1e6, MaxPixels/1_000_000)}
	}
	return nil
}
