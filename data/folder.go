package data

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

var imageExts = map[string]bool{".png": true, ".jpg": true, ".jpeg": true, ".gif": true, ".bmp": true, ".tif": true, ".tiff": true, ".webp": true}

func listImages(dir string) ([]string, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range ents {
		if e.IsDir() || !imageExts[strings.ToLower(filepath.Ext(e.Name()))] {
			continue
		}
		out = append(out, filepath.Join(dir, e.Name()))
	}
	sort.Strings(out)
	return out, nil
}

// LoadFolder builds a dataset from the original's custom layout:
// ROOT/train/0.normal, ROOT/test/0.normal and ROOT/test/1.abnormal. Images
// are decoded on demand (any format the preprocess package reads), grey or
// colour as nc says. The training normals are shuffled with the seed (0 when
// it is -1) before the validation split is cut.
func LoadFolder(root string, isize, nc int, p Protocol) (*Dataset, error) {
	dirs := []string{filepath.Join(root, "train", "0.normal"), filepath.Join(root, "test", "0.normal"), filepath.Join(root, "test", "1.abnormal")}
	var lists [3][]Sample
	for i, d := range dirs {
		paths, err := listImages(d)
		if err != nil {
			return nil, fmt.Errorf("--dataroot %s: the folder layout is train/0.normal, test/0.normal, test/1.abnormal: %w", root, err)
		}
		if len(paths) == 0 {
			return nil, fmt.Errorf("%s holds no images (%s)", d, "png, jpg, gif, bmp, tiff or webp")
		}
		for _, path := range paths {
			lists[i] = append(lists[i], Sample{Path: path})
		}
	}
	seed := p.Seed
	if seed < 0 {
		seed = 0
	}
	rng := rand.New(rand.NewPCG(uint64(seed), 0x3c6ef372))
	train := lists[0]
	rng.Shuffle(len(train), func(i, j int) { train[i], train[j] = train[j], train[i] })
	q := p
	q.Seed = -1
	tr, val, te, err := oneClass(train, lists[1], lists[2], q)
	if err != nil {
		return nil, err
	}
	return &Dataset{Name: "folder", ISize: isize, NC: nc, Train: tr, Val: val, Test: te,
		NormalClasses: []string{"0.normal"}, AbnormalClasses: []string{"1.abnormal"},
		Description: "folder " + root}, nil
}
