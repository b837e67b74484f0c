package data

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/binary"
	"image"
	"image/png"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ganomaly-go/ganomaly/modelfile"
)

func samples(n int, tag uint8) []Sample {
	out := make([]Sample, n)
	for i := range out {
		out[i] = Sample{Pix: []uint8{tag, uint8(i / 256), uint8(i % 256)}}
	}
	return out
}

func TestOneClassProtocol(t *testing.T) {
	tests := []struct {
		name                 string
		p                    Protocol
		train, val           int
		testNormal, testAnom int
	}{
		// 600 + 400 normals pooled: 800 train (80 val), 200 test normals; all 50 abnormals
		{"seed pools 80/20", Protocol{Seed: 0, ValFraction: 0.1}, 720, 80, 200, 50},
		// the dataset's own split: 600 train (60 val), 400 test normals
		{"no seed keeps the split", Protocol{Seed: -1, ValFraction: 0.1}, 540, 60, 400, 50},
		{"subsets", Protocol{Seed: 1, ValFraction: 0.1, MaxTrain: 100, MaxVal: 20, MaxTest: 125}, 100, 20, -1, -1},
	}
	for _, tc := range tests {
		tr, val, te, err := oneClass(samples(600, 0), samples(400, 1), samples(50, 2), tc.p)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		var nn, na int
		for _, s := range te {
			if s.Anomalous != (s.Pix[0] == 2) {
				t.Fatalf("%s: sample %v labelled anomalous=%v", tc.name, s.Pix, s.Anomalous)
			}
			if s.Anomalous {
				na++
			} else {
				nn++
			}
		}
		for _, s := range append(append([]Sample(nil), tr...), val...) {
			if s.Pix[0] == 2 || s.Anomalous {
				t.Fatalf("%s: an abnormal image is in the training or validation split", tc.name)
			}
		}
		if len(tr) != tc.train || len(val) != tc.val {
			t.Errorf("%s: train %d val %d, want %d and %d", tc.name, len(tr), len(val), tc.train, tc.val)
		}
		if tc.testNormal >= 0 && (nn != tc.testNormal || na != tc.testAnom) {
			t.Errorf("%s: test %d normal + %d anomalous, want %d + %d", tc.name, nn, na, tc.testNormal, tc.testAnom)
		}
		if tc.testNormal < 0 && nn+na != tc.p.MaxTest {
			t.Errorf("%s: %d test images, want %d", tc.name, nn+na, tc.p.MaxTest)
		}
		// no image in two splits
		seen := map[[3]uint8]string{}
		for split, ss := range map[string][]Sample{"train": tr, "val": val, "test": te} {
			for _, s := range ss {
				k := [3]uint8{s.Pix[0], s.Pix[1], s.Pix[2]}
				if prev, ok := seen[k]; ok && (s.Pix[0] != 2 || prev != split) {
					t.Fatalf("%s: image %v in %s and %s", tc.name, k, prev, split)
				}
				seen[k] = split
			}
		}
	}
	// the seed decides the pooling
	a, _, _, _ := oneClass(samples(600, 0), samples(400, 1), samples(50, 2), Protocol{Seed: 0, ValFraction: 0.1})
	b, _, _, _ := oneClass(samples(600, 0), samples(400, 1), samples(50, 2), Protocol{Seed: 0, ValFraction: 0.1})
	c, _, _, _ := oneClass(samples(600, 0), samples(400, 1), samples(50, 2), Protocol{Seed: 1, ValFraction: 0.1})
	if !sameSamples(a, b) || sameSamples(a, c) {
		t.Error("the seed does not determine the split")
	}
	if _, _, _, err := oneClass(samples(10, 0), samples(10, 1), nil, Protocol{Seed: 0, ValFraction: 0.1}); err == nil {
		t.Error("a test set without anomalies was accepted")
	}
}

func sameSamples(a, b []Sample) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !bytes.Equal(a[i].Pix, b[i].Pix) {
			return false
		}
	}
	return true
}

