package ui

import (
	"fmt"
	"strings"

	"github.com/ganomaly-go/ganomaly/modelfile"
	"github.com/ganomaly-go/ganomaly/preprocess"
	"github.com/maxence-charriere/go-app/v9/pkg/app"
)

// Render draws the page.
func (d *Demo) Render() app.UI {
	d.batchView().setVisible(d.view == viewBatch)
	cls := "page"
	if d.large {
		cls += " large"
	}
	return app.Div().Class(cls).OnDragOver(d.onDragOver).OnDrop(d.onDrop).Body(
		app.Header().Class("top").Body(
			app.Div().Class("title").Body(
				app.Img().Src("/web/icon-192.png").Alt("").Class("logo"),
				app.Div().Body(
					app.H1().Text("GANomaly in your browser"),
					app.P().Class("muted").Text("An anomaly detector trained only on normal images judges yours — entirely on this page, nothing is uploaded."),
				),
			),
			d.renderPicker(),
		),
		app.Nav().Class("tabs").Aria("label", "views").Body(
			d.tab(viewSingle, "Single image"),
			d.tab(viewBatch, "Batch"),
			d.tab(viewLab, "Lab: how it works"),
			d.trainTab(),
			app.Button().Class("tab toggle").Text(map[bool]string{false: "Larger text", true: "Normal text"}[d.large]).OnClick(d.onLarge).Aria("pressed", d.large).Disabled(!d.live),
		),
		// Everything but the header, the tabs and the footer sits in main:
		// content outside landmarks is lost to screen-reader navigation.
		// Its children keep their places (conditional parts sit inside fixed
		// elements): go-app would otherwise replace, and so remount, the
		// batch view, which is mounted once and stays mounted (hidden) while
		// another view is shown, so that a batch keeps running.
		app.Main().Body(
			d.renderError(),
			d.renderAbout(),
			app.Div().Class("input-strip").Body(
				app.Label().Class("file-button").Body(
					app.Text("Choose images…"),
					app.Input().Type("file").Multiple(true).Accept("image/*,"+strings.Join(preprocess.ImageExts, ",")).DataSet("testid", "file-input").OnChange(d.onFiles).Disabled(!d.live),
				),
				app.Label().Class("file-button").Title("a folder with 0.normal and 1.abnormal subfolders gives labels and a live ROC").Body(
					app.Text("Choose a folder…"),
					app.Input().Type("file").Multiple(true).Attr("webkitdirectory", "").DataSet("testid", "folder-input").OnChange(d.onFolder).Disabled(!d.live),
				),
				app.Span().Class("muted").Text("or drop images or folders anywhere on the page, or paste (Ctrl+V). One image opens here; several go to the batch view."),
			),
			app.Div().Class("banners").Body(
				app.If(d.startError != "", app.Div().Class("banner error-banner").Text("The demo could not start: "+d.startError)),
				app.If(!d.ready && d.startError == "", app.Div().Class("banner").Text("Loading the engine and the model…")),
			),
			app.Div().Class("view-slot").Body(d.renderView()),
			d.batchView(),
		),
		app.Footer().Class("muted").Body(
			app.Text("GANomaly (Akcay et al., ACCV 2018) re-implemented in Go; the same engine runs in the command-line tool, so scores here equal "),
			app.Code().Text("ganomaly score"),
			app.Text("'s."),
		),
	)
}

// renderView draws the current view only (app.If would build all the
// trees on every update, the lab's with its feature maps). The single view
// is a component of its own, mounted while shown; the batch view is one
// too, always there (d.batchView).
func (d *Demo) renderView() app.UI {
	switch d.view {
	case viewBatch:
		return app.Div()
	case viewLab:
		return d.labView()
	case viewTrain:
		return d.renderTrain()
	}
	return d.singleView()
}

func (d *Demo) tab(v, label string) app.UI {
	cls := "tab"
	if d.view == v {
		cls += " active"
	}
	return app.Button().Class(cls).Text(label).OnClick(d.onView(v), v).Aria("current", d.view == v).Disabled(!d.live)
}

func (d *Demo) renderError() app.UI {
	if d.err == "" {
		return app.Div().Class("no-error")
	}
	return app.Div().Class("banner error-banner").Aria("live", "assertive").Body(
		app.Span().DataSet("testid", "error").Text(d.err),
		app.Button().Class("dismiss").Text("×").Aria("label", "dismiss").OnClick(d.onDismissError),
	)
}

func (d *Demo) renderPicker() app.UI {
	var info app.UI = app.Div().Class("model-info muted").Text(d.modelBusy)
	if d.sess != nil {
		m := d.sess.Meta
		info = app.Div().Class("model-info").Body(
			app.Div().Body(app.B().Text(d.sess.Name), app.Text(" — "+Describe(m))),
			app.Div().Body(app.Text("test AUROC: "), app.B().Text(AUROCText(m))),
			app.If(IsRandomInit(m), app.Div().Class("warn").Text("Placeholder: this model has random weights (never trained), so its verdicts mean nothing yet.")),
			app.If(!d.sess.HasCalibration(), app.Div().Class("warn").Text("This model carries no calibration: set the threshold yourself with the slider.")),
			app.If(d.modelBusy != "", app.Div().Class("muted").Text(d.modelBusy)),
		)
	}
	cur := ""
	if d.sess != nil {
		cur = d.sess.Name
	}
	return app.Div().Class("picker").Body(
		app.Label().For("model-select").Text("Model"),
		app.Select().ID("model-select").OnChange(d.onModelSelect).Disabled(!d.live).Body(
			app.Range(d.models).Slice(func(i int) app.UI {
				m := d.models[i]
				label := m.Name
				if m.AUROC > 0 {
					label += fmt.Sprintf(" · AUROC %.3f", m.AUROC)
				}
				label += fmt.Sprintf(" · %d×%d", m.ISize, m.ISize)
				return app.Option().Value(m.File).Text(label).Selected(m.File == cur)
			}),
			app.If(cur != "" && !d.isBundled(cur), app.Option().Value(cur).Text(cur+" (your file)").Selected(true)),
		),
		app.Label().Class("file-button small").Body(
			app.Text("Open your own model…"),
			app.Input().Type("file").Accept(".safetensors").DataSet("testid", "model-input").OnChange(d.onModelFile).Disabled(!d.live),
		),
		info,
	)
}

func (d *Demo) isBundled(file string) bool {
	for _, m := range d.models {
		if m.File == file {
			return true
		}
	}
	return false
}

// renderAbout is the current model's title and description, the words its
// exporter was given (or defaults from its dataset).
func (d *Demo) renderAbout() app.UI {
	var w modelfile.About
	switch {
	case d.sess != nil:
		w = d.sess.Meta.Words()
	case len(d.models) > 0 && defaultModel(d.models).Words != nil:
		w = *defaultModel(d.models).Words // before the model is loaded (the pre-rendered page)
	default:
		return app.Section().Class("about")
	}
	return app.Section().Class("about").Aria("live", "polite").Body(
		app.H2().DataSet("testid", "model-title").Text(w.Title),
		app.P().DataSet("testid", "model-description").Text(w.Description),
		app.P().Class("muted classes").Body(
			app.Span().Class("chip normal").Text("normal: "+w.NormalName),
			app.Span().Class("chip abnormal").Text("anomalous: "+w.AbnormalName),
		),
	)
}

func figure(src, caption string) app.UI {
	return app.Figure().Body(app.Img().Src(src).Alt(caption), app.FigCaption().Text(caption))
}

func pct(v float64) string { return fmt.Sprintf("%.1f%%", 100*v) }
