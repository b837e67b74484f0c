package ui

import (
	"fmt"
	"math"
	"strconv"

	"github.com/ganomaly-go/ganomaly/engine"
	"github.com/ganomaly-go/ganomaly/spec"
	"github.com/maxence-charriere/go-app/v9/pkg/app"
)

// LabView is the lab: the model's layers with the feature maps of the
// image shown, the latent explorer and the interpolation between two
// images. A component with its own state (labState), mounted while its tab
// is shown; it reaches the page through labHost only.
type LabView struct {
	app.Compo

	host labHost
	st   labState
}

// labHost is what the lab needs from the page.
type labHost interface {
	// session is the loaded model, nil while it loads.
	session() *Session
	// current is the image the single view shows, nil before the first.
	current() *Analysis
	// samples is the gallery suited to the model (the second image of the
	// interpolation); sampleLabel labels a sample for it.
	samples() []GalleryItem
	sampleLabel(it GalleryItem) string
	// fail shows a message in the page's error banner.
	fail(msg string)
}

func newLabView(h labHost) *LabView {
	l := &LabView{host: h}
	l.st.reset()
	return l
}

// reset forgets what the lab showed (a new image or a new model).
func (l *LabView) reset() {
	l.st.reset()
	if l.Mounted() {
		l.Update()
	}
}

// labState is the lab's state: the selected layer's feature maps, the
// edited latent vector and the interpolation.
type labState struct {
	layer    int    // selected layer, -1 none
	fmURL    string // its feature maps as one mosaic
	fmShown  int
	latent   []float32 // the latent being edited (starts as latentI)
	decURL   string
	decScore float64
	otherIdx int // gallery index of the second image, -1 none
	otherZ   []float32
	alpha    float64
	zRange   float64 // latent sliders run from -zRange to zRange
	mixURL   string
	mixScore float64
}

func (l *labState) reset() {
	*l = labState{layer: -1, otherIdx: -1}
}

// maxMaps bounds the feature maps drawn for one layer (a mosaic of 64 is
// readable; deeper layers have up to 256 channels).
const maxMaps = 64

// onLayer traces the current image and shows one layer's feature maps.
func (l *LabView) onLayer(i int) app.EventHandler {
	return func(ctx app.Context, e app.Event) {
		sess, cur := l.host.session(), l.host.current()
		if cur == nil || sess == nil {
			return
		}
		out, info, err := sess.LayerOutput(cur.X, i)
		if err != nil {
			l.host.fail(err.Error())
			return
		}
		img, n := MosaicImage(out, info.OutC, info.OutH, maxMaps)
		l.st.layer, l.st.fmURL, l.st.fmShown = i, PNGDataURL(img), n
	}
}

// decode runs the decoder on z and scores the decoded image.
func (l *LabView) decode(z []float32) (string, float64, error) {
	sess := l.host.session()
	img, score, err := sess.DecodeScore(z)
	if err != nil {
		return "", 0, err
	}
	return TensorURL(img, sess.Meta), score, nil
}

func (l *LabView) ensureLatent() {
	if cur := l.host.current(); cur != nil && len(l.st.latent) != len(cur.LatentI) {
		l.st.latent = append([]float32(nil), cur.LatentI...)
		l.st.decURL, l.st.decScore, _ = l.decode(l.st.latent)
	}
}

func (l *LabView) onLatent(i int) app.EventHandler {
	return func(ctx app.Context, e app.Event) {
		p, err := strconv.ParseFloat(ctx.JSSrc().Get("value").String(), 64)
		if err != nil || i >= len(l.st.latent) {
			return
		}
		l.st.latent[i] = float32(FromSlider(p, -l.st.zRange, l.st.zRange))
		url, s, err := l.decode(l.st.latent)
		if err != nil {
			l.host.fail(err.Error())
			return
		}
		l.st.decURL, l.st.decScore = url, s
	}
}

func (l *LabView) onLatentReset(ctx app.Context, e app.Event) {
	l.st.latent = nil
	l.ensureLatent()
}

func (l *LabView) onOther(ctx app.Context, e app.Event) {
	idx, err := strconv.Atoi(ctx.JSSrc().Get("value").String())
	items := l.host.samples()
	if err != nil || idx < 0 || idx >= len(items) {
		l.st.otherIdx, l.st.otherZ = -1, nil
		return
	}
	sess := l.host.session()
	x, err := sess.Prepare(items[idx].Bytes)
	if err != nil {
		l.host.fail(err.Error())
		return
	}
	z, err := sess.Encode(x)
	if err != nil {
		l.host.fail(err.Error())
		return
	}
	l.st.otherIdx, l.st.otherZ = idx, z
	l.mix()
}