func idx(magic uint32, dims []int, body []byte) []byte {
	var b bytes.Buffer
	binary.Write(&b, binary.BigEndian, magic)
	for _, d := range dims {
		binary.Write(&b, binary.BigEndian, uint32(d))
	}
	b.Write(body)
	return b.Bytes()
}

func writeGz(t *testing.T, path string, b []byte) {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(b)
	zw.Close()
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// fakeMNIST writes n images per split whose label is i%10 and whose pixels
// are all equal to 25·label.
func fakeMNIST(t *testing.T, n int, gz bool) string {
	dir := t.TempDir()
	for k, split := range []string{"train", "t10k"} {
		_ = k
		imgs := make([]byte, n*28*28)
		labels := make([]byte, n)
		for i := 0; i < n; i++ {
			labels[i] = byte(i % 10)
			for p := 0; p < 28*28; p++ {
				imgs[i*784+p] = byte(25 * (i % 10))
			}
		}
		ib := idx(0x803, []int{n, 28, 28}, imgs)
		lb := idx(0x801, []int{n}, labels)
		if gz {
			writeGz(t, filepath.Join(dir, split+"-images-idx3-ubyte.gz"), ib)
			writeGz(t, filepath.Join(dir, split+"-labels-idx1-ubyte.gz"), lb)
		} else {
			os.WriteFile(filepath.Join(dir, split+"-images-idx3-ubyte"), ib, 0o644)
			os.WriteFile(filepath.Join(dir, split+"-labels-idx1-ubyte"), lb, 0o644)
		}
	}
	return dir
}

func TestLoadMNIST(t *testing.T) {
	for _, gz := range []bool{true, false} {
		dir := fakeMNIST(t, 100, gz)
		ds, err := LoadMNIST(dir, "3", 32, Protocol{Seed: 0, ValFraction: 0.1})
		if err != nil {
			t.Fatal(err)
		}
		// 90 + 90 normals pooled → 144 train (14 val) / 36 test; 10 + 10 abnormals
		if len(ds.Train) != 130 || len(ds.Val) != 14 || len(ds.Test) != 36+20 {
			t.Errorf("gz=%v: train %d val %d test %d", gz, len(ds.Train), len(ds.Val), len(ds.Test))
		}
		for _, s := range ds.Test {
			if s.Anomalous != (s.Pix[0] == 75) {
				t.Fatalf("digit-3 pixels %d labelled anomalous=%v", s.Pix[0], s.Anomalous)
			}
			if len(s.Pix) != 32*32 {
				t.Fatalf("image of %d pixels, want 32×32", len(s.Pix))
			}
			// a constant image stays constant through the bilinear resize
			if s.Pix[0] != s.Pix[32*32-1] || s.Pix[0] != s.Pix[500] {
				t.Fatalf("resize changed a constant image: %d %d %d", s.Pix[0], s.Pix[500], s.Pix[1023])
			}
		}
		if len(ds.NormalClasses) != 9 || ds.AbnormalClasses[0] != "3" {
			t.Errorf("classes %v / %v", ds.NormalClasses, ds.AbnormalClasses)
		}
	}
	bad := []struct {
		name, dir, class, want string
	}{
		{"not a digit", fakeMNIST(t, 20, true), "car", "digit"},
		{"missing files", t.TempDir(), "1", "MNIST IDX"},
	}
	for _, tc := range bad {
		if _, err := LoadMNIST(tc.dir, tc.class, 32, Protocol{ValFraction: 0.1}); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want %q", tc.name, err, tc.want)
		}
	}
	// a truncated IDX body is refused
	dir := fakeMNIST(t, 20, false)
	b, _ := os.ReadFile(filepath.Join(dir, "train-images-idx3-ubyte"))
	os.WriteFile(filepath.Join(dir, "train-images-idx3-ubyte"), b[:len(b)-5], 0o644)
	if _, err := LoadMNIST(dir, "1", 32, Protocol{ValFraction: 0.1}); err == nil || !strings.Contains(err.Error(), "IDX body") {
		t.Errorf("truncated IDX: err = %v", err)
	}
}

