package run

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"math"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/ganomaly-go/ganomaly/data"
	"github.com/ganomaly-go/ganomaly/metrics"
	"github.com/ganomaly-go/ganomaly/modelfile"
	"github.com/ganomaly-go/ganomaly/render"
	"github.com/ganomaly-go/ganomaly/trainer/gan"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
)

// Report files in the run folder.
const (
	FileGrid   = "grid.png"
	FileROC    = "roc.png"
	FileLosses = "losses.png"
	FileAUROC  = "auroc.png"
)

// gridPerClass is the number of normal and of anomalous test images shown.
const gridPerClass = 8

// writeReport draws the grid, the ROC and loss curves and writes report.md,
// all from the model of the last epoch and the numbers in metrics.json. ev
// is the last epoch's evaluation, nil when this process trained no epoch
// (resumed after the last one): the test set is scored again.
func (r *Runner) writeReport(ctx context.Context, ev *evaluation) error {
	if len(r.mf.Epochs) == 0 {
		return nil
	}
	if ev == nil {
		ev = &evaluation{}
		var err error
		if ev.evalScores, err = r.ScoreSet(ctx, r.ds.Test, gan.Eval); err != nil {
			return err
		}
		if ev.batchScores, err = r.ScoreSet(ctx, r.ds.Test, gan.BatchStats); err != nil {
			return err
		}
	}
	last := r.mf.Epochs[len(r.mf.Epochs)-1]
	if err := r.writeGrid(last.Threshold); err != nil {
		return fmt.Errorf("%s: %w", FileGrid, err)
	}
	if err := r.writeROC(ev.evalScores, ev.batchScores); err != nil {
		return fmt.Errorf("%s: %w", FileROC, err)
	}
	if err := r.writeCurves(); err != nil {
		return fmt.Errorf("%s: %w", FileLosses, err)
	}
	return modelfile.WriteFileAtomic(runPath(&r.cfg, FileReport), func(w io.Writer) error {
		_, err := io.WriteString(w, r.reportMarkdown())
		return err
	})
}

// writeGrid shows gridPerClass normal and anomalous test images (a seeded
// random choice) in three rows each: input, reconstruction with the score,
// heat map of |x − x̂|.
func (r *Runner) writeGrid(threshold float64) error {
	var normals, anomalies []int
	for i, s := range r.ds.Test {
		if s.Anomalous {
			anomalies = append(anomalies, i)
		} else {
			normals = append(normals, i)
		}
	}
	rng := rand.New(rand.NewPCG(uint64(r.state.Seed), 99))
	pick := func(idx []int) []int {
		rng.Shuffle(len(idx), func(i, j int) { idx[i], idx[j] = idx[j], idx[i] })
		return idx[:min(gridPerClass, len(idx))]
	}
	var rows [][]render.Cell
	var labels []string
	per := r.cfg.NC * r.cfg.ISize * r.cfg.ISize
	hw := r.cfg.ISize * r.cfg.ISize
	for _, group := range []struct {
		name string
		idx  []int
	}{{"normal", pick(normals)}, {"anomalous", pick(anomalies)}} {
		samples := make([]data.Sample, len(group.idx))
		for i, k := range group.idx {
			samples[i] = r.ds.Test[k]
		}
		x := make([]float32, len(samples)*per)
		for i, s := range samples {
			if err := r.loader.Image(x[i*per:(i+1)*per], s); err != nil {
				return err
			}
		}
		xt, err := r.toTensor(data.Batch{X: x, N: len(samples)})
		if err != nil {
			return err
		}
		scores, xhat, _, _, err := r.model.Scores(xt, gan.Eval, true)
		xt.MustDrop()
		if err != nil {
			return err
		}
		var in, rec, heat []render.Cell
		for i := range samples {
			xi, xh := x[i*per:(i+1)*per], xhat[i*per:(i+1)*per]
			diff := make([]float32, hw)
			for c := 0; c < r.cfg.NC; c++ {
				for p := 0; p < hw; p++ {
					diff[p] += float32(math.Abs(float64(xi[c*hw+p]-xh[c*hw+p]))) / float32(r.cfg.NC)
				}
			}
			a, err := render.Tensor(xi, r.cfg.ISize, r.cfg.NC, r.norm)
			if err != nil {
				return err
			}
			b, err := render.Tensor(xh, r.cfg.ISize, r.cfg.NC, r.norm)
			if err != nil {
				return err
			}
			h, err := render.HeatMap(diff, r.cfg.ISize, render.HeatScale(r.norm)) // the scale of every heat map
			if err != nil {
				return err
			}
			col := color.Color(render.NormalColor)
			if metrics.IsAnomalous(scores[i], threshold) {
				col = render.AnomalyColor
			}
			in = append(in, render.Cell{Image: a, Frame: col})
			rec = append(rec, render.Cell{Image: b, Caption: fmt.Sprintf("%.4g", scores[i]), CaptionColor: col})
			heat = append(heat, render.Cell{Image: h})
		}
		rows = append(rows, in, rec, heat)
		labels = append(labels, group.name, "recon, score", "|x − recon|")
	}
	title := fmt.Sprintf("%s — epoch %d, eval-mode BN; threshold %.4g (green: below, red: above)", r.ds.Description, r.state.EpochsDone, threshold)
	img, err := render.Grid(rows, render.GridOptions{CellSize: 64, Title: title, RowLabels: labels})
	if err != nil {
		return err
	}
	return writePNG(runPath(&r.cfg, FileGrid), img)
}