func (l *LabView) onAlpha(ctx app.Context, e app.Event) {
	if p, err := strconv.ParseFloat(ctx.JSSrc().Get("value").String(), 64); err == nil {
		l.st.alpha = FromSlider(p, 0, 1)
		l.mix()
	}
}

func (l *LabView) mix() {
	cur := l.host.current()
	if cur == nil || l.st.otherZ == nil {
		return
	}
	z := make([]float32, len(cur.LatentI))
	a := float32(l.st.alpha)
	for i := range z {
		z[i] = (1-a)*cur.LatentI[i] + a*l.st.otherZ[i]
	}
	url, s, err := l.decode(z)
	if err != nil {
		l.host.fail(err.Error())
		return
	}
	l.st.mixURL, l.st.mixScore = url, s
}

func partName(p string) string {
	switch p {
	case "encoder1":
		return "E1: encoder"
	case "decoder":
		return "D: decoder (generator)"
	case "encoder2":
		return "E2: encoder of x̂"
	}
	return p
}

// Render draws the lab.
func (l *LabView) Render() app.UI {
	sess, cur := l.host.session(), l.host.current()
	if sess == nil {
		return app.Div().Class("panel lab")
	}
	layers := sess.Layers()
	parts := []string{"encoder1", "decoder", "encoder2"}
	var cols []app.UI
	for pi, p := range parts {
		var boxes []app.UI
		for i, ly := range layers {
			if ly.Part != p {
				continue
			}
			cls := "layer"
			if l.st.layer == i {
				cls += " selected"
			}
			h := 18 + 70*float64(ly.OutH)/float64(sess.Meta.Arch.ISize)
			boxes = append(boxes, app.Button().Class(cls).Style("min-height", fmt.Sprintf("%.0fpx", h)).
				Disabled(cur == nil).OnClick(l.onLayer(i), i).
				Title(fmt.Sprintf("%s %s, %s", ly.Key(), ly.Op, ly.Act)).
				Body(
					app.Span().Class("shape").Text(fmt.Sprintf("%d×%d×%d", ly.OutC, ly.OutH, ly.OutH)),
					app.Span().Class("op").Text(layerOp(ly)),
				))
		}
		cols = append(cols, app.Div().Class("part part-"+p).Body(
			app.H3().Text(partName(p)),
			app.Div().Class("layers").Body(boxes...),
		))
		if pi < len(parts)-1 {
			cols = append(cols, app.Div().Class("arrow").Aria("hidden", true).Text("→"))
		}
	}
	a := sess.Meta.Arch
	var fm app.UI = app.P().Class("hint").Text("Score an image first, then click a layer to see its feature maps for that image.")
	if cur != nil && l.st.layer >= 0 {
		ly := layers[l.st.layer]
		fm = app.Div().Class("fmaps").Body(
			app.Img().Src(l.st.fmURL).Alt("feature maps"),
			app.P().Text(fmt.Sprintf("%s — %s: %d feature maps of %d×%d (first %d shown, each stretched to its own range).", partName(ly.Part), ly.Name, ly.OutC, ly.OutH, ly.OutH, l.st.fmShown)),
		)
	} else if cur != nil {
		fm = app.P().Class("hint").Text("Click a layer above (or Tab to it and press Enter) to see its feature maps for " + cur.Name + ".")
	}
	return app.Div().Class("lab").Body(
		app.Div().Class("panel").Body(
			app.H2().Text("Inside the model: encoder → decoder → encoder"),
			app.P().Text(fmt.Sprintf("The real layers of the loaded model (input %d×%d×%d, latent size nz = %d). Each box is one convolution with its output shape channels×height×width.", a.NC, a.ISize, a.ISize, a.NZ)),
			app.Div().Class("diagram").Body(cols...),
			fm,
		),
		l.renderExplain(),
		l.renderLatent(),
	)
}

func layerOp(l engine.LayerInfo) string {
	op := "conv"
	if l.Op == spec.ConvT {
		op = "conv-T"
	}
	return fmt.Sprintf("%s %d→%d k%d s%d", op, l.InC, l.OutC, l.K, l.S)
}

