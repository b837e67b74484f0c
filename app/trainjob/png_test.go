package trainjob

import (
	"encoding/binary"
	"image"
	"image/png"
	"io"
	"math"
)

func encodeGrayPNG(w io.Writer, pix []uint8) error {
	return png.Encode(w, &image.Gray{Pix: pix, Stride: 28, Rect: image.Rect(0, 0, 28, 28)})
}

func f32bytes(x []float32) []byte {
	b := make([]byte, 4*len(x))
	for i, v := range x {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(v))
	}
	return b
}