func TestLoadCIFAR10(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin", "data_batch_5.bin", "test_batch.bin"} {
		var b []byte
		for i := 0; i < 20; i++ {
			rec := make([]byte, cifarRecord)
			rec[0] = byte(i % 10)
			for p := 1; p < cifarRecord; p++ {
				rec[p] = byte(i % 10 * 20)
			}
			b = append(b, rec...)
		}
		os.WriteFile(filepath.Join(dir, name), b, 0o644)
	}
	for _, class := range []string{"car", "automobile", "1"} {
		ds, err := LoadCIFAR10(dir, class, 32, 3, Protocol{Seed: -1, ValFraction: 0.1})
		if err != nil {
			t.Fatal(err)
		}
		// 5×18 train normals (9 val), 18 test normals, 12 abnormals
		if len(ds.Train) != 81 || len(ds.Val) != 9 || len(ds.Test) != 30 || ds.AbnormalClasses[0] != "automobile" {
			t.Errorf("%s: train %d val %d test %d abnormal %v", class, len(ds.Train), len(ds.Val), len(ds.Test), ds.AbnormalClasses)
		}
		for _, s := range ds.Test {
			if s.Anomalous != (s.Pix[0] == 20) || len(s.Pix) != 3*32*32 {
				t.Fatalf("%s: sample pixel %d len %d anomalous=%v", class, s.Pix[0], len(s.Pix), s.Anomalous)
			}
		}
	}
	if _, err := LoadCIFAR10(dir, "unicorn", 32, 3, Protocol{ValFraction: 0.1}); err == nil || !strings.Contains(err.Error(), "airplane") {
		t.Errorf("unknown class: err = %v", err)
	}
	if _, err := LoadCIFAR10(t.TempDir(), "car", 32, 3, Protocol{ValFraction: 0.1}); err == nil || !strings.Contains(err.Error(), "binary") {
		t.Errorf("no batches: err = %v", err)
	}
	grey, err := LoadCIFAR10(dir, "car", 16, 1, Protocol{Seed: -1, ValFraction: 0.1})
	if err != nil || len(grey.Train[0].Pix) != 16*16 {
		t.Errorf("grey 16×16 CIFAR: %v", err)
	}
}

func writePNG(t *testing.T, path string, v uint8) {
	m := image.NewGray(image.Rect(0, 0, 40, 30))
	for i := range m.Pix {
		m.Pix[i] = v
	}
	var b bytes.Buffer
	png.Encode(&b, m)
	os.MkdirAll(filepath.Dir(path), 0o755)
	os.WriteFile(path, b.Bytes(), 0o644)
}

