package run

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"os"
	"runtime"
	"strings"
	"time"

	"github.com/ganomaly-go/ganomaly/data"
	"github.com/ganomaly-go/ganomaly/modelfile"
	"github.com/ganomaly-go/ganomaly/trainer/gan"
	"github.com/schollz/progressbar/v3"
	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/ts"
)

// Result is what a finished run returns.
type Result struct {
	Dir     string
	Metrics *MetricsFile
}

// Runner holds a run in progress.
type Runner struct {
	cfg    Config
	log    *slog.Logger
	ds     *data.Dataset
	norm   modelfile.Norm
	loader *data.Loader
	model  *gan.Model
	device gotch.Device
	mf     *MetricsFile
	state  trainState
}

// ResolveDevice turns auto/cpu/cuda into a gotch device.
func ResolveDevice(name string) (gotch.Device, error) {
	switch name {
	case "cpu":
		return gotch.CPU, nil
	case "cuda":
		if !gotch.CUDA.IsAvailable() {
			return gotch.CPU, errors.New("--device cuda: libtorch sees no CUDA GPU (a CPU-only libtorch, no driver, or built without GANOMALY_TORCH=cuda; see docs/trainer.md)")
		}
		return gotch.CudaBuilder(0), nil
	default:
		if gotch.CUDA.IsAvailable() {
			return gotch.CudaBuilder(0), nil
		}
		return gotch.CPU, nil
	}
}

// New prepares a run: dataset, model (fresh or resumed) and run folder.
// Call New and Run on gan.OnTorchThread, as the trainer command does: libtorch
// work from several OS threads gives OpenMP several thread pools, which makes
// CPU training markedly slower (see there).
func New(cfg Config) (*Runner, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	logw := cfg.Log
	if logw == nil {
		logw = os.Stderr
	}
	r := &Runner{cfg: cfg, log: slog.New(slog.NewTextHandler(logw, nil))}
	dev, err := ResolveDevice(cfg.Device)
	if err != nil {
		return nil, err
	}
	r.device = dev
	start := time.Now()
	ds, err := LoadDataset(&r.cfg)
	if err != nil {
		return nil, err
	}
	r.ds = ds
	r.norm = data.Norm(cfg.NC, cfg.MNISTNorm)
	r.loader = &data.Loader{ISize: cfg.ISize, NC: cfg.NC, Norm: r.norm}
	sizes := SplitSizes{Train: len(ds.Train), Val: len(ds.Val)}
	for _, s := range ds.Test {
		if s.Anomalous {
			sizes.TestAnomalous++
		} else {
			sizes.TestNormal++
		}
	}
	if len(ds.Val) == 0 {
		return nil, fmt.Errorf("the validation split is empty: raise --val_fraction or use more images")
	}
	for _, sk := range ds.Skipped {
		r.log.Warn("skipped", "path", sk.Path, "reason", sk.Reason)
	}
	r.log.Info("dataset loaded", "dataset", ds.Description, "train", sizes.Train, "val", sizes.Val,
		"test_normal", sizes.TestNormal, "test_anomalous", sizes.TestAnomalous, "seconds", time.Since(start).Seconds())
	opt := gan.Options{Arch: cfg.Arch(), NDF: cfg.NDF, LR: cfg.LR, Beta1: cfg.Beta1, WAdv: cfg.WAdv, WCon: cfg.WCon, WEnc: cfg.WEnc, Seed: cfg.ManualSeed}
	if opt.Seed < 0 {
		opt.Seed = time.Now().UnixNano() & math.MaxInt32
		r.cfg.ManualSeed = opt.Seed
		r.log.Info("no --manualseed: initialising with a random seed", "seed", opt.Seed)
	}
	r.model, err = gan.NewModel(opt, dev)
	if err != nil {
		return nil, err
	}
	r.state = trainState{Arch: opt.Arch, NDF: cfg.NDF, Seed: opt.Seed, Dataset: cfg.Dataset, Abnormal: cfg.AbnormalClass, BestVal: math.Inf(1)}
	r.mf = &MetricsFile{Schema: 1, Command: cfg.Command, Status: "running", Device: deviceName(dev),
		Config: ConfigRecord{Dataset: cfg.Dataset, DataRoot: cfg.DataRoot, AbnormalClass: cfg.AbnormalClass, NIter: cfg.NIter,
			Arch: opt.Arch, NDF: cfg.NDF, BatchSize: cfg.BatchSize, LR: cfg.LR, Beta1: cfg.Beta1, WAdv: cfg.WAdv, WCon: cfg.WCon,
			WEnc: cfg.WEnc, ManualSeed: opt.Seed, BatchStatsSeed: opt.Seed, MaxImages: cfg.MaxImages, MaxTest: cfg.MaxTest, ValFraction: cfg.ValFraction,
			ThresholdFPR: cfg.ThresholdFPR, Norm: r.norm},
		Dataset: r.datasetMeta(), Sizes: sizes}
	if err := os.MkdirAll(cfg.Dir(), 0o755); err != nil {
		return nil, fmt.Errorf("run folder: %w", err)
	}
	if cfg.Resume {
		if err := r.resume(); err != nil {
			return nil, err
		}
	}
	return r, nil
}

