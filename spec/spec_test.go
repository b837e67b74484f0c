package spec

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"strings"
	"testing"

	"github.com/ganomaly-go/ganomaly/modelfile"
)

// originalKeys reads testdata/original_keys.txt: the state-dict keys and
// shapes of real netG.pth and netD.pth files of the original code, per
// architecture ("arch ..." blocks for G, "netD ..." for D).
func originalKeys(t *testing.T) (g, d map[modelfile.Arch][]string) {
	b, err := os.ReadFile("testdata/original_keys.txt")
	if err != nil {
		t.Fatal(err)
	}
	g, d = map[modelfile.Arch][]string{}, map[modelfile.Arch][]string{}
	var cur map[modelfile.Arch][]string
	var arch modelfile.Arch
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		var kind string
		var a modelfile.Arch
		switch n, _ := fmt.Sscanf(line, "%s %d %d %d %d %d", &kind, &a.ISize, &a.NC, &a.NZ, &a.NGF, &a.ExtraLayers); {
		case strings.HasPrefix(line, "#"):
		case n == 6 && kind == "arch":
			cur, arch = g, a
		case n == 6 && kind == "netD":
			cur, arch = d, a
		case cur == nil:
			t.Fatalf("testdata: %q before the first block", line)
		default:
			cur[arch] = append(cur[arch], line)
		}
	}
	return g, d
}

func keys(ts []Tensor) []string {
	var out []string
	for _, t := range ts {
		out = append(out, fmt.Sprintf("%s %v", t.Name, t.Shape))
	}
	return out
}

func TestStateDictNamesMatchTheOriginal(t *testing.T) {
	g, d := originalKeys(t)
	if len(g) < 2 || len(d) < 2 {
		t.Fatalf("testdata has %d generator and %d discriminator blocks, want 2 each", len(g), len(d))
	}
	for a, want := range g {
		got := keys(Tensors(GeneratorLayers(a)))
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("%+v: generator keys\n%s\nwant (a netG.pth of the original)\n%s", a, strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	}
	for a, want := range d {
		ds, err := NewDiscriminator(a, a.NGF)
		if err != nil {
			t.Fatal(err)
		}
		got := keys(Tensors(ds.Layers()))
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("%+v: discriminator keys\n%s\nwant (a netD.pth of the original)\n%s", a, strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	}
}

func TestGeneratorParts(t *testing.T) {
	a := modelfile.Arch{ISize: 32, NC: 1, NZ: 100, NGF: 64}
	gs := NewGenerator(a)
	tests := []struct {
		name   string
		layers []LayerSpec
		n      int
		first  string
		last   Act
	}{
		{"encoder1", gs.Encoder1, 4, "encoder1.main.initial-conv-1-64", None},
		{"decoder", gs.Decoder, 4, "decoder.main.initial-100-256-convt", Tanh},
		{"encoder2", gs.Encoder2, 4, "encoder2.main.initial-conv-1-64", None},
	}
	for _, tc := range tests {
		if len(tc.layers) != tc.n || tc.layers[0].Key() != tc.first || tc.layers[len(tc.layers)-1].Act != tc.last {
			t.Errorf("%s: %d layers starting with %s ending with %v, want %d, %s, %v", tc.name, len(tc.layers),
				tc.layers[0].Key(), tc.layers[len(tc.layers)-1].Act, tc.n, tc.first, tc.last)
		}
	}
	// the reference numbers: 3.2 M generator parameters at isize 32
	n := 0
	for _, ts := range Tensors(gs.Layers()) {
		if ts.Kind.Trainable() {
			n += ts.Len()
		}
	}
	if n < 3_100_000 || n > 3_300_000 {
		t.Errorf("generator has %d trainable parameters, want about 3.2 M", n)
	}
	ds, err := NewDiscriminator(a, 64)
	if err != nil {
		t.Fatal(err)
	}
	if c := ds.Classifier; c.Act != Sigmoid || c.OutC != 1 || c.Key() != "classifier.0" {
		t.Errorf("classifier %+v, want classifier.0 conv to 1 channel with a sigmoid", c)
	}
	if f := ds.Features[len(ds.Features)-1]; f.OutC != 256 || f.OutH != 4 || f.Act != LeakyReLU {
		t.Errorf("features end with %d×%d×%d (%v), want 256×4×4 after LeakyReLU", f.OutC, f.OutH, f.OutH, f.Act)
	}
}

func TestInit(t *testing.T) {
	a := modelfile.Arch{ISize: 32, NC: 1, NZ: 100, NGF: 16}
	rng := rand.New(rand.NewPCG(1, 2))
	stats := map[Kind][2]float64{}
	count := map[Kind]int{}
	for _, ts := range Tensors(GeneratorLayers(a)) {
		v := ts.Init(rng)
		if len(v) != max(1, ts.Len()) && !(ts.Kind == NumBatchesTracked && len(v) == 1) {
			t.Fatalf("%s: %d values for shape %v", ts.Name, len(v), ts.Shape)
		}
		s := stats[ts.Kind]
		for _, x := range v {
			s[0] += float64(x)
			s[1] += float64(x) * float64(x)
		}
		stats[ts.Kind] = s
		count[ts.Kind] += len(v)
	}
	tests := []struct {
		kind      Kind
		mean, std float64
	}{{Weight, 0, 0.02}, {BNWeight, 1, 0.02}, {BNBias, 0, 0}, {RunningMean, 0, 0}, {RunningVar, 1, 0}, {NumBatchesTracked, 0, 0}}
	for _, tc := range tests {
		n := float64(count[tc.kind])
		mean := stats[tc.kind][0] / n
		std := math.Sqrt(math.Max(0, stats[tc.kind][1]/n-mean*mean))
		tol := 4 * tc.std / math.Sqrt(n)
		if math.Abs(mean-tc.mean) > tol+1e-9 || math.Abs(std-tc.std) > 0.1*tc.std+1e-4 {
			t.Errorf("%s: mean %.5f std %.5f over %v values, want %v and %v", tc.kind.Suffix(), mean, std, n, tc.mean, tc.std)
		}
	}
}
