package render

import (
	"image"
	"image/color"
	"math"
	"testing"

	"github.com/ganomaly-go/ganomaly/modelfile"
)

func TestHeatColor(t *testing.T) {
	lum := func(c color.NRGBA) float64 { return 0.299*float64(c.R) + 0.587*float64(c.G) + 0.114*float64(c.B) }
	tests := []struct {
		name string
		v    float64
		want color.NRGBA
	}{
		{"zero is black", 0, color.NRGBA{0, 0, 4, 255}},
		{"below zero clamps", -3, color.NRGBA{0, 0, 4, 255}},
		{"one is pale yellow", 1, color.NRGBA{252, 255, 164, 255}},
		{"above one clamps", 7, color.NRGBA{252, 255, 164, 255}},
		{"NaN shows as the hottest", math.NaN(), color.NRGBA{252, 255, 164, 255}},
	}
	for _, tc := range tests {
		if got := HeatColor(tc.v); got != tc.want {
			t.Errorf("%s: HeatColor(%v) = %v, want %v", tc.name, tc.v, got, tc.want)
		}
	}
	prev := -1.0
	for i := 0; i <= 100; i++ {
		l := lum(HeatColor(float64(i) / 100))
		if l < prev-1e-9 {
			t.Fatalf("luminance decreases at %d%%: %v < %v", i, l, prev)
		}
		prev = l
	}
}

func TestHeatMap(t *testing.T) {
	tests := []struct {
		name    string
		values  []float32
		size    int
		scale   float64
		wantErr bool
		corner  color.NRGBA // colour of the last pixel
	}{
		{"own maximum", []float32{0, 0.5, 0.25, 1}, 2, 0, false, HeatColor(1)},
		{"fixed scale", []float32{0, 0.5, 0.25, 1}, 2, 4, false, HeatColor(0.25)},
		{"all zero", []float32{0, 0, 0, 0}, 2, 0, false, HeatColor(0)},
		{"wrong length", []float32{0, 1, 2}, 2, 0, true, color.NRGBA{}},
		{"zero size", nil, 0, 0, true, color.NRGBA{}},
	}
	for _, tc := range tests {
		m, err := HeatMap(tc.values, tc.size, tc.scale)
		if (err != nil) != tc.wantErr {
			t.Fatalf("%s: err = %v, want error %v", tc.name, err, tc.wantErr)
		}
		if err != nil {
			continue
		}
		if got := m.NRGBAAt(1, 1); got != tc.corner {
			t.Errorf("%s: pixel (1,1) = %v, want %v", tc.name, got, tc.corner)
		}
	}
}

func TestTensor(t *testing.T) {
	norm := modelfile.DefaultNorm(1)
	img, err := Tensor([]float32{-1, 0, 1, 2}, 2, 1, norm)
	if err != nil {
		t.Fatal(err)
	}
	g, ok := img.(*image.Gray)
	if !ok {
		t.Fatalf("grey tensor gave %T", img)
	}
	if want := []uint8{0, 128, 255, 255}; string(g.Pix) != string(want) {
		t.Errorf("pixels %v, want %v", g.Pix, want)
	}
	if _, err := Tensor([]float32{0, 0, 0}, 2, 1, norm); err == nil {
		t.Error("a tensor of the wrong length was accepted")
	}
}

// inked counts pixels that differ from the background inside r.
func inked(m *image.NRGBA, r image.Rectangle) int {
	n := 0
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			if m.NRGBAAt(x, y) != Background {
				n++
			}
		}
	}
	return n
}

func TestGridDrawsImagesAndCaptions(t *testing.T) {
	black := image.NewGray(image.Rect(0, 0, 4, 4))
	rows := [][]Cell{{{Image: black, Caption: "0.123"}, {Image: black}}, {{Image: black, Caption: "x"}}}
	m, err := Grid(rows, GridOptions{CellSize: 32, Title: "grid"})
	if err != nil {
		t.Fatal(err)
	}
	b := m.Bounds()
	if b.Dx() < 2*32 || b.Dy() < 2*32 {
		t.Fatalf("grid %v too small for 2×2 cells of 32", b)
	}
	// the title row has ink, and the image cells are black
	if inked(m, image.Rect(0, 0, b.Dx(), 20)) == 0 {
		t.Error("title not drawn")
	}
	withCaption, err := Grid([][]Cell{{{Image: black, Caption: "0.123"}}}, GridOptions{CellSize: 32})
	if err != nil {
		t.Fatal(err)
	}
	without, err := Grid([][]Cell{{{Image: black}}}, GridOptions{CellSize: 32})
	if err != nil {
		t.Fatal(err)
	}
	cb := withCaption.Bounds()
	capArea := image.Rect(0, 32+6, cb.Dx(), cb.Dy())
	if inked(withCaption, capArea) <= inked(without, capArea) {
		t.Error("caption left no ink")
	}
	if _, err := Grid(nil, GridOptions{}); err == nil {
		t.Error("empty grid accepted")
	}
}

