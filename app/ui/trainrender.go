package ui

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/ganomaly-go/ganomaly/app/trainspec"
	"github.com/ganomaly-go/ganomaly/modelfile"
	"github.com/maxence-charriere/go-app/v9/pkg/app"
)

// Loss series colours.
var lossColours = []string{"#1f3a5f", "#8e44ad", "#2f7d4f", "#ea7a14", "#c0392b"}

func (d *Demo) trainTab() app.UI {
	cls := "tab"
	if d.view == viewTrain {
		cls += " active"
	}
	return app.Button().Class(cls).Text("Train").DataSet("testid", "train-tab").OnClick(d.onTrainTab).Aria("current", d.view == viewTrain).Disabled(!d.live)
}

func (d *Demo) renderTrain() app.UI {
	t := &d.train
	running := t.status == trainspec.Running || t.status == trainspec.Paused
	canUse := t.worker != nil && (t.status == trainspec.Paused || t.status == trainspec.Done || (t.status == trainspec.Failed && t.prog.Steps > 0))
	return app.Div().Class("panel train").Body(
		app.H2().Text("Train a model here, in this tab"),
		app.P().Class("muted").Text("GANomaly learns from normal images only. Training runs in a Web Worker on this computer; nothing leaves the page, and the other views keep working while it trains."),
		app.If(t.booting != "", app.Div().Class("banner").Attr("role", "status").Text(t.booting)),
		app.If(t.err != "", app.Div().Class("banner error-banner").Attr("role", "alert").Body(app.Span().DataSet("testid", "train-error").Text(t.err))),
		app.Div().Class("train-grid").Body(
			d.renderTrainData(running),
			d.renderTrainSettings(running),
		),
		d.renderTrainControls(running, canUse),
		app.P().Class("train-say").Aria("live", "polite").Text(d.trainSentence()),
		app.Div().Class("train-charts").Body(
			trainChart("Losses (log scale)", "train-losses-text", lossSVG(t.losses), lossText(t.losses)),
			trainChart("Eval-mode AUROC on held-out images", "train-auroc-text", aurocSVG(t.aurocs, t.prog.Total/max(1, t.st.Batch)), aurocText(t.aurocs)),
			trainChart("Scores of held-out images", "train-histogram-text", trainHistSVG(t.eval), trainHistText(t.eval)),
		),
		d.renderTrainStrip(),
	)
}

func (d *Demo) renderTrainData(running bool) app.UI {
	t := &d.train
	mnist := t.st.Source != "folder"
	normal := map[int]bool{}
	for _, n := range t.st.Normal {
		normal[n] = true
	}
	return app.Div().Class("train-box").Body(
		app.H3().Text("Data"),
		app.Label().Body(
			app.Input().Type("radio").Name("train-source").Checked(mnist).Disabled(running).OnChange(func(ctx app.Context, e app.Event) { t.st.Source = "mnist"; t.st.NC = 1 }),
			app.Text(" bundled MNIST digits (500 of each): tick the normal ones"),
		),
		app.FieldSet().Class("digits").Body(
			app.Legend().Class("sr-only").Text("Normal digits (ticked); the unticked ones are the anomalies"),
			app.Range(make([]struct{}, 10)).Slice(func(i int) app.UI {
				return app.Label().Class("digit").Body(
					app.Input().Type("checkbox").Checked(normal[i]).Disabled(running || !mnist).DataSet("digit", strconv.Itoa(i)).
						Aria("label", "digit "+strconv.Itoa(i)+" is normal").OnChange(d.onTrainDigit(i)),
					app.Span().Aria("hidden", true).Text(strconv.Itoa(i)),
				)
			}),
		),
		app.P().Class("muted small").Text("Unticked digits are never shown in training: they are the anomalies the model is tested on."),
		app.Label().Body(
			app.Input().Type("radio").Name("train-source").Checked(!mnist).Disabled(running).OnChange(func(ctx app.Context, e app.Event) { t.st.Source = "folder" }),
			app.Text(" your own images (pick a folder, or drop a folder or images on this view): "),
		),
		app.Label().Class("file-button small").Title("a folder of normal images; add 0.normal/ and 1.abnormal/ subfolders for a labelled test").Body(
			app.Text("Choose a folder…"),
			app.Input().Type("file").Multiple(true).Attr("webkitdirectory", "").Disabled(running).DataSet("testid", "train-folder-input").OnChange(d.onTrainFolder),
		),
		app.If(t.folderNote != "", app.P().Class("muted small").DataSet("testid", "train-folder-note").Aria("live", "polite").Text(t.folderNote)),
	)
}

