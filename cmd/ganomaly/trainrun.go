package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/ganomaly-go/ganomaly/data"
	"github.com/ganomaly-go/ganomaly/metrics"
	"github.com/ganomaly-go/ganomaly/modelfile"
	"github.com/ganomaly-go/ganomaly/runfolder"
	"github.com/ganomaly-go/ganomaly/train"
	"github.com/schollz/progressbar/v3"
)

// Files of the run folder.
const (
	fileLast    = "netG_last.safetensors"
	fileVal     = "netG_val.safetensors"
	fileMetrics = "metrics.json"
	fileReport  = "report.md"
)

type trainRun struct {
	cfg     trainConfig
	stderr  io.Writer
	log     *slog.Logger
	command string
	dir     string
	ds      *data.Dataset
	loader  *data.Loader
	tr      *train.Trainer
	mf      runfolder.Metrics
	bestVal float64
}

func (r *trainRun) run(ctx context.Context) error {
	c := r.cfg
	r.dir = filepath.Join(c.OutF, c.runName())
	p := data.Protocol{Seed: c.ManualSeed, ValFraction: c.ValFraction, MaxTrain: c.MaxImages, MaxTest: c.MaxTest}
	if c.MaxImages > 0 { // keep the validation split in proportion to the training images
		p.MaxVal = max(1, int(float64(c.MaxImages)*c.ValFraction/(1-c.ValFraction)))
	}
	var err error
	if c.Dataset == "mnist" {
		dir := c.DataRoot
		if dir == "" {
			if dir, err = data.BundledMNIST(); err != nil {
				return err
			}
		}
		r.ds, err = data.LoadMNIST(dir, c.AbnormalClass, c.ISize, p)
	} else {
		r.ds, err = data.LoadFolder(c.DataRoot, c.ISize, c.NC, p)
	}
	if err != nil {
		return err
	}
	for _, s := range r.ds.Skipped {
		fmt.Fprintf(r.stderr, "ganomaly train: skipped %s\n", s)
	}
	if len(r.ds.Train) < c.BatchSize {
		return fmt.Errorf("%d training images are fewer than one batch of %d: lower --batchsize or add images", len(r.ds.Train), c.BatchSize)
	}
	if len(r.ds.Val) == 0 {
		return fmt.Errorf("no validation images (--val_fraction %v of %d): the threshold needs some", c.ValFraction, len(r.ds.Train))
	}
	norm := data.Norm(c.NC, false)
	r.loader = &data.Loader{ISize: c.ISize, NC: c.NC, Norm: norm}
	opt := train.DefaultOptions(c.arch())
	opt.NDF, opt.Seed, opt.Workers = c.NDF, c.ManualSeed, runtime.GOMAXPROCS(0)
	if r.tr, err = train.New(opt); err != nil {
		return err
	}
	defer r.tr.Close()
	if err := os.MkdirAll(r.dir, 0o755); err != nil {
		return err
	}
	r.mf = runfolder.Metrics{Schema: 1, Command: r.command, Status: "running", Device: fmt.Sprintf("cpu (pure Go, %d threads)", opt.Workers),
		Config: runfolder.ConfigRecord{Dataset: c.Dataset, DataRoot: c.DataRoot, AbnormalClass: c.AbnormalClass, NIter: c.NIter,
			Arch: c.arch(), NDF: c.NDF, BatchSize: c.BatchSize, LR: opt.LR, Beta1: opt.Beta1, WAdv: opt.WAdv, WCon: opt.WCon,
			WEnc: opt.WEnc, ManualSeed: c.ManualSeed, BatchStatsSeed: c.ManualSeed, MaxImages: c.MaxImages, MaxTest: c.MaxTest, ValFraction: c.ValFraction,
			ThresholdFPR: c.ThresholdFPR, Norm: norm},
		Dataset: r.datasetMeta(), Epochs: []runfolder.EpochRecord{}}
	r.mf.Sizes.Train, r.mf.Sizes.Val = len(r.ds.Train), len(r.ds.Val)
	for _, s := range r.ds.Test {
		if s.Anomalous {
			r.mf.Sizes.TestAnomalous++
		} else {
			r.mf.Sizes.TestNormal++
		}
	}
	mem, _ := train.MemoryBytes(opt, c.BatchSize)
	r.log.Info("training", "run", r.dir, "memory_mib", mem>>20, "train", len(r.ds.Train), "val", len(r.ds.Val), "test", len(r.ds.Test), "arch", fmt.Sprintf("%+v", c.arch()), "ndf", c.NDF)
	r.bestVal = math.Inf(1)
	rng := rand.New(rand.NewPCG(uint64(c.ManualSeed), 0x5851f42d4c957f2d))
	for epoch := 1; epoch <= c.NIter; epoch++ {
		if err := r.epoch(ctx, epoch, rng); err != nil {
			r.mf.Status, r.mf.Error = "failed", err.Error()
			if ctx.Err() != nil {
				r.mf.Status, r.mf.Error = "interrupted", ""
			}
			if werr := r.writeMetrics(); werr != nil {
				r.log.Error("writing metrics.json", "err", werr)
			}
			return err
		}
	}
	r.mf.Status = "finished"
	return r.writeMetrics()
}

