package ui

import (
	"fmt"
	"math"
	"strconv"

	"github.com/ganomaly-go/ganomaly/engine"
	"github.com/ganomaly-go/ganomaly/spec"
	"github.com/maxence-charriere/go-app/v9/pkg/app"
)

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
func (d *Demo) onLayer(i int) app.EventHandler {
	return func(ctx app.Context, e app.Event) {
		if d.current() == nil || d.sess == nil {
			return
		}
		out, info, err := d.sess.LayerOutput(d.current().X, i)
		if err != nil {
			d.err = err.Error()
			return
		}
		img, n := MosaicImage(out, info.OutC, info.OutH, maxMaps)
		d.lab.layer, d.lab.fmURL, d.lab.fmShown = i, PNGDataURL(img), n
	}
}

// decode runs the decoder on z and scores the decoded image.
func (d *Demo) decode(z []float32) (string, float64, error) {
	img, score, err := d.sess.DecodeScore(z)
	if err != nil {
		return "", 0, err
	}
	return TensorURL(img, d.sess.Meta), score, nil
}

func (d *Demo) ensureLatent() {
	if d.current() != nil && len(d.lab.latent) != len(d.current().LatentI) {
		d.lab.latent = append([]float32(nil), d.current().LatentI...)
		d.lab.decURL, d.lab.decScore, _ = d.decode(d.lab.latent)
	}
}

func (d *Demo) onLatent(i int) app.EventHandler {
	return func(ctx app.Context, e app.Event) {
		p, err := strconv.ParseFloat(ctx.JSSrc().Get("value").String(), 64)
		if err != nil || i >= len(d.lab.latent) {
			return
		}
		d.lab.latent[i] = float32(FromSlider(p, -d.lab.zRange, d.lab.zRange))
		url, s, err := d.decode(d.lab.latent)
		if err != nil {
			d.err = err.Error()
			return
		}
		d.lab.decURL, d.lab.decScore = url, s
	}
}

func (d *Demo) onLatentReset(ctx app.Context, e app.Event) {
	d.lab.latent = nil
	d.ensureLatent()
}

func (d *Demo) onOther(ctx app.Context, e app.Event) {
	idx, err := strconv.Atoi(ctx.JSSrc().Get("value").String())
	items := d.galleryFor()
	if err != nil || idx < 0 || idx >= len(items) {
		d.lab.otherIdx, d.lab.otherZ = -1, nil
		return
	}
	x, err := d.sess.Prepare(items[idx].Bytes)
	if err != nil {
		d.err = err.Error()
		return
	}
	z, err := d.sess.Encode(x)
	if err != nil {
		d.err = err.Error()
		return
	}
	d.lab.otherIdx, d.lab.otherZ = idx, z
	d.mix()
}

func (d *Demo) onAlpha(ctx app.Context, e app.Event) {
	if p, err := strconv.ParseFloat(ctx.JSSrc().Get("value").String(), 64); err == nil {
		d.lab.alpha = FromSlider(p, 0, 1)
		d.mix()
	}
}

