package preprocess

import (
	"bytes"
	"errors"
	"image"
	"image/png"
	"io"
	"sync"

	"github.com/ganomaly-go/ganomaly/modelfile"
)

// ThumbSide is the side, in pixels, of the thumbnails of the browser's batch
// view (shown at 36 CSS pixels).
const ThumbSide = 32

// ThumbnailPNG is a small PNG of a normalised CHW tensor (ToImage), at most
// maxSide pixels on a side: larger tensors are shrunk by a whole factor,
// averaging each block of pixels. The browser's batch view keeps one per row,
// a few hundred bytes for a 32×32 grey input, instead of the image file.
func ThumbnailPNG(chw []float32, isize, nc int, norm modelfile.Norm, maxSide int) ([]byte, error) {
	img := ToImage(chw, isize, nc, norm)
	if img == nil {
		return nil, errors.New("preprocess: tensor does not match its size, channels and normalisation")
	}
	if f := (isize + maxSide - 1) / max(1, maxSide); f > 1 {
		img = shrink(img, f)
	}
	var b bytes.Buffer
	if err := pngEncoder.Encode(&b, img); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// EncodePNG writes img as a PNG (fastest compression) with an encoder that
// reuses its buffers: a fresh png.Encoder sets up a zlib writer of about a
// megabyte for every image, which for small images (thumbnails, the page's
// tensors) costs more time and garbage than the encoding itself. Safe for
// concurrent use; the bytes are those of a fresh encoder.
func EncodePNG(w io.Writer, img image.Image) error { return pngEncoder.Encode(w, img) }

var pngEncoder = &png.Encoder{CompressionLevel: png.BestSpeed, BufferPool: &encoderBuffers{}}

type encoderBuffers struct{ pool sync.Pool }

func (p *encoderBuffers) Get() *png.EncoderBuffer {
	b, _ := p.pool.Get().(*png.EncoderBuffer)
	return b
}

func (p *encoderBuffers) Put(b *png.EncoderBuffer) { p.pool.Put(b) }

// shrink averages f×f blocks of a *image.Gray or opaque *image.NRGBA (what
// ToImage returns); a partial block at the edge averages what it covers.
func shrink(img image.Image, f int) image.Image {
	src := img.Bounds()
	w, h := (src.Dx()+f-1)/f, (src.Dy()+f-1)/f
	var in []uint8
	ch, stride := 1, src.Dx()
	switch m := img.(type) {
	case *image.Gray:
		in, stride = m.Pix, m.Stride
	case *image.NRGBA:
		in, ch, stride = m.Pix, 4, m.Stride
	default:
		return img
	}
	out := make([]uint8, w*h*ch)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			for c := 0; c < ch; c++ {
				sum, n := 0, 0
				for yy := y * f; yy < min((y+1)*f, src.Dy()); yy++ {
					for xx := x * f; xx < min((x+1)*f, src.Dx()); xx++ {
						sum += int(in[yy*stride+xx*ch+c])
						n++
					}
				}
				out[(y*w+x)*ch+c] = uint8((sum + n/2) / n)
			}
		}
	}
	r := image.Rect(0, 0, w, h)
	if ch == 1 {
		return &image.Gray{Pix: out, Stride: w, Rect: r}
	}
	return &image.NRGBA{Pix: out, Stride: 4 * w, Rect: r}
}