func deviceName(d gotch.Device) string {
	if d.IsCuda() {
		return "cuda"
	}
	return "cpu"
}

// Model exposes the networks (tests, parity checks).
func (r *Runner) Model() *gan.Model { return r.model }

// Dataset exposes the loaded splits.
func (r *Runner) Dataset() *data.Dataset { return r.ds }

// Loader exposes the batch loader.
func (r *Runner) Loader() *data.Loader { return r.loader }

// toTensor moves a batch to the device.
func (r *Runner) toTensor(b data.Batch) (*ts.Tensor, error) {
	return gan.FromFloat32(b.X, []int64{int64(b.N), int64(r.cfg.NC), int64(r.cfg.ISize), int64(r.cfg.ISize)}, r.device)
}

// Run trains the remaining epochs and writes everything into the run folder.
func (r *Runner) Run(ctx context.Context) (*Result, error) {
	// libtorch parallelises with OpenMP, whose thread pool belongs to the OS
	// thread that calls it, and its grad mode is per thread: keep the run on
	// one thread. The command runs everything, run.New included, on
	// gan.OnTorchThread, so that the process has a single OpenMP pool.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if r.state.EpochsDone >= r.cfg.NIter {
		r.log.Info("nothing to train: all epochs done", "epochs", r.state.EpochsDone)
	}
	var last *evaluation // of the last epoch trained here
	for epoch := r.state.EpochsDone + 1; epoch <= r.cfg.NIter; epoch++ {
		rec, err := r.trainEpoch(ctx, epoch)
		if err != nil {
			r.fail(err)
			return nil, err
		}
		ev, err := r.evaluate(ctx, epoch)
		if err != nil {
			if errors.Is(err, context.Canceled) {
				err = interrupted(fmt.Sprintf("while evaluating epoch %d", epoch), epoch, err)
			}
			r.fail(err)
			return nil, err
		}
		ev.record(&rec)
		last = ev
		r.mf.Epochs = append(r.mf.Epochs, rec)
		r.mf.Summary = summarise(r.mf.Epochs)
		if err := r.checkpoint(rec, ev.cal); err != nil {
			r.fail(err)
			return nil, err
		}
		r.log.Info("epoch done", "epoch", epoch, "img_per_s", fmt.Sprintf("%.1f", rec.ImagesPerS),
			"err_g", fmt.Sprintf("%.4f", rec.Loss.ErrG), "err_d", fmt.Sprintf("%.4f", rec.Loss.ErrD),
			"val_loss", fmt.Sprintf("%.4f", rec.ValLoss), "auroc_eval", fmt.Sprintf("%.4f", rec.AUROCEval),
			"auroc_batchstats", fmt.Sprintf("%.4f", rec.AUROCBatch), "auprc", fmt.Sprintf("%.4f", rec.AUPRC), "f1", fmt.Sprintf("%.4f", rec.F1))
	}
	r.mf.Status = "finished"
	r.mf.Summary = summarise(r.mf.Epochs)
	if err := writeJSON(runPath(&r.cfg, FileMetrics), r.mf); err != nil {
		return nil, err
	}
	if r.cfg.Report {
		if err := r.writeReport(ctx, last); err != nil {
			return nil, fmt.Errorf("report: %w", err)
		}
	}
	return &Result{Dir: r.cfg.Dir(), Metrics: r.mf}, nil
}

// interrupted explains a stop by Ctrl-C or SIGTERM during epoch: what is
// kept and how to go on.
func interrupted(when string, epoch int, err error) error {
	if epoch <= 1 {
		return fmt.Errorf("interrupted %s (%w), before any epoch finished: run the command again to start over", when, err)
	}
	return fmt.Errorf("interrupted %s (%w); the checkpoint of epoch %d is kept: the same command with --resume continues the run", when, err, epoch-1)
}

func (r *Runner) fail(err error) {
	r.mf.Status = "failed"
	r.mf.Error = err.Error()
	if werr := writeJSON(runPath(&r.cfg, FileMetrics), r.mf); werr != nil {
		r.log.Error("writing metrics.json", "err", werr)
	}
}