func (l *LabView) renderExplain() app.UI {
	score := "—"
	if cur := l.host.current(); cur != nil {
		score = ShortScore(cur.Score)
	}
	return app.Div().Class("panel explain").Body(
		app.H2().Text("The idea in three losses"),
		app.Ol().Body(
			app.Li().Body(app.B().Text("Contextual loss (weight 50): "), app.Text("x̂ must look like x, pixel by pixel (mean |x − x̂|). This teaches the encoder E1 and the decoder D to compress and rebuild normal images.")),
			app.Li().Body(app.B().Text("Encoder loss (weight 1): "), app.Text("the code of the rebuilt image, E2(x̂), must equal the code of the input, E1(x). The model learns to make these agree — but only on the normal images it trains on.")),
			app.Li().Body(app.B().Text("Adversarial loss (weight 1): "), app.Text("a discriminator network tries to tell x from x̂; the generator must make their inner features match, which keeps x̂ sharp and realistic.")),
		),
		app.P().Body(app.B().Text("Why an unseen image stands out: "), app.Text("the decoder only knows how to draw normal images. Given something else, x̂ becomes a normal-looking guess, and its code E2(x̂) no longer matches E1(x). The score is that mismatch, the mean of (E1(x) − E2(x̂))² — now "), app.B().Text(score), app.Text(".")),
	)
}

func (l *LabView) renderLatent() app.UI {
	cur := l.host.current()
	if cur == nil {
		return app.Div().Class("panel").Body(app.H2().Text("Latent explorer"), app.P().Class("hint").Text("Score an image first: its latent code appears here as sliders."))
	}
	l.ensureLatent()
	m := 1.0
	for _, v := range cur.LatentI {
		m = math.Max(m, 1.5*math.Abs(float64(v)))
	}
	l.st.zRange = m
	items := l.host.samples()
	var mix app.UI = app.P().Class("hint").Text("Choose a second image to interpolate between the two latent codes.")
	if l.st.otherZ != nil {
		mix = app.Div().Class("mix").Body(
			figure(TensorURL(cur.X, l.host.session().Meta), "A: current image"),
			app.Div().Class("mix-mid").Body(
				app.Img().Src(l.st.mixURL).Alt("decoded mixture"),
				app.Label().For("alpha").Text(fmt.Sprintf("mix %.0f%% A, %.0f%% B · score %s", 100*(1-l.st.alpha), 100*l.st.alpha, formatTick(l.st.mixScore))),
				app.Input().ID("alpha").Type("range").Min(0).Max(SliderSteps).Step(5).Value(ToSlider(l.st.alpha, 0, 1)).OnInput(l.onAlpha),
			),
			figure(items[l.st.otherIdx].URL, "B: "+items[l.st.otherIdx].Dataset+" "+items[l.st.otherIdx].Class),
		)
	}
	return app.Div().Class("panel latent").Body(
		app.H2().Text("Latent explorer"),
		app.P().Text(fmt.Sprintf("E1 squeezes the image into %d numbers. Move any of them and the decoder draws what that code means; the score shown is that drawing's own anomaly score.", len(l.st.latent))),
		app.Div().Class("latent-wrap").Body(
			app.Div().Class("decoded").Body(
				app.Img().Src(l.st.decURL).Alt("decoded latent"),
				app.P().Text("decoded · score "+formatTick(l.st.decScore)),
				app.Button().Text("Reset to E1(x)").OnClick(l.onLatentReset),
			),
			app.Div().Class("sliders").Body(
				app.Range(l.st.latent).Slice(func(i int) app.UI {
					return app.Input().Type("range").Min(0).Max(SliderSteps).Step(0.1).Value(ToSlider(float64(l.st.latent[i]), -m, m)).
						OnInput(l.onLatent(i), i).Aria("label", fmt.Sprintf("latent %d", i)).Title(fmt.Sprintf("z[%d] = %.3f", i, l.st.latent[i]))
				}),
			),
		),
		app.H3().Text("Interpolate between two images"),
		app.Label().For("other").Text("Second image "),
		app.Select().ID("other").OnChange(l.onOther).Body(
			app.Option().Value("-1").Text("— choose —"),
			app.Range(items).Slice(func(i int) app.UI {
				it := items[i]
				return app.Option().Value(strconv.Itoa(i)).Text(fmt.Sprintf("%s %s %s", it.Dataset, it.Class, labelShort(l.host.sampleLabel(it)))).Selected(i == l.st.otherIdx)
			}),
		),
		mix,
	)
}