func writePNG(path string, img image.Image) error {
	return modelfile.WriteFileAtomic(path, func(w io.Writer) error { return png.Encode(w, img) })
}

func savePlot(p *plot.Plot, path string) error {
	wt, err := p.WriterTo(6*vg.Inch, 4*vg.Inch, "png")
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if _, err := wt.WriteTo(&buf); err != nil {
		return err
	}
	return modelfile.WriteFileAtomic(path, func(w io.Writer) error { _, err := w.Write(buf.Bytes()); return err })
}

func rocXY(scores []float64, labels []bool) plotter.XYs {
	pts := metrics.ROC(scores, labels)
	xy := make(plotter.XYs, len(pts))
	for i, p := range pts {
		xy[i] = plotter.XY{X: p.FPR, Y: p.TPR}
	}
	return xy
}

// writeROC draws the ROC curves of the last epoch's test scores.
func (r *Runner) writeROC(evalScores, batchScores []float64) error {
	labels := r.testLabels()
	p := plot.New()
	p.Title.Text = fmt.Sprintf("ROC, epoch %d (%s)", r.state.EpochsDone, r.ds.Description)
	p.X.Label.Text = "false-positive rate"
	p.Y.Label.Text = "true-positive rate"
	p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = 0, 1, 0, 1
	last := r.mf.Epochs[len(r.mf.Epochs)-1]
	ev, err := plotter.NewLine(rocXY(evalScores, labels))
	if err != nil {
		return err
	}
	ev.Color = color.RGBA{200, 30, 30, 255}
	ev.Width = vg.Points(1.5)
	bs, err := plotter.NewLine(rocXY(batchScores, labels))
	if err != nil {
		return err
	}
	bs.Color = color.RGBA{30, 80, 200, 255}
	bs.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
	diag, err := plotter.NewLine(plotter.XYs{{X: 0, Y: 0}, {X: 1, Y: 1}})
	if err != nil {
		return err
	}
	diag.Color = color.Gray{160}
	p.Add(plotter.NewGrid(), diag, ev, bs)
	p.Legend.Add(fmt.Sprintf("eval-mode BN, AUROC %.4f", last.AUROCEval), ev)
	p.Legend.Add(fmt.Sprintf("batch statistics, shuffled test batches, AUROC %.4f", last.AUROCBatch), bs)
	p.Legend.Top = false
	p.Legend.Left = false
	p.Legend.XOffs = -vg.Points(4)
	p.Legend.YOffs = vg.Points(4)
	return savePlot(p, runPath(&r.cfg, FileROC))
}

