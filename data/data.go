// Package data loads the trainer's datasets (MNIST IDX files, CIFAR-10 binary
// batches, custom image folders), applies GANomaly's one-class protocol with a
// held-out validation split, and feeds normalised batches from goroutines.
//
// MNIST and CIFAR-10 are kept in memory as uint8 pixels already resized to
// isize (the original's PIL pipeline also resizes to uint8 before ToTensor);
// folder datasets keep only paths and are decoded batch by batch while the
// previous batches train, so a huge folder is never held in memory.
package data

import (
	"errors"
	"fmt"
	"math/rand/v2"

	"github.com/ganomaly-go/ganomaly/modelfile"
	"github.com/ganomaly-go/ganomaly/preprocess"
)

// Sample is one image: either decoded pixels (CHW uint8 at isize) or a path
// decoded on demand.
type Sample struct {
	Pix       []uint8
	Path      string
	Anomalous bool
}

// Dataset is a one-class split ready for training.
type Dataset struct {
	Name            string
	ISize, NC       int
	Train, Val      []Sample // normal images only
	Test            []Sample // normals and anomalies
	NormalClasses   []string
	AbnormalClasses []string
	Description     string
	// Skipped are the files a folder scan left out (not images, hidden).
	Skipped []preprocess.Skipped
}

// Protocol are the split parameters shared by every dataset.
type Protocol struct {
	// Seed >= 0 pools the normal images of both splits, shuffles them with the
	// seed and keeps 80 % for training and 20 % for testing (REFERENCE.md);
	// -1 keeps the dataset's own train/test split.
	Seed int64
	// ValFraction of the training normals is held out for calibration and
	// model selection (0.1 by default).
	ValFraction float64
	// MaxTrain > 0 keeps only that many training images (after the
	// validation split), MaxTest > 0 that many test images (a seeded random
	// subset, normal/anomalous proportions kept on average), MaxVal likewise.
	MaxTrain, MaxTest, MaxVal int
}

// ErrNoData says a split came out empty.
var ErrNoData = errors.New("data: empty split")

// oneClass applies the protocol: train/test normals (from the dataset's own
// split), abnormals of both splits go to the test set.
func oneClass(trainNormal, testNormal, abnormal []Sample, p Protocol) (train, val, test []Sample, err error) {
	if p.ValFraction < 0 || p.ValFraction >= 1 {
		return nil, nil, nil, fmt.Errorf("validation fraction %v: must be in [0, 1)", p.ValFraction)
	}
	if p.Seed >= 0 {
		pool := append(append([]Sample(nil), trainNormal...), testNormal...)
		rng := rand.New(rand.NewPCG(uint64(p.Seed), 0x6a09e667))
		rng.Shuffle(len(pool), func(i, j int) { pool[i], pool[j] = pool[j], pool[i] })
		cut := len(pool) * 8 / 10
		trainNormal, testNormal = pool[:cut], pool[cut:]
	}
	seed := uint64(p.Seed)
	if p.Seed < 0 {
		seed = 0
	}
	nVal := int(float64(len(trainNormal)) * p.ValFraction)
	val = trainNormal[len(trainNormal)-nVal:]
	train = trainNormal[:len(trainNormal)-nVal]
	if p.MaxTrain > 0 && len(train) > p.MaxTrain {
		train = train[:p.MaxTrain]
	}
	if p.MaxVal > 0 && len(val) > p.MaxVal {
		val = val[:p.MaxVal]
	}
	test = make([]Sample, 0, len(testNormal)+len(abnormal))
	for _, s := range testNormal {
		s.Anomalous = false
		test = append(test, s)
	}
	for _, s := range abnormal {
		s.Anomalous = true
		test = append(test, s)
	}
	if p.MaxTest > 0 && len(test) > p.MaxTest {
		rng := rand.New(rand.NewPCG(seed, 0xbb67ae85))
		perm := rng.Perm(len(test))[:p.MaxTest]
		sub := make([]Sample, len(perm))
		for i, k := range perm {
			sub[i] = test[k]
		}
		test = sub
	}
	if len(train) == 0 {
		return nil, nil, nil, fmt.Errorf("%w: no training images", ErrNoData)
	}
	var nn, na int
	for _, s := range test {
		if s.Anomalous {
			na++
		} else {
			nn++
		}
	}
	if nn == 0 || na == 0 {
		return nil, nil, nil, fmt.Errorf("%w: the test set needs normal and anomalous images (have %d and %d)", ErrNoData, nn, na)
	}
	return train, val, test, nil
}

// Norm is the normalisation of a dataset's pixels: [-1, 1] unless the
// original's MNIST statistics are asked for.
func Norm(nc int, mnistStats bool) modelfile.Norm {
	if mnistStats && nc == 1 {
		return modelfile.Norm{Mean: []float64{0.1307}, Std: []float64{0.3081}}
	}
	return modelfile.DefaultNorm(nc)
}
