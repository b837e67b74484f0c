package ui

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/ganomaly-go/ganomaly/engine"
	"github.com/ganomaly-go/ganomaly/metrics"
	"github.com/ganomaly-go/ganomaly/modelfile"
	"github.com/ganomaly-go/ganomaly/preprocess"
	"github.com/maxence-charriere/go-app/v9/pkg/app"
)

// testModel returns the bytes of a small random-weight model file.
func testModel(t *testing.T, nc int, meta func(*modelfile.Metadata)) []byte {
	t.Helper()
	arch := modelfile.Arch{ISize: 16, NC: nc, NZ: 8, NGF: 8}
	f, err := engine.Fold(engine.Init(arch, 7))
	if err != nil {
		t.Fatal(err)
	}
	if meta != nil {
		g := modelfile.New(f.Meta)
		meta(&g.Meta)
		for _, tn := range f.Tensors() {
			g.Add(tn)
		}
		f = g
	}
	var b bytes.Buffer
	if err := f.Encode(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func galleryBytes(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "web", "gallery", "mnist", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestLoadSessionErrors(t *testing.T) {
	good := testModel(t, 1, nil)
	// A newer format version cannot be written, so patch it in place (same length).
	future := bytes.Replace(good, []byte(`\"format_version\":1`), []byte(`\"format_version\":9`), 1)
	if bytes.Equal(future, good) {
		t.Fatal("cannot find format_version in the metadata")
	}
	tests := []struct {
		name string
		b    []byte
		want string
	}{
		{"empty", nil, "not a usable ganomaly model file"},
		{"truncated", good[:len(good)/3], "not a usable ganomaly model file"},
		{"not safetensors", []byte("hello, this is text and not a model"), "not a usable ganomaly model file"},
		{"newer format", future, "newer"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := LoadSession(tc.name+".safetensors", tc.b)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), tc.name+".safetensors") {
				t.Fatalf("err = %v, want it to name the file and contain %q", err, tc.want)
			}
		})
	}
	if _, err := LoadSession("good.safetensors", good); err != nil {
		t.Fatal(err)
	}
}

// The page's analysis must give exactly what the CLI's path gives:
// preprocess.LoadBytes + engine.Forward.
func TestAnalyzeMatchesEnginePath(t *testing.T) {
	b := testModel(t, 1, nil)
	s, err := LoadSession("m.safetensors", b)
	if err != nil {
		t.Fatal(err)
	}
	img := galleryBytes(t, "digit-7-0.png")
	a, err := s.AnalyzeBytes("seven", img)
	if err != nil {
		t.Fatal(err)
	}
	f, _ := modelfile.Parse(b)
	m, _ := engine.Load(f)
	x, err := preprocess.LoadBytes(img, 16, 1, m.Meta().Norm)
	if err != nil {
		t.Fatal(err)
	}
	r, err := m.Forward(x)
	if err != nil {
		t.Fatal(err)
	}
	if a.Score != r.Score {
		t.Fatalf("page score %v, engine %v", a.Score, r.Score)
	}
	if got, _ := strconv.ParseFloat(FormatScore(a.Score), 64); got != a.Score || strings.ContainsAny(FormatScore(a.Score), "eE") {
		t.Fatalf("FormatScore(%v) = %q: not a plain decimal that round-trips", a.Score, FormatScore(a.Score))
	}
	// The copies survive the model's next call.
	keep := append([]float32(nil), a.XHat...)
	if _, err := s.AnalyzeBytes("again", galleryBytes(t, "digit-1-0.png")); err != nil {
		t.Fatal(err)
	}
	for i := range keep {
		if keep[i] != a.XHat[i] {
			t.Fatal("Analysis.XHat changed after another image was analysed")
		}
	}
}

