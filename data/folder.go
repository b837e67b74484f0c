package data

import (
	"fmt"
	"math/rand/v2"
	"path/filepath"

	"github.com/ganomaly-go/ganomaly/preprocess"
)

// LoadFolder builds a dataset from the original's custom layout:
// ROOT/train/0.normal, ROOT/test/0.normal and ROOT/test/1.abnormal, each
// scanned recursively by preprocess.ListDir (what it skips is in
// Dataset.Skipped). Images are decoded on demand (any format the preprocess
// package reads), grey or colour as nc says. The training normals are shuffled with the seed (0 when
// it is -1) before the validation split is cut.
func LoadFolder(root string, isize, nc int, p Protocol) (*Dataset, error) {
	dirs := []string{filepath.Join(root, "train", preprocess.NormalDir), filepath.Join(root, "test", preprocess.NormalDir), filepath.Join(root, "test", preprocess.AbnormalDir)}
	var lists [3][]Sample
	var skipped []preprocess.Skipped
	for i, d := range dirs {
		l, err := preprocess.ListDir(d)
		if err != nil {
			return nil, fmt.Errorf("--dataroot %s: the folder layout is train/0.normal, test/0.normal, test/1.abnormal: %w", root, err)
		}
		if len(l.Unreadable) > 0 {
			return nil, fmt.Errorf("--dataroot %s: %s", root, l.Unreadable[0])
		}
		if len(l.Images) == 0 {
			return nil, fmt.Errorf("%s holds no images: %s", d, preprocess.NoImagesText())
		}
		for _, im := range l.Images {
			lists[i] = append(lists[i], Sample{Path: im.Path})
		}
		skipped = append(skipped, l.Skipped...)
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
		NormalClasses: []string{preprocess.NormalDir}, AbnormalClasses: []string{preprocess.AbnormalDir},
		Description: "folder " + root, Skipped: skipped}, nil
}
