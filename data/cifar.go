package data

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// CIFAR10Classes are the class names in label order; the original's short
// names (plane, car) are accepted too.
var CIFAR10Classes = []string{"airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"}

var cifarAliases = map[string]int{"plane": 0, "car": 1}

const cifarRecord = 1 + 3*32*32

// cifarClass resolves a class name, alias or number.
func cifarClass(s string) (int, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	if k, ok := cifarAliases[s]; ok {
		return k, nil
	}
	for i, c := range CIFAR10Classes {
		if c == s {
			return i, nil
		}
	}
	if k, err := strconv.Atoi(s); err == nil && k >= 0 && k <= 9 {
		return k, nil
	}
	return 0, fmt.Errorf("--abnormal_class %q: CIFAR-10 needs one of %s (or plane, car, or 0-9)", s, strings.Join(CIFAR10Classes, ", "))
}

// findCIFAR returns the folder holding the binary batches (dir itself or the
// archive's cifar-10-batches-bin).
func findCIFAR(dir string) (string, error) {
	for _, d := range []string{dir, filepath.Join(dir, "cifar-10-batches-bin")} {
		if _, err := os.Stat(filepath.Join(d, "test_batch.bin")); err == nil {
			return d, nil
		}
	}
	return "", fmt.Errorf("%s: no CIFAR-10 binary batches (data_batch_1.bin .. data_batch_5.bin, test_batch.bin; the \"CIFAR-10 binary version\" from https://www.cs.toronto.edu/~kriz/cifar.html, unpacked)", dir)
}

// toNC converts CHW RGB pixels to nc channels at isize.
func toNC(rgb []uint8, nc, isize int) []uint8 {
	const w = 32
	var planes [][]uint8
	if nc == 1 {
		g := make([]uint8, w*w)
		for i := range g {
			g[i] = uint8((299*int(rgb[i]) + 587*int(rgb[w*w+i]) + 114*int(rgb[2*w*w+i]) + 500) / 1000)
		}
		planes = [][]uint8{g}
	} else {
		planes = [][]uint8{rgb[:w*w], rgb[w*w : 2*w*w], rgb[2*w*w:]}
	}
	out := make([]uint8, 0, nc*isize*isize)
	for _, p := range planes {
		out = append(out, resizeGray(p, w, w, isize)...)
	}
	return out
}

// LoadCIFAR10 builds the one-class CIFAR-10 dataset from the binary batches.
func LoadCIFAR10(dir, abnormal string, isize, nc int, p Protocol) (*Dataset, error) {
	cls, err := cifarClass(abnormal)
	if err != nil {
		return nil, err
	}
	dir, err = findCIFAR(dir)
	if err != nil {
		return nil, err
	}
	var trainN, testN, abn []Sample
	files := []string{"data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin", "data_batch_5.bin", "test_batch.bin"}
	for fi, name := range files {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			return nil, fmt.Errorf("CIFAR-10: %w", err)
		}
		if len(b)%cifarRecord != 0 {
			return nil, fmt.Errorf("CIFAR-10: %s has %d bytes, not a multiple of %d", name, len(b), cifarRecord)
		}
		for off := 0; off < len(b); off += cifarRecord {
			label := int(b[off])
			if label > 9 {
				return nil, fmt.Errorf("CIFAR-10: %s: label %d at byte %d", name, label, off)
			}
			s := Sample{Pix: toNC(b[off+1:off+cifarRecord], nc, isize)}
			switch {
			case label == cls:
				abn = append(abn, s)
			case fi < 5:
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
	ds := &Dataset{Name: "cifar10", ISize: isize, NC: nc, Train: tr, Val: val, Test: te,
		AbnormalClasses: []string{CIFAR10Classes[cls]},
		Description:     fmt.Sprintf("CIFAR-10, %s abnormal, seed %d", CIFAR10Classes[cls], p.Seed)}
	for i, c := range CIFAR10Classes {
		if i != cls {
			ds.NormalClasses = append(ds.NormalClasses, c)
		}
	}
	return ds, nil
}