// TestSessionDoor checks the lab's calls through Session against the engine
// called directly on the same weights.
func TestSessionDoor(t *testing.T) {
	b := testModel(t, 1, nil)
	s, err := LoadSession("m.safetensors", b)
	if err != nil {
		t.Fatal(err)
	}
	f, _ := modelfile.Parse(b)
	m, _ := engine.Load(f)
	x, err := s.Prepare(galleryBytes(t, "digit-7-0.png"))
	if err != nil {
		t.Fatal(err)
	}
	r, err := m.Forward(x)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := s.Score(x); err != nil || got != r.Score {
		t.Fatalf("Score = %v, %v; engine %v", got, err, r.Score)
	}
	z, err := s.Encode(x)
	if err != nil || !slices.Equal(z, r.LatentI) {
		t.Fatalf("Encode = E1(x)? err %v", err)
	}
	img, score, err := s.DecodeScore(z)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := m.Decode(z)
	if !slices.Equal(img, want) {
		t.Fatal("DecodeScore's image is not D(z)")
	}
	if rd, _ := m.Forward(want); rd.Score != score {
		t.Fatalf("DecodeScore's score %v, engine %v", score, rd.Score)
	}
	layers := s.Layers()
	last := len(layers) - 1
	out, info, err := s.LayerOutput(x, last)
	if err != nil || info != layers[last] || len(out) != info.OutC*info.OutH*info.OutH {
		t.Fatalf("LayerOutput(last) = %d values, %+v, %v", len(out), info, err)
	}
	if _, _, err := s.LayerOutput(x, len(layers)); err == nil {
		t.Fatal("LayerOutput of a layer that does not exist: no error")
	}
}

func TestPrepareErrors(t *testing.T) {
	s, err := LoadSession("m.safetensors", testModel(t, 1, nil))
	if err != nil {
		t.Fatal(err)
	}
	png := galleryBytes(t, "digit-0-0.png")
	huge := append([]byte(nil), png[:33]...)
	copy(huge[16:], []byte{0, 1, 0x86, 0xa0, 0, 1, 0x86, 0xa0}) // 100000×100000
	tests := []struct {
		name string
		b    []byte
		want string
	}{
		{"text", []byte("plain text"), "not a PNG"},
		{"truncated", png[:len(png)/2], "corrupt or truncated"},
		{"huge", huge, ""}, // refused from the header (limit or checksum), never decoded
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := s.Prepare(tc.b)
			if err == nil || !strings.Contains(err.Error(), tc.want) || strings.HasPrefix(err.Error(), "preprocess:") {
				t.Fatalf("err = %v, want a message with %q and no package prefix", err, tc.want)
			}
		})
	}
}

func TestRatesAt(t *testing.T) {
	c := &modelfile.Calibration{
		Threshold:    2,
		ValHistogram: &modelfile.Histogram{Edges: []float64{0, 1, 2, 3, 4}, Counts: []int{10, 20, 10, 0}},
		Test: &modelfile.TestResult{ROC: []modelfile.ROCPoint{
			{Threshold: 4, FPR: 0, TPR: 0}, {Threshold: 2, FPR: 0.2, TPR: 0.6}, {Threshold: 0, FPR: 1, TPR: 1},
		}},
	}
	tests := []struct {
		t                float64
		valFPR, fpr, tpr float64
	}{
		{5, 0, 0, 0},
		{4, 0, 0, 0},
		{3, 0, 0.1, 0.3},
		{2, 0.25, 0.2, 0.6},
		{1.5, 0.5, 0.4, 0.7},
		{-1, 1, 1, 1},
	}
	for _, tc := range tests {
		r := RatesAt(c, tc.t)
		if !r.HasVal || !r.HasTest {
			t.Fatalf("t=%v: rates missing: %+v", tc.t, r)
		}
		if math.Abs(r.ValFPR-tc.valFPR) > 1e-12 || math.Abs(r.TestFPR-tc.fpr) > 1e-12 || math.Abs(r.TestTPR-tc.tpr) > 1e-12 {
			t.Errorf("t=%v: got %+v, want val %v fpr %v tpr %v", tc.t, r, tc.valFPR, tc.fpr, tc.tpr)
		}
	}
	if r := RatesAt(nil, 1); r.HasVal || r.HasTest {
		t.Errorf("no calibration gave rates %+v", r)
	}
}