func (d *Demo) onTrainDigit(i int) app.EventHandler {
	return func(ctx app.Context, e app.Event) {
		// Each change event is one toggle: deciding from the state, not from
		// the box's DOM value, keeps two quick presses right even when a
		// re-render lands between them.
		on := true
		var out []int
		for _, n := range d.train.st.Normal {
			if n != i {
				out = append(out, n)
			} else {
				on = false
			}
		}
		if on {
			out = append(out, i)
		}
		d.train.st.Normal = sortedInts(out)
	}
}

func sortedInts(v []int) []int {
	for i := 1; i < len(v); i++ {
		for j := i; j > 0 && v[j] < v[j-1]; j-- {
			v[j], v[j-1] = v[j-1], v[j]
		}
	}
	return v
}

func numberInput(id string, v, lo, hi int, disabled bool, set func(int)) app.UI {
	return app.Input().Type("number").ID(id).Min(lo).Max(hi).Value(strconv.Itoa(v)).Disabled(disabled).DataSet("testid", id).
		OnChange(func(ctx app.Context, e app.Event) {
			if n, err := strconv.Atoi(ctx.JSSrc().Get("value").String()); err == nil && n >= lo && n <= hi {
				set(n)
			}
		})
}

func (d *Demo) renderTrainSettings(running bool) app.UI {
	t := &d.train
	secs, images := t.estimate()
	folder := t.st.Source == "folder"
	return app.Div().Class("train-box").Body(
		app.H3().Text("Settings"),
		app.Div().Class("train-settings").Body(
			app.Label().For("train-size").Text("Model size"),
			app.Select().ID("train-size").DataSet("testid", "train-size").Disabled(running).OnChange(func(ctx app.Context, e app.Event) {
				if n, err := strconv.Atoi(ctx.JSSrc().Get("value").String()); err == nil {
					t.st.NGF = n
				}
			}).Body(app.Range(trainSizes).Slice(func(i int) app.UI {
				s := trainSizes[i]
				return app.Option().Value(strconv.Itoa(s.NGF)).Text(s.Name).Selected(s.NGF == t.st.NGF)
			})),
			app.Label().For("train-epochs").Text("Epochs"),
			numberInput("train-epochs", t.st.Epochs, 1, 100, running, func(n int) { t.st.Epochs = n }),
			app.Label().For("train-images").Text("Training images"),
			numberInput("train-images", t.st.Images, 64, 100000, running, func(n int) { t.st.Images = n }),
			app.Label().For("train-seed").Text("Seed"),
			numberInput("train-seed", int(t.st.Seed), 0, 1<<30, running, func(n int) { t.st.Seed = int64(n) }),
			app.If(folder, app.Label().For("train-isize").Text("Image size")),
			app.If(folder, app.Select().ID("train-isize").Disabled(running).OnChange(func(ctx app.Context, e app.Event) {
				t.st.ISize, _ = strconv.Atoi(ctx.JSSrc().Get("value").String())
			}).Body(app.Option().Value("32").Text("32 × 32").Selected(t.st.ISize == 32), app.Option().Value("64").Text("64 × 64").Selected(t.st.ISize == 64))),
			app.If(folder, app.Label().For("train-nc").Text("Colour")),
			app.If(folder, app.Select().ID("train-nc").Disabled(running).OnChange(func(ctx app.Context, e app.Event) {
				t.st.NC, _ = strconv.Atoi(ctx.JSSrc().Get("value").String())
			}).Body(app.Option().Value("1").Text("grey").Selected(t.st.NC == 1), app.Option().Value("3").Text("colour (RGB)").Selected(t.st.NC == 3))),
		),
		app.P().Class("muted small").Text(fmt.Sprintf("Batch %d, latent size nz %d, image %d×%d. Estimated training time: about %s for %d images × %d epochs (%.0f million multiply-adds per image%s).",
			t.st.Batch, t.st.NZ, t.st.ISize, t.st.ISize, fmtDuration(secs), images, t.st.Epochs, float64(trainspec.Cost(t.st))/1e6,
			map[bool]string{true: ", at the speed measured in this tab", false: ", at a typical laptop's speed"}[t.macsPerS != defaultMACsPerS])),
	)
}

