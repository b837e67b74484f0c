package trainjob

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// The bundled MNIST subset (web/train/mnist-subset.bin.gz, written by
// app/cmd/trainset): gzip of
//
//	"GMNIST1\n" | uint32 count (big-endian) | count labels | count × 28×28 pixels
//
// one byte per label and per pixel, the images in MNIST's own order.
const (
	subsetMagic = "GMNIST1\n"
	mnistSide   = 28
	// maxSubset bounds the count read from a header before allocating.
	maxSubset = 70000
)

// Subset is a set of MNIST digits: Images[i] is 28×28 grey, Labels[i] 0-9.
type Subset struct {
	Images [][]uint8
	Labels []uint8
}

// EncodeSubset writes s in the bundled format (deterministic bytes: no
// name or time in the gzip header).
func EncodeSubset(w io.Writer, s *Subset) error {
	if len(s.Images) != len(s.Labels) {
		return fmt.Errorf("trainjob: %d images but %d labels", len(s.Images), len(s.Labels))
	}
	zw, err := gzip.NewWriterLevel(w, gzip.BestCompression)
	if err != nil {
		return err
	}
	var hdr [4]byte
	binary.BigEndian.PutUint32(hdr[:], uint32(len(s.Images)))
	zw.Write([]byte(subsetMagic))
	zw.Write(hdr[:])
	zw.Write(s.Labels)
	for i, im := range s.Images {
		if len(im) != mnistSide*mnistSide {
			return fmt.Errorf("trainjob: image %d has %d pixels, want 28×28", i, len(im))
		}
		if _, err := zw.Write(im); err != nil {
			return err
		}
	}
	return zw.Close()
}

// DecodeSubset reads the bundled format.
// A server that sends the file with Content-Encoding: gzip hands over the
// inflated bytes: those are read as well.
func DecodeSubset(b []byte) (*Subset, error) {
	raw := b
	if !bytes.HasPrefix(b, []byte(subsetMagic)) {
		zr, err := gzip.NewReader(bytes.NewReader(b))
		if err != nil {
			return nil, fmt.Errorf("the MNIST subset is not gzip data: %w", err)
		}
		if raw, err = io.ReadAll(io.LimitReader(zr, int64(len(subsetMagic)+4+maxSubset*(1+mnistSide*mnistSide)))); err != nil {
			return nil, fmt.Errorf("the MNIST subset is damaged: %w", err)
		}
	}
	if len(raw) < len(subsetMagic)+4 || string(raw[:len(subsetMagic)]) != subsetMagic {
		return nil, errors.New("the MNIST subset has no GMNIST1 header")
	}
	n := int(binary.BigEndian.Uint32(raw[len(subsetMagic):]))
	body := raw[len(subsetMagic)+4:]
	if n > maxSubset || len(body) != n*(1+mnistSide*mnistSide) {
		return nil, fmt.Errorf("the MNIST subset says %d digits but holds %d bytes", n, len(body))
	}
	s := &Subset{Labels: body[:n], Images: make([][]uint8, n)}
	px := body[n:]
	for i := range s.Images {
		s.Images[i] = px[i*mnistSide*mnistSide : (i+1)*mnistSide*mnistSide]
		if s.Labels[i] > 9 {
			return nil, fmt.Errorf("the MNIST subset has label %d at %d", s.Labels[i], i)
		}
	}
	return s, nil
}

// FirstPerDigit takes the first perDigit images of every digit, in order.
func FirstPerDigit(images [][]uint8, labels []uint8, perDigit int) *Subset {
	var count [10]int
	s := &Subset{}
	for i, im := range images {
		l := labels[i]
		if l > 9 || count[l] >= perDigit {
			continue
		}
		count[l]++
		s.Images = append(s.Images, im)
		s.Labels = append(s.Labels, l)
	}
	return s
}
