// Command ganomaly scores images with a GANomaly model file, inspects model
// files and writes random-weight models, in pure Go (no libtorch):
//
//	ganomaly score -model FILE [-format table|csv|json] [-heatmaps DIR] PATH...
//	ganomaly inspect FILE [-json]
//	ganomaly init -out FILE [-isize 32 -nc 1 -nz 100 -ngf 64 -extralayers 0 -seed N -dtype f32|f16|i8]
//	ganomaly train [--dataset mnist|folder] [--dataroot DIR] [--abnormal_class C] [flags]
//
// Exit status: 0 when everything worked, 1 when some images could not be
// scored (the rest still were), 2 on a usage error (bad flags, a model file
// that cannot be read).
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
)

// Exit statuses.
const (
	exitOK    = 0
	exitFail  = 1 // some inputs failed, the rest were processed
	exitUsage = 2 // nothing could be done as asked
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

const usage = `ganomaly: GANomaly anomaly detection in pure Go

Usage:
  ganomaly score -model FILE [-format table|csv|json] [-heatmaps DIR] PATH...
      score images (folders are searched recursively) with a model file
  ganomaly inspect FILE [-json]
      show a model file's metadata and tensors
  ganomaly init -out FILE [-isize 32 -nc 1 -nz 100 -ngf 64 -extralayers 0 -seed N -dtype f32|f16|i8]
      write a model file with random weights (for tests and for building the app)
  ganomaly train [--dataset mnist|folder] [--dataroot DIR] [--abnormal_class C] [--niter N] [--ngf 16] ...
      train a small GANomaly in pure Go into OUTF/NAME (netG_last/netG_val.safetensors, metrics.json, report.md)

Run "ganomaly COMMAND -h" for every flag of a command.
Exit status: 0 all done, 1 some images failed (the rest were scored), 2 usage error.
`

// run is the whole program, callable from tests: it parses args (without
// the program name), writes results to stdout and messages to stderr, and
// returns the exit status.
func run(args []string, stdout, stderr io.Writer) int {
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitUsage
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "score":
		return runScore(rest, stdout, stderr, log)
	case "inspect":
		return runInspect(rest, stdout, stderr, log)
	case "init":
		return runInit(rest, stdout, stderr, log)
	case "train":
		return runTrain(rest, stdout, stderr, log)
	case "-h", "-help", "--help", "help":
		fmt.Fprint(stdout, usage)
		return exitOK
	}
	fmt.Fprintf(stderr, "ganomaly: unknown command %q\n\n%s", cmd, usage)
	return exitUsage
}

// newFlagSet makes a flag set whose -h output goes to stderr with a usage
// line and a description above the flags.
func newFlagSet(name, synopsis, about string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: %s\n\n%s\n\nFlags:\n", synopsis, strings.TrimSpace(about))
		fs.PrintDefaults()
	}
	return fs
}

// parseInterspersed parses flags that may come before or after positional
// arguments ("score DIR -format json"); "--" ends the flags. It returns the
// positional arguments, or the status to exit with (-h: 0, bad flag: 2).
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, int, bool) {
	var pos, tail []string
	for i, a := range args {
		if a == "--" {
			args, tail = args[:i], args[i+1:]
			break
		}
	}
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, exitOK, false
			}
			return nil, exitUsage, false
		}
		args = fs.Args()
		if len(args) == 0 {
			return append(pos, tail...), 0, true
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}