func (r *trainRun) datasetMeta() modelfile.Dataset {
	return modelfile.Dataset{Name: r.ds.Name, NormalClasses: r.ds.NormalClasses, AbnormalClasses: r.ds.AbnormalClasses, Description: r.ds.Description}
}

// epoch trains one epoch, evaluates it and writes the run folder; a
// cancelled ctx stops it before anything of this epoch is written.
func (r *trainRun) epoch(ctx context.Context, epoch int, rng *rand.Rand) error {
	c := r.cfg
	steps := len(r.ds.Train) / c.BatchSize
	bar := progressbar.NewOptions(steps*c.BatchSize, progressbar.OptionSetWriter(r.stderr),
		progressbar.OptionSetDescription(fmt.Sprintf("epoch %d/%d", epoch, c.NIter)), progressbar.OptionShowCount(),
		progressbar.OptionShowIts(), progressbar.OptionSetItsString("img"), progressbar.OptionThrottle(200*time.Millisecond),
		progressbar.OptionClearOnFinish())
	rec := runfolder.EpochRecord{Epoch: epoch}
	start := time.Now()
	reinits := r.tr.DReinits()
	bctx, cancel := context.WithCancel(ctx)
	defer cancel()
	for b := range r.loader.Batches(bctx, r.ds.Train, c.BatchSize, rng, true) {
		if b.Err != nil {
			return b.Err
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		l, err := r.tr.Step(b.X)
		if err != nil {
			return err
		}
		rec.Steps++
		rec.Images += b.N
		for _, v := range [][2]*float64{{&rec.Loss.ErrG, &l.ErrG}, {&rec.Loss.ErrGAdv, &l.ErrGAdv}, {&rec.Loss.ErrGCon, &l.ErrGCon},
			{&rec.Loss.ErrGEnc, &l.ErrGEnc}, {&rec.Loss.ErrD, &l.ErrD}, {&rec.Loss.ErrDReal, &l.ErrDReal}, {&rec.Loss.ErrDFake, &l.ErrDFake}} {
			*v[0] += *v[1]
		}
		rec.StepLosses = append(rec.StepLosses, l.ErrG)
		rec.StepLossesD = append(rec.StepLossesD, l.ErrD)
		bar.Add(b.N)
	}
	bar.Finish()
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if rec.Steps == 0 {
		return fmt.Errorf("epoch %d: no batch", epoch)
	}
	n := float64(rec.Steps)
	for _, v := range []*float64{&rec.Loss.ErrG, &rec.Loss.ErrGAdv, &rec.Loss.ErrGCon, &rec.Loss.ErrGEnc, &rec.Loss.ErrD, &rec.Loss.ErrDReal, &rec.Loss.ErrDFake} {
		*v /= n
	}
	rec.TrainSecs = time.Since(start).Seconds()
	rec.ImagesPerS = float64(rec.Images) / rec.TrainSecs
	rec.DReinits = r.tr.DReinits() - reinits
	evalStart := time.Now()
	cal, err := r.evaluate(ctx, &rec)
	if err != nil {
		return err
	}
	rec.EvalSecs = time.Since(evalStart).Seconds()
	r.mf.Epochs = append(r.mf.Epochs, rec)
	r.log.Info("epoch", "epoch", epoch, "err_g", rec.Loss.ErrG, "err_d", rec.Loss.ErrD, "images_per_s", math.Round(rec.ImagesPerS),
		"auroc_eval", rec.AUROCEval, "auroc_batchstats", rec.AUROCBatch, "val_loss", rec.ValLoss)
	// Checkpoints, each written to a temporary file and renamed.
	if err := r.save(fileLast, epoch, "last", cal); err != nil {
		return err
	}
	if rec.ValLoss < r.bestVal {
		r.bestVal = rec.ValLoss
		if err := r.save(fileVal, epoch, "validation", cal); err != nil {
			return err
		}
	}
	r.summarise()
	if err := r.writeMetrics(); err != nil {
		return err
	}
	return r.writeReport()
}

func (r *trainRun) save(name string, epoch int, sel string, cal *modelfile.Calibration) error {
	ds := r.datasetMeta()
	meta := modelfile.Metadata{FormatVersion: modelfile.FormatVersion, Norm: r.loader.Norm, Calibration: cal, Dataset: &ds,
		Training: &modelfile.Training{Epochs: r.cfg.NIter, Epoch: epoch, Seed: r.cfg.ManualSeed, Command: r.command,
			Device: r.mf.Device, Selected: sel, Date: time.Now().UTC().Format(time.RFC3339)}}
	return atomicWrite(filepath.Join(r.dir, name), func(path string) error { return r.tr.GeneratorFile(meta).Save(path) })
}

func atomicWrite(path string, write func(tmp string) error) error {
	tmp := path + ".tmp"
	if err := write(tmp); err != nil {
		os.Remove(tmp)
		return err
	}
	return os.Rename(tmp, path)
}

// evaluate scores the validation and test images in eval mode (the engine
// on the current weights: what a model file made from the checkpoint gives
// each image) and the test images with batch statistics over a seeded
// shuffle (the original's test-time BatchNorm, without label-ordered
// batches).
func (r *trainRun) evaluate(ctx context.Context, rec *runfolder.EpochRecord) (*modelfile.Calibration, error) {
	m, err := r.tr.Model()
	if err != nil {
		return nil, err
	}
	x := make([]float32, m.InputLen())
	scoreAll := func(samples []data.Sample, con *float64) ([]float64, error) {
		out := make([]float64, len(samples))
		for i, s := range samples {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			if err := r.loader.Image(x, s); err != nil {
				return nil, err
			}
			res, err := m.Forward(x)
			if err != nil {
				return nil, err
			}
			out[i] = res.Score
			if con != nil {
				var sum float64
				for j, v := range res.XHat {
					sum += math.Abs(float64(v - x[j]))
				}
				*con += sum / float64(len(x))
			}
		}
		return out, nil
	}
	var con float64
	val, err := scoreAll(r.ds.Val, &con)
	if err != nil {
		return nil, err
	}
	rec.ValCon = con / float64(len(val))
	for _, s := range val {
		rec.ValEnc += s
	}
	rec.ValEnc /= float64(len(val))
	rec.ValLoss = r.tr.Options().WCon*rec.ValCon + r.tr.Options().WEnc*rec.ValEnc
	cal := metrics.Calibrate(val, r.cfg.ThresholdFPR)
	test, err := scoreAll(r.ds.Test, nil)
	if err != nil {
		return nil, err
	}
	labels := make([]bool, len(r.ds.Test))
	for i, s := range r.ds.Test {
		labels[i] = s.Anomalous
	}
	rec.AUROCEval = metrics.AUROC(test, labels)
	rec.AUPRC = metrics.AUPRC(test, labels)
	rec.Threshold = cal.Threshold
	rec.F1 = metrics.F1(test, labels, cal.Threshold)
	cal.Test = metrics.Evaluate(test, labels, cal.Threshold)

	// Batch statistics on a seeded shuffle of the test set.
	order := rand.New(rand.NewPCG(uint64(r.cfg.ManualSeed), 0x7465737473687566)).Perm(len(r.ds.Test))
	bs := r.cfg.BatchSize
	batchScores := make([]float64, 0, len(order))
	batchLabels := make([]bool, 0, len(order))
	xb := make([]float32, bs*len(x))
	for i := 0; i+2 <= len(order); i += bs {
		j := min(i+bs, len(order))
		if j-i < 2 {
			break // BatchNorm needs two images; a single leftover image is left out
		}
		for k := i; k < j; k++ {
			if err := r.loader.Image(xb[(k-i)*len(x):(k-i+1)*len(x)], r.ds.Test[order[k]]); err != nil {
				return nil, err
			}
		}
		s, err := r.tr.Scores(xb[:(j-i)*len(x)], train.BatchStats)
		if err != nil {
			return nil, err
		}
		for k := i; k < j; k++ {
			batchScores = append(batchScores, float64(s[k-i]))
			batchLabels = append(batchLabels, labels[order[k]])
		}
	}
	rec.AUROCBatch = metrics.AUROC(batchScores, batchLabels)
	rec.AUPRCBatch = metrics.AUPRC(batchScores, batchLabels)
	return cal, nil
}

func (r *trainRun) summarise() {
	es := r.mf.Epochs
	last := es[len(es)-1]
	val, best := es[0], es[0]
	for _, e := range es[1:] {
		if e.ValLoss < val.ValLoss {
			val = e
		}
		if e.AUROCEval > best.AUROCEval {
			best = e
		}
	}
	r.mf.Summary = &runfolder.Summary{
		Last:       runfolder.Select(last, "the last epoch", fileLast, false),
		Validation: runfolder.Select(val, "lowest val_loss (w_con·L1 + w_enc·latent l2 on held-out training normals, eval-mode BatchNorm)", fileVal, false),
		TestBest:   runfolder.Select(best, "highest test auroc_eval: chosen on the test set, optimistic (the original keeps this one)", "", true)}
}

func (r *trainRun) writeMetrics() error {
	b, err := json.MarshalIndent(r.mf, "", "  ")
	if err != nil {
		return err
	}
	return atomicWrite(filepath.Join(r.dir, fileMetrics), func(tmp string) error { return os.WriteFile(tmp, append(b, '\n'), 0o644) })
}

func (r *trainRun) writeReport() error {
	var b strings.Builder
	c := r.cfg
	fmt.Fprintf(&b, "# GANomaly run %s\n\nTrained with `%s` (pure-Go trainer, CPU).\n\n", c.runName(), r.command)
	fmt.Fprintf(&b, "Dataset: %s (%s abnormal); %d training, %d validation, %d + %d test images. Architecture %+v, ndf %d, batch %d.\n\n",
		r.ds.Name, strings.Join(r.ds.AbnormalClasses, ", "), r.mf.Sizes.Train, r.mf.Sizes.Val, r.mf.Sizes.TestNormal, r.mf.Sizes.TestAnomalous, c.arch(), c.NDF, c.BatchSize)
	b.WriteString("| epoch | err_g | err_d | images/s | val loss | AUROC (eval mode) | AUROC (batch stats, shuffled) | AUPRC | F1 |\n|---|---|---|---|---|---|---|---|---|\n")
	for _, e := range r.mf.Epochs {
		fmt.Fprintf(&b, "| %d | %.4f | %.4f | %.0f | %.4f | %.4f | %.4f | %.4f | %.4f |\n", e.Epoch, e.Loss.ErrG, e.Loss.ErrD, e.ImagesPerS, e.ValLoss, e.AUROCEval, e.AUROCBatch, e.AUPRC, e.F1)
	}
	if s := r.mf.Summary; s != nil {
		fmt.Fprintf(&b, "\nLast epoch (%s): eval-mode AUROC %.4f. Selected on validation normals only (%s): epoch %d, AUROC %.4f. "+
			"Best on the test set (optimistic, for comparison with the original's reporting): epoch %d, AUROC %.4f.\n",
			fileLast, s.Last.AUROCEval, fileVal, s.Validation.Epoch, s.Validation.AUROCEval, s.TestBest.Epoch, s.TestBest.AUROCEval)
	}
	b.WriteString("\nEval mode uses BatchNorm's running statistics, as a single image is scored by `ganomaly score` and the page. " +
		"Batch statistics normalise each test batch by itself, as the original code scores; the test set is shuffled with the seed first, " +
		"so that no batch is made of one class only.\n")
	return atomicWrite(filepath.Join(r.dir, fileReport), func(tmp string) error { return os.WriteFile(tmp, []byte(b.String()), 0o644) })
}