func (d *Demo) renderTrainControls(running, canUse bool) app.UI {
	t := &d.train
	p := t.prog
	frac := 0.0
	if p.Total > 0 {
		frac = float64(p.Images) / float64(p.Total)
	}
	left := math.NaN()
	if p.Images > 0 && p.Elapsed > 0 && t.status == trainspec.Running {
		left = float64(p.Total-p.Images) * p.Elapsed / float64(p.Images)
	}
	auroc := ""
	if n := len(t.aurocs); n > 0 {
		auroc = strconv.FormatFloat(t.aurocs[n-1].AUROC, 'f', 4, 64)
	}
	pauseText := "Pause"
	if t.status == trainspec.Paused {
		pauseText = "Resume"
	}
	threshold := ""
	if t.eval != nil && t.eval.Threshold != nil {
		threshold = formatTick(*t.eval.Threshold)
	}
	return app.Div().Class("train-controls").Body(
		app.Div().Class("row-buttons").Body(
			app.Button().Class("primary").Text("Start").DataSet("testid", "train-start").Disabled(t.worker == nil || running).OnClick(d.onTrainStart),
			app.Button().Text(pauseText).DataSet("testid", "train-pause").Disabled(!running).OnClick(d.onTrainPause),
			app.Button().Text("Step (one batch)").DataSet("testid", "train-step").Disabled(t.status != trainspec.Paused).OnClick(d.onTrainStep),
			app.Button().Text("Stop").DataSet("testid", "train-stop").Disabled(!running).OnClick(d.onTrainStop),
			app.Span().Class("spacer"),
			app.Select().Aria("label", "model file type").DataSet("testid", "train-dtype").OnChange(func(ctx app.Context, e app.Event) { t.dtype = ctx.JSSrc().Get("value").String() }).Body(
				app.Option().Value("f32").Text("F32 (exact)").Selected(t.dtype == "f32"),
				app.Option().Value("i8").Text("I8 (a quarter of the size)").Selected(t.dtype == "i8"),
			),
			app.Button().Text("Use this model").DataSet("testid", "train-use").Disabled(!canUse).OnClick(d.onTrainUse),
			app.Button().Text("Download").DataSet("testid", "train-download").Disabled(!canUse).OnClick(d.onTrainDownload),
		),
		app.Progress().Max(1).Value(fmt.Sprintf("%.4f", frac)).Class("train-progress").Aria("label", "training progress"),
		app.Div().Class("train-stats").Body(
			app.Span().Body(app.Text("status "), app.B().DataSet("testid", "train-status").Text(t.status)),
			app.Span().Body(app.Text("epochs done "), app.B().DataSet("testid", "train-epoch").Text(strconv.Itoa(p.Epoch)), app.Text(fmt.Sprintf(" of %d", t.st.Epochs))),
			app.Span().Body(app.Text("step "), app.B().Text(strconv.Itoa(p.Steps))),
			app.Span().Body(app.B().DataSet("testid", "train-images-per-s").Text(fmt.Sprintf("%.0f", p.ImagesPerS)), app.Text(" images/s"),
				app.If(p.Steps > 0, app.Text(" "), app.Span().Class("muted").DataSet("testid", "train-kernels").
					Title("where the trainer's hot loops (its matrix products, transforms, BatchNorm, Adam) run: the WebAssembly SIMD kernels, four values per instruction, or Go's scalar code where this browser has no SIMD; the numbers are the same bits either way").
					Text(kernelsLabel(p.SIMD)))),
			app.Span().Body(app.Text("time left "), app.B().Text(fmtDuration(left))),
			app.Span().Body(app.Text("AUROC "), app.B().DataSet("testid", "train-auroc").Text(auroc)),
			app.Span().Body(app.Text("threshold "), app.B().DataSet("testid", "train-threshold").Text(threshold)),
		),
		d.renderTrainReady(),
		app.If(t.note != "", app.P().Class("warn").DataSet("testid", "train-note").Text(t.note)),
	)
}