func TestSliderMapping(t *testing.T) {
	for _, tc := range []struct{ v, lo, hi, p float64 }{
		{0, 0, 1, 0}, {1, 0, 1, 100}, {0.5, 0, 1, 50}, {2, 0, 1, 100}, {-3, -2, 2, 0}, {0, -2, 2, 50}, {1e-4, 0, 4e-4, 25},
	} {
		if p := ToSlider(tc.v, tc.lo, tc.hi); p != tc.p {
			t.Errorf("ToSlider(%v, %v, %v) = %v, want %v", tc.v, tc.lo, tc.hi, p, tc.p)
		}
		if tc.v >= tc.lo && tc.v <= tc.hi {
			if v := FromSlider(tc.p, tc.lo, tc.hi); math.Abs(v-tc.v) > 1e-12 {
				t.Errorf("FromSlider(%v) = %v, want %v", tc.p, v, tc.v)
			}
		}
	}
	c := &modelfile.Calibration{Threshold: 3, ValHistogram: &modelfile.Histogram{Edges: []float64{2, 3, 4}, Counts: []int{1, 1}}}
	lo, hi := SliderRange(c, 10)
	if !(lo < 2 && hi >= 12.5 && lo >= 0) {
		t.Errorf("SliderRange = %v, %v: must cover the histogram and the scores seen", lo, hi)
	}
}