func (r *Runner) writeCurves() error {
	p := plot.New()
	p.Title.Text = "training losses per step"
	p.X.Label.Text = "epoch"
	p.Y.Label.Text = "loss (log scale)"
	p.Y.Scale = plot.LogScale{}
	p.Y.Tick.Marker = plot.LogTicks{Prec: -1}
	var g, d plotter.XYs
	for _, e := range r.mf.Epochs {
		n := float64(len(e.StepLosses))
		for i, v := range e.StepLosses {
			g = append(g, plotter.XY{X: float64(e.Epoch-1) + float64(i+1)/n, Y: math.Max(v, 1e-8)})
		}
		for i, v := range e.StepLossesD {
			d = append(d, plotter.XY{X: float64(e.Epoch-1) + float64(i+1)/n, Y: math.Max(v, 1e-8)})
		}
	}
	if len(g) == 0 {
		return nil
	}
	lg, err := plotter.NewLine(g)
	if err != nil {
		return err
	}
	lg.Color = color.RGBA{200, 30, 30, 255}
	ld, err := plotter.NewLine(d)
	if err != nil {
		return err
	}
	ld.Color = color.RGBA{30, 80, 200, 255}
	p.Add(plotter.NewGrid(), lg, ld)
	p.Legend.Add("errG (w_adv·adv + w_con·con + w_enc·enc)", lg)
	p.Legend.Add("errD", ld)
	p.Legend.Top = true
	if err := savePlot(p, runPath(&r.cfg, FileLosses)); err != nil {
		return err
	}

	q := plot.New()
	q.Title.Text = "test AUROC per epoch"
	q.X.Label.Text = "epoch"
	q.Y.Label.Text = "AUROC"
	var ae, ab plotter.XYs
	for _, e := range r.mf.Epochs {
		ae = append(ae, plotter.XY{X: float64(e.Epoch), Y: e.AUROCEval})
		ab = append(ab, plotter.XY{X: float64(e.Epoch), Y: e.AUROCBatch})
	}
	le, pe, err := plotter.NewLinePoints(ae)
	if err != nil {
		return err
	}
	le.Color, pe.Color = color.RGBA{200, 30, 30, 255}, color.RGBA{200, 30, 30, 255}
	lb, pb, err := plotter.NewLinePoints(ab)
	if err != nil {
		return err
	}
	lb.Color, pb.Color = color.RGBA{30, 80, 200, 255}, color.RGBA{30, 80, 200, 255}
	q.Add(plotter.NewGrid(), le, pe, lb, pb)
	q.Legend.Add("eval-mode BN", le, pe)
	q.Legend.Add("batch statistics (original)", lb, pb)
	q.Legend.Top = false
	q.Legend.Left = false
	return savePlot(q, runPath(&r.cfg, FileAUROC))
}

func f4(v float64) string {
	if math.IsNaN(v) {
		return "NaN"
	}
	return fmt.Sprintf("%.4f", v)
}