func (d *Demo) renderTrainReady() app.UI {
	t := &d.train
	if t.ready == nil {
		return app.Div()
	}
	{
		r := t.ready
		s := fmt.Sprintf("Training on %d normal images (%d batches an epoch); %d held-out normals set the threshold; test set: %d normals and %d anomalies.", r.Train, r.StepsPerEpoch, r.Val, r.Normals, r.Anomalies)
		if len(r.Skipped) > 0 {
			s += fmt.Sprintf(" Skipped %d files: %s", len(r.Skipped), strings.Join(r.Skipped[:min(5, len(r.Skipped))], "; "))
		}
		return app.P().Class("muted small").Text(s)
	}
}

// trainSentence says in plain words what the class is looking at.
func (d *Demo) trainSentence() string {
	t := &d.train
	abnormal := "the unticked digits"
	if t.st.Source == "folder" {
		abnormal = "the images in 1.abnormal/"
	}
	if t.ready != nil && len(t.ready.Dataset.AbnormalClasses) > 0 {
		abnormal = "the digit " + strings.Join(t.ready.Dataset.AbnormalClasses, ", ") + " (never shown in training)"
	}
	switch {
	case t.status == trainspec.Idle:
		return "Press Start. The generator learns to squeeze each normal image into 100 numbers and rebuild it; an image it cannot rebuild well, or whose numbers change when rebuilt, is anomalous."
	case t.status == trainspec.Failed:
		return "Training stopped: " + t.note
	case len(t.aurocs) == 0:
		return "The generator is learning to copy normal images: watch the reconstruction loss (con) fall and the rebuilt images in the strip below sharpen."
	}
	a := t.aurocs[len(t.aurocs)-1].AUROC
	s := fmt.Sprintf("Green bars are held-out normal images, red bars %s. The further red sits to the right of green, the better the detector: AUROC %.2f (0.5 is a coin toss, 1 is perfect).", abnormal, a)
	if n := len(t.aurocs); n > 1 && t.aurocs[n-1].AUROC < t.aurocs[n-2].AUROC-0.05 {
		s += " It can swing early on: BatchNorm's running averages, which the finished model uses, lag behind weights that still change fast."
	}
	if t.status == trainspec.Done {
		s += " Done: use the model in the other views, or download it."
	}
	return s
}

func (d *Demo) renderTrainStrip() app.UI {
	ev := d.train.strip
	if ev == nil || len(ev.StripX) == 0 {
		return app.Div().Class("train-strip")
	}
	meta := modelfile.Metadata{Arch: d.train.st.Arch(), Norm: modelfile.DefaultNorm(d.train.st.NC)}
	return app.Div().Class("train-strip").Body(
		app.H3().Text(fmt.Sprintf("Inputs (top) and their reconstructions x̂ (bottom) after step %d", ev.Steps)),
		app.Div().Class("strip-row").Body(app.Range(ev.StripX).Slice(func(i int) app.UI {
			cls := "normal"
			if ev.StripAnomalous[i] {
				cls = "abnormal"
			}
			return app.Figure().Class("strip-cell "+cls).Body(
				app.Img().Src(TensorURL(ev.StripX[i], meta)).Alt(fmt.Sprintf("input %d", i+1)),
				app.Img().Src(TensorURL(ev.StripXHat[i], meta)).Alt(fmt.Sprintf("reconstruction of input %d", i+1)),
				app.FigCaption().Text(fmt.Sprintf("%s %s", map[bool]string{true: "anomaly", false: "normal"}[ev.StripAnomalous[i]], formatTick(ev.StripScores[i]))),
			)
		})),
	)
}