func (r *Runner) trainEpoch(ctx context.Context, epoch int) (EpochRecord, error) {
	rec := EpochRecord{Epoch: epoch}
	nb := len(r.ds.Train) / r.cfg.BatchSize
	var bar *progressbar.ProgressBar
	if r.cfg.Progress != nil {
		bar = progressbar.NewOptions(nb*r.cfg.BatchSize,
			progressbar.OptionSetWriter(r.cfg.Progress),
			progressbar.OptionSetDescription(fmt.Sprintf("epoch %d/%d", epoch, r.cfg.NIter)),
			progressbar.OptionShowCount(), progressbar.OptionShowIts(), progressbar.OptionSetItsString("img"),
			progressbar.OptionSetPredictTime(true), progressbar.OptionThrottle(200*time.Millisecond),
			progressbar.OptionSetWidth(20), progressbar.OptionOnCompletion(func() { fmt.Fprintln(r.cfg.Progress) }))
	}
	if r.device == gotch.CPU {
		defer gan.OneGoProcessor()()
	}
	rng := rand.New(rand.NewPCG(uint64(r.state.Seed), uint64(epoch)))
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	start := time.Now()
	var sum LossRecord
	step := 0
	for b := range r.loader.Batches(ctx, r.ds.Train, r.cfg.BatchSize, rng, true) {
		if b.Err != nil {
			return rec, fmt.Errorf("epoch %d: loading a training batch: %w", epoch, b.Err)
		}
		x, err := r.toTensor(b)
		if err != nil {
			return rec, fmt.Errorf("epoch %d step %d: %w", epoch, step+1, err)
		}
		globalStep := r.model.OptG.Step + 1
		l, err := r.model.Step(x, globalStep)
		x.MustDrop()
		step++
		if err != nil {
			return rec, fmt.Errorf("training diverged at epoch %d, step %d of %d (global step %d): %w; the run folder keeps the checkpoint of epoch %d — try a lower --lr or another --manualseed",
				epoch, step, nb, globalStep, err, epoch-1)
		}
		sum.ErrG += l.ErrG
		sum.ErrGAdv += l.ErrGAdv
		sum.ErrGCon += l.ErrGCon
		sum.ErrGEnc += l.ErrGEnc
		sum.ErrD += l.ErrD
		sum.ErrDReal += l.ErrDReal
		sum.ErrDFake += l.ErrDFake
		rec.StepLosses = append(rec.StepLosses, round6(l.ErrG))
		rec.StepLossesD = append(rec.StepLossesD, round6(l.ErrD))
		if l.ReinitD {
			rec.DReinits++
			r.log.Debug("errD below 1e-5: discriminator re-initialised", "epoch", epoch, "step", step)
		}
		if bar != nil {
			bar.Describe(fmt.Sprintf("epoch %d/%d errG %.3f (adv %.3f con %.3f enc %.4f) errD %.3f", epoch, r.cfg.NIter, l.ErrG, l.ErrGAdv, l.ErrGCon, l.ErrGEnc, l.ErrD))
			_ = bar.Add(b.N)
		}
	}
	if err := ctx.Err(); err != nil {
		if bar != nil {
			fmt.Fprintln(r.cfg.Progress)
		}
		return rec, interrupted(fmt.Sprintf("during epoch %d, step %d of %d", epoch, step, nb), epoch, err)
	}
	if bar != nil {
		_ = bar.Finish()
	}
	rec.Steps = step
	rec.Images = step * r.cfg.BatchSize
	rec.TrainSecs = time.Since(start).Seconds()
	if rec.TrainSecs > 0 {
		rec.ImagesPerS = float64(rec.Images) / rec.TrainSecs
	}
	if step > 0 {
		n := float64(step)
		rec.Loss = LossRecord{ErrG: sum.ErrG / n, ErrGAdv: sum.ErrGAdv / n, ErrGCon: sum.ErrGCon / n, ErrGEnc: sum.ErrGEnc / n,
			ErrD: sum.ErrD / n, ErrDReal: sum.ErrDReal / n, ErrDFake: sum.ErrDFake / n}
	}
	return rec, nil
}

func round6(v float64) float64 { return math.Round(v*1e6) / 1e6 }

// CommandLine quotes os.Args for the report.
func CommandLine(args []string) string {
	q := make([]string, len(args))
	for i, a := range args {
		if a == "" || strings.ContainsAny(a, " \t\"'$\\") {
			q[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		} else {
			q[i] = a
		}
	}
	return strings.Join(q, " ")
}