func TestFolderDatasetAndLoader(t *testing.T) {
	root := t.TempDir()
	for i := 0; i < 30; i++ {
		writePNG(t, filepath.Join(root, "train", "0.normal", "n"+string(rune('a'+i%26))+string(rune('a'+i/26))+".png"), 0)
	}
	for i := 0; i < 5; i++ {
		writePNG(t, filepath.Join(root, "test", "0.normal", "t"+string(rune('a'+i))+".png"), 0)
		writePNG(t, filepath.Join(root, "test", "1.abnormal", "a"+string(rune('a'+i))+".png"), 255)
	}
	os.WriteFile(filepath.Join(root, "train", "0.normal", "notes.txt"), []byte("not an image"), 0o644)
	// The preprocess package's folder rules: recursion, content sniffing
	// (a PNG without an extension), hidden files skipped.
	writePNG(t, filepath.Join(root, "train", "0.normal", "sub", "nested.png"), 0)
	writePNG(t, filepath.Join(root, "train", "0.normal", "no-extension"), 0)
	writePNG(t, filepath.Join(root, "train", "0.normal", ".hidden.png"), 0)
	ds, err := LoadFolder(root, 16, 1, Protocol{Seed: 0, ValFraction: 0.2})
	if err != nil {
		t.Fatal(err)
	}
	if len(ds.Train) != 26 || len(ds.Val) != 6 || len(ds.Test) != 10 {
		t.Fatalf("train %d val %d test %d, want 26/6/10 (32 training normals)", len(ds.Train), len(ds.Val), len(ds.Test))
	}
	if len(ds.Skipped) != 2 || filepath.Base(ds.Skipped[0].Path) != ".hidden.png" || filepath.Base(ds.Skipped[1].Path) != "notes.txt" {
		t.Errorf("skipped %v, want .hidden.png and notes.txt", ds.Skipped)
	}
	l := &Loader{ISize: 16, NC: 1, Norm: modelfile.DefaultNorm(1)}
	got := map[int]bool{}
	for b := range l.Batches(context.Background(), ds.Test, 4, nil, false) {
		if b.Err != nil {
			t.Fatal(b.Err)
		}
		for i, k := range b.Indices {
			got[k] = true
			want := float32(-1)
			if ds.Test[k].Anomalous {
				want = 1
			}
			if v := b.X[i*256]; v != want {
				t.Fatalf("image %d: first value %v, want %v", k, v, want)
			}
		}
	}
	if len(got) != 10 {
		t.Errorf("loader delivered %d of 10 images", len(got))
	}
	if _, err := LoadFolder(t.TempDir(), 16, 1, Protocol{ValFraction: 0.1}); err == nil || !strings.Contains(err.Error(), "0.normal") {
		t.Errorf("empty root: err = %v", err)
	}
	// a broken file is reported with its path
	os.WriteFile(filepath.Join(root, "test", "1.abnormal", "broken.png"), []byte("junk"), 0o644)
	ds, _ = LoadFolder(root, 16, 1, Protocol{Seed: 0, ValFraction: 0.2})
	var sawErr error
	for b := range l.Batches(context.Background(), ds.Test, 4, nil, false) {
		if b.Err != nil {
			sawErr = b.Err
		}
	}
	if sawErr == nil || !strings.Contains(sawErr.Error(), "broken.png") {
		t.Errorf("broken image: err = %v", sawErr)
	}
}

func TestBatchesShuffleDropLast(t *testing.T) {
	ss := make([]Sample, 10)
	for i := range ss {
		ss[i] = Sample{Pix: []uint8{uint8(i)}}
	}
	l := &Loader{ISize: 1, NC: 1, Norm: modelfile.Norm{Mean: []float64{0}, Std: []float64{1.0 / 255}}}
	tests := []struct {
		name     string
		rng      *rand.Rand
		dropLast bool
		batches  int
		images   int
	}{
		{"in order, keep last", nil, false, 3, 10},
		{"shuffled, drop last", rand.New(rand.NewPCG(1, 2)), true, 2, 8},
	}
	for _, tc := range tests {
		n, imgs := 0, 0
		var order []int
		for b := range l.Batches(context.Background(), ss, 4, tc.rng, tc.dropLast) {
			n++
			imgs += b.N
			for i, k := range b.Indices {
				if b.X[i] != float32(k) {
					t.Fatalf("%s: image %d has value %v", tc.name, k, b.X[i])
				}
				order = append(order, k)
			}
		}
		if n != tc.batches || imgs != tc.images {
			t.Errorf("%s: %d batches, %d images; want %d and %d", tc.name, n, imgs, tc.batches, tc.images)
		}
		if tc.rng == nil {
			for i, k := range order {
				if i != k {
					t.Fatalf("%s: order %v", tc.name, order)
				}
			}
		}
	}
	// cancelling stops the stream
	ctx, cancel := context.WithCancel(context.Background())
	ch := l.Batches(ctx, ss, 1, nil, false)
	<-ch
	cancel()
	for range ch {
	}
}