// trainChart is one chart of the Train view: a title, the SVG and, under it,
// the latest numbers as text (the chart's text alternative: the SVG is
// labelled by it).
func trainChart(title, textID, svg, text string) app.UI {
	svg = strings.Replace(svg, `role="img"`, `role="img" aria-labelledby="`+textID+`"`, 1)
	return app.Figure().Class("train-chart").Body(
		app.H3().Text(title),
		app.Raw(svg),
		app.FigCaption().ID(textID).Class("muted small").DataSet("testid", textID).Text(text),
	)
}

// lossText says the latest losses in words.
func lossText(pts []lossPoint) string {
	if len(pts) == 0 {
		return "No losses yet: they appear after the first training step."
	}
	p := pts[len(pts)-1]
	return fmt.Sprintf("After step %d: errG %s (adversarial %s, reconstruction con %s, encoder %s), errD %s. The reconstruction loss started at %s.",
		p.Steps, formatTick(p.G), formatTick(p.Adv), formatTick(p.Con), formatTick(p.Enc), formatTick(p.D), formatTick(pts[0].Con))
}

// aurocText says the eval-mode AUROC measured so far in words.
func aurocText(pts []aurocPoint) string {
	if len(pts) == 0 {
		return "No evaluation yet: the AUROC is measured on held-out images after each half epoch (0.5 is chance, 1 is perfect)."
	}
	last := pts[len(pts)-1]
	s := fmt.Sprintf("AUROC %.3f at step %d", last.AUROC, last.Steps)
	if len(pts) > 1 {
		var earlier []string
		for _, p := range pts[max(0, len(pts)-6) : len(pts)-1] {
			earlier = append(earlier, fmt.Sprintf("%.2f", p.AUROC))
		}
		s += "; before that " + strings.Join(earlier, ", ")
	}
	return s + ". 0.5 is chance, 1 is perfect."
}

// trainHistText says the last evaluation's score histograms in words.
func trainHistText(ev *trainspec.Eval) string {
	if ev == nil || len(ev.Normals) == 0 || len(ev.Edges) != len(ev.Normals)+1 {
		return "No scores yet: the histograms appear at the first evaluation."
	}
	sum := func(c []int) int {
		n := 0
		for _, v := range c {
			n += v
		}
		return n
	}
	// The fullest bin's middle: where most of a group's scores lie.
	peak := func(c []int) string {
		best := 0
		for i, v := range c {
			if v > c[best] {
				best = i
			}
		}
		return formatTick((ev.Edges[best] + ev.Edges[best+1]) / 2)
	}
	n, a := sum(ev.Normals), sum(ev.Anomalies)
	s := fmt.Sprintf("Scores after step %d: %d held-out normals, most near %s", ev.Steps, n, peak(ev.Normals))
	if a > 0 {
		s += fmt.Sprintf("; %d anomalies, most near %s", a, peak(ev.Anomalies))
	}
	if ev.Threshold != nil {
		s += "; threshold " + formatTick(*ev.Threshold)
	}
	return s + "."
}