func (d *Demo) mix() {
	if d.current() == nil || d.lab.otherZ == nil {
		return
	}
	z := make([]float32, len(d.current().LatentI))
	a := float32(d.lab.alpha)
	for i := range z {
		z[i] = (1-a)*d.current().LatentI[i] + a*d.lab.otherZ[i]
	}
	url, s, err := d.decode(z)
	if err != nil {
		d.err = err.Error()
		return
	}
	d.lab.mixURL, d.lab.mixScore = url, s
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

func (d *Demo) renderLab() app.UI {
	if d.sess == nil {
		return app.Div().Class("panel lab")
	}
	layers := d.sess.Layers()
	parts := []string{"encoder1", "decoder", "encoder2"}
	var cols []app.UI
	for pi, p := range parts {
		var boxes []app.UI
		for i, l := range layers {
			if l.Part != p {
				continue
			}
			i, l := i, l
			cls := "layer"
			if d.lab.layer == i {
				cls += " selected"
			}
			h := 18 + 70*float64(l.OutH)/float64(d.sess.Meta.Arch.ISize)
			boxes = append(boxes, app.Button().Class(cls).Style("min-height", fmt.Sprintf("%.0fpx", h)).
				Disabled(d.current() == nil).OnClick(d.onLayer(i), i).
				Title(fmt.Sprintf("%s %s, %s", l.Key(), l.Op, l.Act)).
				Body(
					app.Span().Class("shape").Text(fmt.Sprintf("%d×%d×%d", l.OutC, l.OutH, l.OutH)),
					app.Span().Class("op").Text(layerOp(l)),
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
	a := d.sess.Meta.Arch
	var fm app.UI = app.P().Class("hint").Text("Score an image first, then click a layer to see its feature maps for that image.")
	if d.current() != nil && d.lab.layer >= 0 {
		l := layers[d.lab.layer]
		fm = app.Div().Class("fmaps").Body(
			app.Img().Src(d.lab.fmURL).Alt("feature maps"),
			app.P().Text(fmt.Sprintf("%s — %s: %d feature maps of %d×%d (first %d shown, each stretched to its own range).", partName(l.Part), l.Name, l.OutC, l.OutH, l.OutH, d.lab.fmShown)),
		)
	} else if d.current() != nil {
		fm = app.P().Class("hint").Text("Click a layer above (or Tab to it and press Enter) to see its feature maps for " + d.current().Name + ".")
	}
	return app.Div().Class("lab").Body(
		app.Div().Class("panel").Body(
			app.H2().Text("Inside the model: encoder → decoder → encoder"),
			app.P().Text(fmt.Sprintf("The real layers of the loaded model (input %d×%d×%d, latent size nz = %d). Each box is one convolution with its output shape channels×height×width.", a.NC, a.ISize, a.ISize, a.NZ)),
			app.Div().Class("diagram").Body(cols...),
			fm,
		),
		d.renderExplain(),
		d.renderLatent(),
	)
}

func layerOp(l engine.LayerInfo) string {
	op := "conv"
	if l.Op == spec.ConvT {
		op = "conv-T"
	}
	return fmt.Sprintf("%s %d→%d k%d s%d", op, l.InC, l.OutC, l.K, l.S)
}

func (d *Demo) renderExplain() app.UI {
	score := "—"
	if d.current() != nil {
		score = ShortScore(d.current().Score)
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

func (d *Demo) renderLatent() app.UI {
	if d.current() == nil {
		return app.Div().Class("panel").Body(app.H2().Text("Latent explorer"), app.P().Class("hint").Text("Score an image first: its latent code appears here as sliders."))
	}
	d.ensureLatent()
	m := 1.0
	for _, v := range d.current().LatentI {
		m = math.Max(m, 1.5*math.Abs(float64(v)))
	}
	d.lab.zRange = m
	items := d.galleryFor()
	var mix app.UI = app.P().Class("hint").Text("Choose a second image to interpolate between the two latent codes.")
	if d.lab.otherZ != nil {
		mix = app.Div().Class("mix").Body(
			figure(TensorURL(d.current().X, d.sess.Meta), "A: current image"),
			app.Div().Class("mix-mid").Body(
				app.Img().Src(d.lab.mixURL).Alt("decoded mixture"),
				app.Label().For("alpha").Text(fmt.Sprintf("mix %.0f%% A, %.0f%% B · score %s", 100*(1-d.lab.alpha), 100*d.lab.alpha, formatTick(d.lab.mixScore))),
				app.Input().ID("alpha").Type("range").Min(0).Max(SliderSteps).Step(5).Value(ToSlider(d.lab.alpha, 0, 1)).OnInput(d.onAlpha),
			),
			figure(items[d.lab.otherIdx].URL, "B: "+items[d.lab.otherIdx].Dataset+" "+items[d.lab.otherIdx].Class),
		)
	}
	return app.Div().Class("panel latent").Body(
		app.H2().Text("Latent explorer"),
		app.P().Text(fmt.Sprintf("E1 squeezes the image into %d numbers. Move any of them and the decoder draws what that code means; the score shown is that drawing's own anomaly score.", len(d.lab.latent))),
		app.Div().Class("latent-wrap").Body(
			app.Div().Class("decoded").Body(
				app.Img().Src(d.lab.decURL).Alt("decoded latent"),
				app.P().Text("decoded · score "+formatTick(d.lab.decScore)),
				app.Button().Text("Reset to E1(x)").OnClick(d.onLatentReset),
			),
			app.Div().Class("sliders").Body(
				app.Range(d.lab.latent).Slice(func(i int) app.UI {
					return app.Input().Type("range").Min(0).Max(SliderSteps).Step(0.1).Value(ToSlider(float64(d.lab.latent[i]), -m, m)).
						OnInput(d.onLatent(i), i).Aria("label", fmt.Sprintf("latent %d", i)).Title(fmt.Sprintf("z[%d] = %.3f", i, d.lab.latent[i]))
				}),
			),
		),
		app.H3().Text("Interpolate between two images"),
		app.Label().For("other").Text("Second image "),
		app.Select().ID("other").OnChange(d.onOther).Body(
			app.Option().Value("-1").Text("— choose —"),
			app.Range(items).Slice(func(i int) app.UI {
				it := items[i]
				return app.Option().Value(strconv.Itoa(i)).Text(fmt.Sprintf("%s %s %s", it.Dataset, it.Class, labelShort(d.galleryLabel(it)))).Selected(i == d.lab.otherIdx)
			}),
		),
		mix,
	)
}