func TestCardVerdict(t *testing.T) {
	img := image.NewGray(image.Rect(0, 0, 8, 8))
	diff := make([]float32, 64)
	tests := []struct {
		name      string
		score     float64
		threshold float64
		want      color.NRGBA
	}{
		{"below threshold is normal", 0.01, 0.02, NormalColor},
		{"equal is normal", 0.02, 0.02, NormalColor},
		{"above threshold is anomalous", 0.03, 0.02, AnomalyColor},
		{"NaN is anomalous", math.NaN(), 0.02, AnomalyColor},
	}
	for _, tc := range tests {
		c, err := Card(CardInput{Title: "a.png", Input: img, Reconstruction: img, Diff: diff, DiffSize: 8,
			Score: tc.score, Threshold: tc.threshold, Scale: modelfile.ScoreScale{Min: 0, Max: 0.05}, ImageSize: 32})
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if got := c.NRGBAAt(0, 0); got != tc.want {
			t.Errorf("%s: frame colour %v, want %v", tc.name, got, tc.want)
		}
	}
	if _, err := Card(CardInput{Input: img, Reconstruction: img, Diff: diff[:10], DiffSize: 8}); err == nil {
		t.Error("a card with a wrong-sized diff was accepted")
	}
	if _, err := Card(CardInput{Diff: diff, DiffSize: 8}); err == nil {
		t.Error("a card without images was accepted")
	}
}

func TestHeatScaleAndModelCard(t *testing.T) {
	for _, tc := range []struct {
		norm modelfile.Norm
		want float64
	}{
		{modelfile.Norm{Mean: []float64{0.5}, Std: []float64{0.5}}, 1},                  // [-1, 1]: |x − x̂| of 1 is half the pixel range
		{modelfile.Norm{Mean: []float64{0.1307}, Std: []float64{0.3081}}, 0.5 / 0.3081}, // --mnist_norm: the same pixel error
		{modelfile.Norm{Mean: []float64{0.5, 0.5, 0.5}, Std: []float64{0.2, 0.5, 0.8}}, 1},
	} {
		if got := HeatScale(tc.norm); math.Abs(got-tc.want) > 1e-12 {
			t.Errorf("HeatScale(%v) = %v, want %v", tc.norm, got, tc.want)
		}
	}
	meta := modelfile.Metadata{Arch: modelfile.Arch{ISize: 8, NC: 1, NZ: 4, NGF: 4}, Norm: modelfile.Norm{Mean: []float64{0.5}, Std: []float64{0.5}},
		Calibration: &modelfile.Calibration{Threshold: 0.5, ScoreScale: modelfile.ScoreScale{Min: 0, Max: 1}}}
	x, diff := make([]float32, 64), make([]float32, 64)
	img, err := ModelCard("a.png", x, x, diff, 0.7, 0.5, meta)
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() < 3*128 || b.Dy() < 128 {
		t.Errorf("card %v: want three 128-pixel panels", b)
	}
	if _, err := ModelCard("a.png", x[:10], x, diff, 0.7, 0.5, meta); err == nil {
		t.Error("tensors that do not match the model: no error")
	}
}

func TestShortScore(t *testing.T) {
	for in, want := range map[float64]string{
		0.022702282635603394: "0.02270",
		0.1282:               "0.1282",
		1.23456:              "1.235",
		12.3456:              "12.35",
		123456.7:             "123457",
		0.000012345:          "0.00001234",
		0:                    "0",
		-0.5:                 "-0.5000",
	} {
		if got := ShortScore(in); got != want {
			t.Errorf("ShortScore(%v) = %q, want %q", in, got, want)
		}
	}
	if got := ShortScore(math.NaN()); got != "NaN" {
		t.Errorf("ShortScore(NaN) = %q", got)
	}
}