// lossSVG draws the losses against the step on a log scale.
func lossSVG(pts []lossPoint) string {
	const W, H, L, R, T, B = 420.0, 200.0, 44.0, 10.0, 12.0, 30.0
	var sb strings.Builder
	first, last := 0.0, 0.0
	if len(pts) > 0 {
		first, last = pts[0].Con, pts[len(pts)-1].Con
	}
	fmt.Fprintf(&sb, `<svg class="chart" viewBox="0 0 %v %v" role="img" aria-label="loss curves" data-testid="train-losses" data-points="%d" data-con-first="%g" data-con-last="%g">`, W, H, len(pts), first, last)
	if len(pts) == 0 {
		fmt.Fprintf(&sb, `<text x="%v" y="%v" text-anchor="middle" class="muted">losses appear after the first step</text></svg>`, W/2, H/2)
		return sb.String()
	}
	series := []struct {
		name string
		get  func(p lossPoint) float64
	}{{"errG", func(p lossPoint) float64 { return p.G }}, {"adv", func(p lossPoint) float64 { return p.Adv }},
		{"con", func(p lossPoint) float64 { return p.Con }}, {"enc", func(p lossPoint) float64 { return p.Enc }}, {"errD", func(p lossPoint) float64 { return p.D }}}
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, p := range pts {
		for _, s := range series {
			if v := s.get(p); v > 0 {
				lo, hi = math.Min(lo, math.Log10(v)), math.Max(hi, math.Log10(v))
			}
		}
	}
	if !(hi > lo) {
		lo, hi = lo-1, lo+1
	}
	lo, hi = math.Floor(lo), math.Ceil(hi)
	maxStep := float64(pts[len(pts)-1].Steps)
	px := func(s int) float64 { return L + float64(s)/math.Max(1, maxStep)*(W-L-R) }
	py := func(v float64) float64 { return T + (hi-math.Log10(v))/(hi-lo)*(H-T-B) }
	for e := lo; e <= hi; e++ {
		fmt.Fprintf(&sb, `<line x1="%v" x2="%v" y1="%s" y2="%s" stroke="#ddd"/><text x="%v" y="%s" class="tick" text-anchor="end">1e%.0f</text>`, L, W-R, f2(py(math.Pow(10, e))), f2(py(math.Pow(10, e))), L-4, f2(py(math.Pow(10, e))+4), e)
	}
	for k, s := range series {
		var path strings.Builder
		for _, p := range pts {
			v := s.get(p)
			if !(v > 0) {
				continue
			}
			cmd := "L"
			if path.Len() == 0 {
				cmd = "M"
			}
			fmt.Fprintf(&path, "%s%s %s ", cmd, f2(px(p.Steps)), f2(py(v)))
		}
		fmt.Fprintf(&sb, `<path d="%s" fill="none" stroke="%s" stroke-width="2"/>`, path.String(), lossColours[k])
		fmt.Fprintf(&sb, `<text x="%v" y="%v" class="tick" style="fill:%s">%s</text>`, L+8+float64(k)*62, H-8, lossColours[k], s.name)
	}
	fmt.Fprintf(&sb, `<text x="%v" y="%v" class="tick" text-anchor="end">step %d</text></svg>`, W-R, H-8, int(maxStep))
	return sb.String()
}

// aurocSVG draws the eval-mode AUROC against the step, with chance (0.5).
func aurocSVG(pts []aurocPoint, totalSteps int) string {
	const W, H, L, R, T, B = 420.0, 200.0, 36.0, 10.0, 12.0, 30.0
	var sb strings.Builder
	fmt.Fprintf(&sb, `<svg class="chart" viewBox="0 0 %v %v" role="img" aria-label="AUROC curve" data-testid="train-auroc-chart" data-points="%d">`, W, H, len(pts))
	maxStep := float64(max(1, totalSteps))
	if n := len(pts); n > 0 {
		maxStep = math.Max(maxStep, float64(pts[n-1].Steps))
	}
	px := func(s int) float64 { return L + float64(s)/maxStep*(W-L-R) }
	py := func(v float64) float64 { return T + (1-v)*(H-T-B) }
	for _, v := range []float64{0, 0.5, 1} {
		fmt.Fprintf(&sb, `<line x1="%v" x2="%v" y1="%s" y2="%s" stroke="#ddd"/><text x="%v" y="%s" class="tick" text-anchor="end">%.1f</text>`, L, W-R, f2(py(v)), f2(py(v)), L-4, f2(py(v)+4), v)
	}
	fmt.Fprintf(&sb, `<text x="%v" y="%s" class="tick">chance</text>`, W-R-50, f2(py(0.5)-4))
	if len(pts) == 0 {
		fmt.Fprintf(&sb, `<text x="%v" y="%v" text-anchor="middle" class="muted">measured after each half epoch</text></svg>`, W/2, H/2+30)
		return sb.String()
	}
	var path strings.Builder
	for i, p := range pts {
		fmt.Fprintf(&path, "%s%s %s ", map[bool]string{true: "M", false: "L"}[i == 0], f2(px(p.Steps)), f2(py(p.AUROC)))
		fmt.Fprintf(&sb, `<circle cx="%s" cy="%s" r="3" fill="#1f3a5f"/>`, f2(px(p.Steps)), f2(py(p.AUROC)))
	}
	last := pts[len(pts)-1]
	fmt.Fprintf(&sb, `<path d="%s" fill="none" stroke="#1f3a5f" stroke-width="2"/><text x="%v" y="%v" class="tick" text-anchor="end">%.3f at step %d</text></svg>`, path.String(), W-R, H-8, last.AUROC, last.Steps)
	return sb.String()
}