func TestLabelFromPath(t *testing.T) {
	for in, want := range map[string]string{
		"test/0.normal/a.png":      "normal",
		"test/1.abnormal/b.png":    "abnormal",
		"abnormal/x/c.png":         "", // only the original layout's names (preprocess.LabelOf)
		"Normal/d.png":             "",
		"drop/0.normal/sub/g.png":  "normal",
		"0.normal.png":             "",
		"photos/e.png":             "",
		`C:\data\1.abnormal\f.png`: "abnormal",
	} {
		if got := LabelFromPath(in); got != want {
			t.Errorf("LabelFromPath(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestClassLabel(t *testing.T) {
	m := modelfile.Metadata{Dataset: &modelfile.Dataset{Name: "MNIST", AbnormalClasses: []string{"2"}}}
	for _, tc := range []struct{ ds, class, want string }{
		{"mnist", "2", "abnormal"}, {"mnist", "3", "normal"}, {"cifar10", "2", ""},
	} {
		if got := ClassLabel(m, tc.ds, tc.class); got != tc.want {
			t.Errorf("ClassLabel(%s %s) = %q, want %q", tc.ds, tc.class, got, tc.want)
		}
	}
	if got := ClassLabel(modelfile.Metadata{}, "mnist", "2"); got != "" {
		t.Errorf("no dataset: %q", got)
	}
}

func TestBatchSortCSVROC(t *testing.T) {
	rows := []BatchRow{
		{Name: "b", Label: "abnormal", Score: 3, Done: true},
		{Name: "a", Label: "normal", Score: 1, Done: true},
		{Name: "err", Score: math.NaN(), Done: true, Err: "not a PNG"},
		{Name: "c", Label: "normal", Score: 2, Done: true},
		{Name: "d", Label: "abnormal", Score: 1.5, Done: true},
	}
	SortRows(rows, "score", false)
	var names []string
	for _, r := range rows {
		names = append(names, r.Name)
	}
	if got := strings.Join(names, ","); got != "b,c,d,a,err" {
		t.Errorf("sorted by score descending: %s", got)
	}
	SortRows(rows, "name", true)
	names = names[:0]
	for _, r := range rows {
		names = append(names, r.Name)
	}
	if got := strings.Join(names, ","); got != "a,b,c,d,err" {
		t.Errorf("sorted by name: %s", got)
	}
	csv := string(BatchCSV(rows, 1.5))
	want := "path,score,verdict,threshold,error,label\na,1,normal,1.5,,normal\nb,3,anomalous,1.5,,abnormal\nc,2,anomalous,1.5,,normal\nd,1.5,normal,1.5,,abnormal\nerr,,,1.5,not a PNG,\n"
	if csv != want {
		t.Errorf("CSV:\n%s\nwant:\n%s", csv, want)
	}
	_, auc, ok := BatchROC(rows)
	wantAUC := metrics.AUROC([]float64{3, 1, 2, 1.5}, []bool{true, false, false, true})
	if !ok || auc != wantAUC || auc != 0.75 {
		t.Errorf("BatchROC AUROC = %v (ok %v), want %v", auc, ok, wantAUC)
	}
	if _, _, ok := BatchROC(rows[:1]); ok {
		t.Error("one class only must give no ROC")
	}
}

func TestCharts(t *testing.T) {
	c := &modelfile.Calibration{Threshold: 2, ValCount: 40, ValHistogram: &modelfile.Histogram{Edges: []float64{0, 1, 2, 3}, Counts: []int{10, 20, 10}}}
	svg := HistogramSVG(c, 2.5, 2, 0, 4)
	for _, want := range []string{"<svg", "40 validation normals", "threshold", colAnomalous} {
		if !strings.Contains(svg, want) {
			t.Errorf("histogram lacks %q", want)
		}
	}
	if strings.Contains(HistogramSVG(c, 1.5, 2, 0, 4), colAnomalous) {
		t.Error("a score below the threshold is drawn as anomalous")
	}
	if !strings.Contains(HistogramSVG(nil, 1, 2, 0, 4), "no calibration") {
		t.Error("no calibration must be said")
	}
	if n := strings.Count(LatentSVG([]float32{1, -1, 0.5}, []float32{0.5, -1, 0}), "<rect"); n != 3 {
		t.Errorf("latent chart has %d difference bars, want 3", n)
	}
	roc := ROCSVG([]modelfile.ROCPoint{{FPR: 0, TPR: 0}, {FPR: 0.5, TPR: 1}, {FPR: 1, TPR: 1}}, 0.75, &[2]float64{0.5, 1}, "batch")
	if !strings.Contains(roc, "AUROC 0.750") || !strings.Contains(roc, "<circle") {
		t.Error("ROC chart lacks its AUROC or its point")
	}
}

func TestImages(t *testing.T) {
	img, n := MosaicImage(make([]float32, 70*4*4), 70, 4, 64)
	if n != 64 || img.Bounds().Dx() != 8*5-1 {
		t.Errorf("mosaic of 70 maps: %d shown, width %d", n, img.Bounds().Dx())
	}
	m := modelfile.Metadata{Arch: modelfile.Arch{ISize: 2, NC: 1}, Norm: modelfile.DefaultNorm(1)}
	heat := HeatImage([]float32{0, 0.25, 0.5, 2}, m)
	if heat == nil || heat.At(0, 0) == heat.At(1, 1) {
		t.Fatal("heat map does not distinguish 0 from 2")
	}
	// 0.5 pixel units = 1 normalised unit (std 0.5) is full scale: 2 saturates to the same colour.
	big := HeatImage([]float32{1, 2, 1, 2}, m)
	if big.At(0, 0) != big.At(1, 0) {
		t.Error("values beyond the full scale must saturate")
	}
	if u := TensorURL([]float32{-1, 1, 0, 0}, m); !strings.HasPrefix(u, "data:image/png;base64,") {
		t.Errorf("TensorURL = %.40q", u)
	}
}

// The rendered page carries every data-testid hook of the contract.
func TestRenderHooks(t *testing.T) {
	s, err := LoadSession("m.safetensors", testModel(t, 1, nil))
	if err != nil {
		t.Fatal(err)
	}
	a, err := s.AnalyzeBytes("seven.png", galleryBytes(t, "digit-7-0.png"))
	if err != nil {
		t.Fatal(err)
	}
	d := &Demo{view: viewSingle, sess: s, ready: true}
	d.labView().reset()
	sv := d.singleView()
	sv.cur, sv.threshold = a, a.Score/2
	html := app.HTMLString(d.Render())
	// Attributes come in map order, so look for the element, then its text.
	has := func(html, testid, text string) bool {
		re := regexp.MustCompile(`<[a-z]+ [^>]*data-testid="` + testid + `"[^>]*>` + regexp.QuoteMeta(text))
		return re.MatchString(html)
	}
	for _, id := range []string{"file-input", "model-input", "threshold"} {
		if !has(html, id, "") {
			t.Errorf("page lacks data-testid=%s", id)
		}
	}
	if !has(html, "score", FormatScore(a.Score)+"<") || !has(html, "verdict", "anomalous<") {
		t.Error("page lacks the score or the verdict")
	}
	if !regexp.MustCompile(`<input [^>]*multiple[^>]*data-testid="file-input"|<input [^>]*data-testid="file-input"[^>]*multiple`).MatchString(html) {
		t.Error("the file input does not take several files")
	}
	if strings.Contains(html, `data-testid="error"`) {
		t.Error("an error element is shown without an error")
	}
	// The single view on its own (a component renders once into a tree).
	sv.threshold = a.Score
	if html := app.HTMLString(sv.Render()); !has(html, "verdict", "normal<") {
		t.Error("a score equal to the threshold must be normal")
	}
	d.err = "bad.png: not a PNG"
	if html := app.HTMLString(d.Render()); !has(html, "error", "bad.png: not a PNG<") {
		t.Error("the error is not shown")
	}
	d.view = viewBatch
	d.batch = newBatchView(d)
	d.batch.tab = newBatchTable([]BatchRow{{Name: "x.png", Score: 1, Done: true}}, "score", false)
	d.batch.state = "done"
	if html := app.HTMLString(d.Render()); !has(html, "batch-table", "") || !strings.Contains(html, `data-state="done"`) {
		t.Error("the batch view has no batch-table or no batch-progress state")
	}
	d.view = viewLab
	html = app.HTMLString(d.Render())
	if got := strings.Count(html, `<span class="shape">`); got != len(s.Layers()) {
		t.Errorf("lab diagram has %d layers, model %d", got, len(s.Layers()))
	}
}

func TestGalleryCaption(t *testing.T) {
	mnist := []GalleryItem{{Dataset: "mnist", Class: "2"}, {Dataset: "mnist", Class: "7"}}
	for _, tc := range []struct {
		name  string
		meta  modelfile.Metadata
		items []GalleryItem
		want  string
	}{
		{"mnist model", modelfile.Metadata{Dataset: &modelfile.Dataset{Name: "mnist", AbnormalClasses: []string{"2"}}}, mnist, "green = a class the model was trained on"},
		{"folder model", modelfile.Metadata{Dataset: &modelfile.Dataset{Name: "folder", AbnormalClasses: []string{"1.abnormal"}}}, mnist, "Sample images from MNIST, not from the images this model was trained on"},
		{"no dataset", modelfile.Metadata{}, mnist, "not from the images this model was trained on"},
		{"no samples", modelfile.Metadata{}, nil, ""},
	} {
		got := GalleryCaption(tc.meta, tc.items)
		if (tc.want == "") != (got == "") || !strings.Contains(got, tc.want) {
			t.Errorf("%s: caption %q, want one with %q", tc.name, got, tc.want)
		}
	}
}

func TestPatchAppJS(t *testing.T) {
	tests := []struct {
		in      string
		want    string
		wantErr bool
	}{
		{"x;\ngoappInitWebAssembly();\n\nasync function goappInitWebAssembly() {}", "x;\n(window.ganomalyInitWebAssembly || goappInitWebAssembly)();\n\nasync function goappInitWebAssembly() {}", false},
		{"async function goappInitWebAssembly() {}", "", true}, // the call is gone: a go-app upgrade
		{"\ngoappInitWebAssembly();\n\ngoappInitWebAssembly();\n", "", true},
	}
	for _, tc := range tests {
		got, err := PatchAppJS([]byte(tc.in))
		if (err != nil) != tc.wantErr || string(got) != tc.want {
			t.Errorf("PatchAppJS(%q) = %q, %v; want %q (error %v)", tc.in, got, err, tc.want, tc.wantErr)
		}
	}
}

func TestSiteScriptsCannotEndTheScriptElement(t *testing.T) {
	s := SiteData{Models: []BundledModel{{File: "m.safetensors", Name: "</script><script>alert(1)</script>"}}, DefaultModel: "m.safetensors"}
	scripts := headElements(s)
	for _, sc := range scripts {
		body := strings.TrimSuffix(strings.TrimPrefix(sc, "<script>"), "</script>")
		if strings.Contains(body, "</script") {
			t.Errorf("a script's text holds </script: %.80q", body)
		}
	}
	if !strings.Contains(scripts[0], `"defaultModel":"m.safetensors"`) {
		t.Errorf("site data missing: %.200s", scripts[0])
	}
}

// The stylesheet is written into the head, before the scripts, and the
// page then links none; without one it links web/app.css.
func TestTheStylesheetIsInThePage(t *testing.T) {
	s := SiteData{Models: []BundledModel{{File: "m.safetensors"}}, DefaultModel: "m.safetensors", Styles: ".verdict { color: red; }"}
	h := Handler("", "v", nil, s)
	if len(h.Styles) != 0 || len(h.RawHeaders) != 3 || h.RawHeaders[0] != "<style>.verdict { color: red; }</style>" ||
		!strings.HasPrefix(h.RawHeaders[1], "<script>window.ganomalySite") {
		t.Errorf("with a stylesheet: Styles %q, head %.80q", h.Styles, h.RawHeaders)
	}
	s.Styles = ""
	if h := Handler("/p", "v", nil, s); len(h.Styles) != 1 || h.Styles[0] != "/web/app.css" || len(h.RawHeaders) != 2 {
		t.Errorf("without one: Styles %q, %d head elements", h.Styles, len(h.RawHeaders))
	}
}

// A bundled model's own samples go with it; the MNIST samples stay with the
// MNIST model; a file the user opens gets no bundled model's samples.
func TestGalleryFollowsTheModel(t *testing.T) {
	gallery := []GalleryItem{
		{File: "mnist/digit-2-0.png", Dataset: "mnist", Class: "2"},
		{File: "mnist/digit-3-0.png", Dataset: "mnist", Class: "3"},
		{File: "fm.gallery/normal-00.png", Class: "normal", Label: "normal", Model: "fm.safetensors", Source: "0.normal/a.png"},
		{File: "fm.gallery/anomalous-00.png", Class: "anomalous", Label: "anomalous", Model: "fm.safetensors", Source: "1.abnormal/b.png"},
		{File: "other.gallery/normal-00.png", Class: "normal", Label: "normal", Model: "other.safetensors"},
	}
	mnist := &modelfile.Dataset{Name: "mnist", NormalClasses: []string{"3"}, AbnormalClasses: []string{"2"}}
	folder := &modelfile.Dataset{Name: "folder", NormalClasses: []string{"0.normal"}, AbnormalClasses: []string{"1.abnormal"}}
	fabric := &modelfile.About{Title: "Fabric inspection", Description: "Finds scratched parts.", NormalName: "good part", AbnormalName: "scratched"}
	tests := []struct {
		name    string
		file    string
		bundled bool
		ds      *modelfile.Dataset
		about   *modelfile.About
		want    []string // files
		labels  []string // data-label of each
		caption string
	}{
		{"mnist", "mnist.safetensors", true, mnist, nil, []string{"mnist/digit-2-0.png", "mnist/digit-3-0.png"}, []string{"anomalous", "normal"}, "green = a class the model was trained on"},
		{"own gallery", "fm.safetensors", true, folder, fabric, []string{"fm.gallery/normal-00.png", "fm.gallery/anomalous-00.png"}, []string{"normal", "anomalous"}, "green = normal (good part), red = anomalous (scratched)"},
		{"own model, no gallery: foreign MNIST", "plain.safetensors", true, folder, nil, []string{"mnist/digit-2-0.png", "mnist/digit-3-0.png"}, []string{"", ""}, "not from the images this model was trained on"},
		{"the user's file of the same name", "fm.safetensors", false, folder, nil, []string{"mnist/digit-2-0.png", "mnist/digit-3-0.png"}, []string{"", ""}, "not from the images"},
	}
	for _, tc := range tests {
		s, err := LoadSession(tc.file, testModel(t, 1, func(m *modelfile.Metadata) { m.Dataset, m.About = tc.ds, tc.about }))
		if err != nil {
			t.Fatal(err)
		}
		s.Bundled = tc.bundled
		d := &Demo{view: viewSingle, sess: s, gallery: gallery, ready: true}
		var files []string
		for _, it := range d.galleryFor() {
			files = append(files, it.File)
		}
		if !slices.Equal(files, tc.want) {
			t.Errorf("%s: gallery %v, want %v", tc.name, files, tc.want)
		}
		html := app.HTMLString(d.Render())
		labels := regexp.MustCompile(`<button [^>]*data-testid="sample"[^>]*>`).FindAllString(html, -1)
		if len(labels) != len(tc.want) {
			t.Fatalf("%s: %d sample buttons", tc.name, len(labels))
		}
		for i, b := range labels {
			want := `data-label="` + tc.labels[i] + `"`
			if tc.labels[i] == "" {
				want = `data-label` // go-app writes an empty attribute without a value
			}
			if !strings.Contains(b, want) || tc.labels[i] == "" && strings.Contains(b, `data-label="`) {
				t.Errorf("%s: sample %d %s, want data-label %q", tc.name, i, b, tc.labels[i])
			}
		}
		if !strings.Contains(html, tc.caption) {
			t.Errorf("%s: the caption lacks %q", tc.name, tc.caption)
		}
		w := s.Meta.Words()
		for id, text := range map[string]string{"model-title": w.Title, "model-description": w.Description} {
			if !regexp.MustCompile(`data-testid="` + id + `"[^>]*>` + regexp.QuoteMeta(text) + `<`).MatchString(html) {
				t.Errorf("%s: no %s %q", tc.name, id, text)
			}
		}
		if tc.about != nil && !strings.Contains(html, "Fabric inspection") {
			t.Errorf("%s: the title is not shown", tc.name)
		}
	}
}

func TestDeferScripts(t *testing.T) {
	page := func(a, b string) string {
		return "<head>\n<script " + a + "></script>\n<script " + b + "></script>\n<style></style>"
	}
	tests := []struct {
		name, prefix, in string
		want             string
		wantErr          bool
	}{
		{"root", "/", page(`src="/wasm_exec.js" defer`, `defer src="/app.js"`), "<head>\n<style></style>", false},
		{"sub-path", "/ganomaly-go", page(`defer src="/ganomaly-go/wasm_exec.js"`, `src="/ganomaly-go/app.js" defer`), "<head>\n<style></style>", false},
		{"another prefix's tags", "/x", page(`src="/wasm_exec.js" defer`, `defer src="/app.js"`), "", true},
		{"no app.js", "/", "<head>\n<script defer src=\"/wasm_exec.js\"></script>\n", "", true},
		{"twice", "/", page(`defer src="/wasm_exec.js"`, `defer src="/wasm_exec.js"`) + `<script defer src="/app.js"></script>`, "", true},
	}
	for _, tc := range tests {
		got, err := DeferScripts([]byte(tc.in), tc.prefix)
		if (err != nil) != tc.wantErr || string(got) != tc.want {
			t.Errorf("%s: DeferScripts = %q, %v; want %q (error %v)", tc.name, got, err, tc.want, tc.wantErr)
		}
	}
	if got := goappScripts("/p"); len(got) != 2 || got[0] != "/p/wasm_exec.js" || got[1] != "/p/app.js" {
		t.Errorf("goappScripts(/p) = %q", got)
	}
}
