package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/ganomaly-go/ganomaly/engine"
	"github.com/ganomaly-go/ganomaly/modelfile"
	"github.com/ganomaly-go/ganomaly/runfolder"
)

// trainLearnAUROC is the eval-mode AUROC the small MNIST run below must
// reach (chance is 0.5). Measured with these flags: 0.868 (per epoch 0.30,
// 0.33, 0.86, 0.87: eval-mode AUROC swings early, while BatchNorm's running
// statistics lag the weights).
const trainLearnAUROC = 0.7

// TestTrainLearnsMNIST trains a small model on a subset of the bundled MNIST
// (digit 2 abnormal) and checks the run folder: both checkpoints read by the
// engine, metrics.json with one record per epoch and an eval-mode AUROC
// well above chance, and report.md.
func TestTrainLearnsMNIST(t *testing.T) {
	if runtime.GOOS == "js" {
		t.Skip("the bundled MNIST is located with `go mod download`, which WebAssembly cannot run; package train's own tests run there")
	}
	out := t.TempDir()
	args := []string{"train", "--dataset", "mnist", "--abnormal_class", "2", "--max_images", "3000", "--max_test", "1000",
		"--niter", "4", "--ngf", "8", "--ndf", "8", "--manualseed", "1", "--outf", out, "--name", "run"}
	var stdout, stderr bytes.Buffer
	if code := run(args, &stdout, &stderr); code != exitOK {
		t.Fatalf("ganomaly %s: exit %d\n%s", strings.Join(args, " "), code, stderr.String())
	}
	dir := filepath.Join(out, "run")
	for _, name := range []string{fileLast, fileVal} {
		f, err := modelfile.Open(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if f.Meta.Kind != modelfile.KindCheckpoint || f.Meta.Calibration == nil || f.Meta.Training == nil {
			t.Errorf("%s: kind %q, calibration %v, training %v: want a calibrated checkpoint", name, f.Meta.Kind, f.Meta.Calibration, f.Meta.Training)
		}
		if _, err := engine.Load(f); err != nil {
			t.Errorf("%s: engine.Load: %v", name, err)
		}
	}
	b, err := os.ReadFile(filepath.Join(dir, fileMetrics))
	if err != nil {
		t.Fatal(err)
	}
	var mf runfolder.Metrics
	if err := json.Unmarshal(b, &mf); err != nil {
		t.Fatal(err)
	}
	if mf.Status != "finished" || len(mf.Epochs) != 4 || mf.Summary == nil {
		t.Fatalf("metrics.json: status %q, %d epochs, summary %v; want finished, 4, a summary", mf.Status, len(mf.Epochs), mf.Summary)
	}
	last := mf.Epochs[3]
	t.Logf("eval-mode AUROC per epoch: %.3f %.3f %.3f %.3f; batch-stats %.3f; %.0f images/s",
		mf.Epochs[0].AUROCEval, mf.Epochs[1].AUROCEval, mf.Epochs[2].AUROCEval, last.AUROCEval, last.AUROCBatch, last.ImagesPerS)
	if last.AUROCEval < trainLearnAUROC {
		t.Errorf("eval-mode AUROC after 4 epochs is %.3f, want at least %.2f", last.AUROCEval, trainLearnAUROC)
	}
	if last.Steps != mf.Sizes.Train/64 || mf.Sizes.Train != 3000 {
		t.Errorf("%d steps for %d training images, want 3000 images in batches of 64 (the last partial one dropped)", last.Steps, mf.Sizes.Train)
	}
	if rep, err := os.ReadFile(filepath.Join(dir, fileReport)); err != nil || !strings.Contains(string(rep), "AUROC (eval mode)") {
		t.Errorf("report.md: %v", err)
	}
	// `ganomaly inspect` reads the checkpoint.
	stdout.Reset()
	if code := run([]string{"inspect", filepath.Join(dir, fileLast)}, &stdout, &stderr); code != exitOK {
		t.Errorf("inspect: exit %d\n%s", code, stderr.String())
	}
}

// smallFolder writes a labelled folder of grey 20×20 PNGs (40 training
// normals, 6 test images of each class) with a text file among the normals.
func smallFolder(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	writeImg := func(dir string, i int, bright bool) {
		img := image.NewGray(image.Rect(0, 0, 20, 20))
		for p := range img.Pix {
			img.Pix[p] = uint8((p*7 + i*13) % 128)
			if bright && p%20 > 10 {
				img.Pix[p] = 250
			}
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		f, err := os.Create(filepath.Join(dir, fmt.Sprintf("%03d.png", i)))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if err := png.Encode(f, img); err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; i < 40; i++ {
		writeImg(filepath.Join(root, "train", "0.normal"), i, false)
	}
	for i := 0; i < 6; i++ {
		writeImg(filepath.Join(root, "test", "0.normal"), i, false)
		writeImg(filepath.Join(root, "test", "1.abnormal"), i, true)
	}
	if err := os.WriteFile(filepath.Join(root, "train", "0.normal", "notes.txt"), []byte("not an image"), 0o644); err != nil {
		t.Fatal(err)
	}
	return root
}

// TestTrainFolder trains one epoch on a small labelled folder (grey PNGs,
// a text file among them) and checks the run folder and the skipped file.
func TestTrainFolder(t *testing.T) {
	root := smallFolder(t)
	out := t.TempDir()
	var stdout, stderr bytes.Buffer
	args := []string{"train", "--dataset", "folder", "--dataroot", root, "--isize", "16", "--nz", "8", "--ngf", "4", "--ndf", "4",
		"--niter", "1", "--batchsize", "8", "--outf", out, "--name", "f"}
	if code := run(args, &stdout, &stderr); code != exitOK {
		t.Fatalf("exit %d\n%s", code, stderr.String())
	}
	if !strings.Contains(stderr.String(), "notes.txt") {
		t.Errorf("stderr does not name the skipped notes.txt:\n%s", stderr.String())
	}
	for _, name := range []string{fileLast, fileVal, fileMetrics, fileReport} {
		if _, err := os.Stat(filepath.Join(out, "f", name)); err != nil {
			t.Error(err)
		}
	}
}

// TestTrainInterruptKeepsTheLastEpoch runs `ganomaly train` in a child
// process (this test binary), interrupts it after its first epoch and checks
// that the run folder keeps that epoch: exit status 130, metrics.json marked
// interrupted, a checkpoint the engine loads.
func TestTrainInterruptKeepsTheLastEpoch(t *testing.T) {
	if args := os.Getenv("GANOMALY_TRAIN_CHILD"); args != "" {
		os.Exit(run(strings.Split(args, "\x1f"), os.Stdout, os.Stderr))
	}
	if runtime.GOOS == "js" || runtime.GOOS == "windows" {
		t.Skip("needs a child process and SIGINT")
	}
	root, out := smallFolder(t), t.TempDir()
	args := []string{"train", "--dataset", "folder", "--dataroot", root, "--isize", "16", "--nz", "8", "--ngf", "4", "--ndf", "4",
		"--niter", "100000", "--batchsize", "8", "--outf", out, "--name", "i"}
	cmd := exec.Command(os.Args[0], "-test.run=^TestTrainInterruptKeepsTheLastEpoch$")
	cmd.Env = append(os.Environ(), "GANOMALY_TRAIN_CHILD="+strings.Join(args, "\x1f"))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	metricsPath := filepath.Join(out, "i", fileMetrics)
	deadline := time.Now().Add(2 * time.Minute)
	for {
		var mf runfolder.Metrics
		if b, err := os.ReadFile(metricsPath); err == nil && json.Unmarshal(b, &mf) == nil && len(mf.Epochs) >= 1 {
			break
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatalf("no epoch finished within 2 minutes\n%s", stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	err := cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 130 {
		t.Fatalf("exit: %v, want status 130\n%s", err, stderr.String())
	}
	b, err := os.ReadFile(metricsPath)
	if err != nil {
		t.Fatal(err)
	}
	var mf runfolder.Metrics
	if err := json.Unmarshal(b, &mf); err != nil {
		t.Fatal(err)
	}
	if mf.Status != "interrupted" || len(mf.Epochs) < 1 {
		t.Errorf("metrics.json: status %q with %d epochs, want interrupted with at least 1", mf.Status, len(mf.Epochs))
	}
	f, err := modelfile.Open(filepath.Join(out, "i", fileLast))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := engine.Load(f); err != nil {
		t.Error(err)
	}
	if f.Meta.Training.Epoch < len(mf.Epochs)-1 || !strings.Contains(stderr.String(), "interrupted") {
		t.Errorf("checkpoint of epoch %d, %d epochs in metrics.json; stderr:\n%s", f.Meta.Training.Epoch, len(mf.Epochs), stderr.String())
	}
}

func TestTrainRejectsBadFlags(t *testing.T) {
	for _, args := range [][]string{
		{"--dataset", "cifar10"},
		{"--dataset", "folder"},
		{"--batchsize", "1"},
		{"--isize", "20"},
		{"--niter", "0"},
		{"--nc", "3"},
		{"extra-argument"},
	} {
		var stdout, stderr bytes.Buffer
		if code := run(append([]string{"train"}, args...), &stdout, &stderr); code != exitUsage || stderr.Len() == 0 {
			t.Errorf("train %v: exit %d, stderr %q; want %d and a message", args, code, stderr.String(), exitUsage)
		}
	}
	var stdout, stderr bytes.Buffer
	code := run([]string{"train", "--dataset", "folder", "--dataroot", t.TempDir(), "--outf", t.TempDir()}, &stdout, &stderr)
	if code != exitFail || !strings.Contains(stderr.String(), "ganomaly train:") {
		t.Errorf("train on an empty folder: exit %d, stderr %q", code, stderr.String())
	}
}