// trainHistSVG draws the held-out normal and anomalous score histograms on
// their shared bins, with the threshold.
func trainHistSVG(ev *trainspec.Eval) string {
	const W, H, L, R, T, B = 420.0, 200.0, 10.0, 10.0, 16.0, 34.0
	var sb strings.Builder
	n := 0
	if ev != nil {
		n = len(ev.Normals)
	}
	fmt.Fprintf(&sb, `<svg class="chart" viewBox="0 0 %v %v" role="img" aria-label="score histograms" data-testid="train-histogram" data-bins="%d">`, W, H, n)
	if n == 0 || len(ev.Edges) != n+1 {
		fmt.Fprintf(&sb, `<text x="%v" y="%v" text-anchor="middle" class="muted">appears at the first evaluation</text></svg>`, W/2, H/2)
		return sb.String()
	}
	maxC := 1
	for i := range ev.Normals {
		maxC = max(maxC, ev.Normals[i])
		if i < len(ev.Anomalies) {
			maxC = max(maxC, ev.Anomalies[i])
		}
	}
	lo, hi := ev.Edges[0], ev.Edges[n]
	px := func(v float64) float64 { return L + (math.Min(hi, math.Max(lo, v))-lo)/(hi-lo)*(W-L-R) }
	py := func(c int) float64 { return H - B - float64(c)/float64(maxC)*(H-T-B) }
	for k, counts := range [][]int{ev.Normals, ev.Anomalies} {
		col := []string{colNormal, colAnomalous}[k]
		for i, c := range counts {
			if c == 0 {
				continue
			}
			x0, x1 := px(ev.Edges[i]), px(ev.Edges[i+1])
			fmt.Fprintf(&sb, `<rect x="%s" y="%s" width="%s" height="%s" fill="%s" fill-opacity="0.55"/>`, f2(x0), f2(py(c)), f2(math.Max(0.5, x1-x0-0.5)), f2(H-B-py(c)), col)
		}
	}
	fmt.Fprintf(&sb, `<line x1="%v" y1="%v" x2="%v" y2="%v" stroke="%s"/>`, L, H-B, W-R, H-B, colAxis)
	fmt.Fprintf(&sb, `<text x="%v" y="%v" class="tick">%s</text><text x="%v" y="%v" class="tick" text-anchor="end">%s  score →</text>`, L, H-B+16, formatTick(lo), W-R, H-B+16, formatTick(hi))
	fmt.Fprintf(&sb, `<text x="%v" y="%v" class="tick" style="fill:%s">■ held-out normals</text><text x="%v" y="%v" class="tick" style="fill:%s">■ anomalies</text>`, L+4, T, colNormal, L+130, T, colAnomalous)
	if ev.Threshold != nil {
		x := px(*ev.Threshold)
		fmt.Fprintf(&sb, `<line x1="%s" y1="%v" x2="%s" y2="%v" stroke="#222" stroke-dasharray="5 4" stroke-width="2"/><text x="%s" y="%v" class="tick" text-anchor="middle">threshold</text>`, f2(x), T+4, f2(x), H-B, f2(math.Min(math.Max(x, L+30), W-R-30)), H-4)
	}
	sb.WriteString("</svg>")
	return sb.String()
}

// kernelsLabel names where the trainer's hot loops run (engine.HostKernels).
func kernelsLabel(simd bool) string {
	if simd {
		return "(SIMD)"
	}
	return "(no SIMD)"
}