func (r *Runner) reportMarkdown() string {
	var b strings.Builder
	mf := r.mf
	fmt.Fprintf(&b, "# GANomaly training report — %s\n\n", r.ds.Description)
	fmt.Fprintf(&b, "Command:\n\n```\n%s\n```\n\n", mf.Command)
	fmt.Fprintf(&b, "Written %s on device `%s`. Status: %s.\n\n", time.Now().UTC().Format(time.RFC3339), mf.Device, mf.Status)
	c := mf.Config
	fmt.Fprintf(&b, "| setting | value |\n|---|---|\n")
	fmt.Fprintf(&b, "| dataset | %s (abnormal class %s, normal classes %s) |\n", c.Dataset, c.AbnormalClass, strings.Join(mf.Dataset.NormalClasses, " "))
	fmt.Fprintf(&b, "| images | train %d, validation %d, test %d normal + %d anomalous |\n", mf.Sizes.Train, mf.Sizes.Val, mf.Sizes.TestNormal, mf.Sizes.TestAnomalous)
	fmt.Fprintf(&b, "| architecture | isize %d, nc %d, nz %d, ngf %d, ndf %d, extralayers %d |\n", c.Arch.ISize, c.Arch.NC, c.Arch.NZ, c.Arch.NGF, c.NDF, c.Arch.ExtraLayers)
	fmt.Fprintf(&b, "| training | %d epochs, batch %d, Adam lr %g beta1 %g, w_adv %g w_con %g w_enc %g, seed %d |\n", c.NIter, c.BatchSize, c.LR, c.Beta1, c.WAdv, c.WCon, c.WEnc, c.ManualSeed)
	fmt.Fprintf(&b, "| normalisation | mean %v std %v |\n", c.Norm.Mean, c.Norm.Std)
	fmt.Fprintf(&b, "| threshold | at %.1f %% false positives on the validation normals |\n\n", 100*c.ThresholdFPR)
	if s := mf.Summary; s != nil {
		fmt.Fprintf(&b, "## Summary\n\n| selection | epoch | AUROC (eval BN) | AUROC (batch stats) | AUPRC | F1 | weights |\n|---|---|---|---|---|---|---|\n")
		for _, x := range []Selected{s.Last, s.Validation, s.TestBest} {
			w := x.Checkpoint
			if w == "" {
				w = "not kept"
			}
			fmt.Fprintf(&b, "| %s | %d | %s | %s | %s | %s | %s |\n", x.Rule, x.Epoch, f4(x.AUROCEval), f4(x.AUROCBatch), f4(x.AUPRC), f4(x.F1), w)
		}
		fmt.Fprintf(&b, "\nThe eval-mode AUROC uses BatchNorm's running statistics, as the browser engine and the command line do:\n"+
			"it is the number for single images. The batch-statistics AUROC normalises each test batch of %d by its own\n"+
			"statistics, as the original code scores (it never calls eval()), with the test set in a seeded random order\n"+
			"(seed %d), as the original's MNIST and folder loaders shuffle it: in label order a batch of anomalies only\n"+
			"would tell the network what it sees. The validation-selected row is chosen on held-out training normals\n"+
			"(no anomaly seen). The test-selected row picks the epoch by the test set itself, as the original keeps its\n"+
			"best model: it is optimistic.\n\n", r.cfg.EvalBatch, c.BatchStatsSeed)
	}
	fmt.Fprintf(&b, "## Epochs\n\n| epoch | img/s | errG | adv | con | enc | errD | D re-inits | val loss | AUROC eval | AUROC batch | AUPRC | F1 | threshold |\n|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n")
	for _, e := range mf.Epochs {
		fmt.Fprintf(&b, "| %d | %.1f | %.4f | %.4f | %.4f | %.5f | %.4f | %d | %.4f | %s | %s | %s | %s | %.5g |\n",
			e.Epoch, e.ImagesPerS, e.Loss.ErrG, e.Loss.ErrGAdv, e.Loss.ErrGCon, e.Loss.ErrGEnc, e.Loss.ErrD, e.DReinits,
			e.ValLoss, f4(e.AUROCEval), f4(e.AUROCBatch), f4(e.AUPRC), f4(e.F1), e.Threshold)
	}
	fmt.Fprintf(&b, "\n## Pictures\n\n![test images, reconstructions and heat maps](%s)\n\n![ROC](%s)\n\n![losses](%s)\n\n![AUROC per epoch](%s)\n\n", FileGrid, FileROC, FileLosses, FileAUROC)
	fmt.Fprintf(&b, "## Files\n\n- `%s`: generator of the last epoch (checkpoint, original state-dict keys, calibration and test results in its metadata)\n", FileGLast)
	fmt.Fprintf(&b, "- `%s`: generator of the validation-selected epoch\n- `%s`: G, D and Adam state for `--resume`\n- `%s`: every number above\n\n", FileGVal, FileState, FileMetrics)
	fmt.Fprintf(&b, "Export for the browser: `go run ./exporter -checkpoint %s -dtype i8 -out model.safetensors`\n", runPath(&r.cfg, FileGVal))
	return b.String()
}
