package run

import (
	"encoding/json"
	"io"
	"path/filepath"

	"github.com/ganomaly-go/ganomaly/modelfile"
	"github.com/ganomaly-go/ganomaly/runfolder"
)

// The metrics.json schema is package runfolder's, shared with `ganomaly
// train` (docs/trainer.md explains every field).
type (
	MetricsFile  = runfolder.Metrics
	ConfigRecord = runfolder.ConfigRecord
	SplitSizes   = runfolder.SplitSizes
	LossRecord   = runfolder.LossRecord
	EpochRecord  = runfolder.EpochRecord
	Selected     = runfolder.Selected
	Summary      = runfolder.Summary
)

func selectedFrom(e EpochRecord, rule, ckpt string) Selected {
	return Selected{Rule: rule, Epoch: e.Epoch, AUROCEval: e.AUROCEval, AUROCBatch: e.AUROCBatch, AUPRC: e.AUPRC, F1: e.F1, Checkpoint: ckpt}
}

// summarise picks the epochs of the summary from the records.
func summarise(es []EpochRecord) *Summary {
	if len(es) == 0 {
		return nil
	}
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
	s := &Summary{
		Last:       selectedFrom(last, "the last epoch", FileGLast),
		Validation: selectedFrom(val, "lowest val_loss (w_con·L1 + w_enc·latent l2 on held-out training normals, eval-mode BatchNorm)", FileGVal),
		TestBest:   selectedFrom(best, "highest test auroc_eval: chosen on the test set, optimistic (the original keeps this one)", ""),
	}
	s.TestBest.Optimistic = true
	return s
}

// Run-folder file names.
const (
	FileState   = "train_state.safetensors" // everything --resume needs
	FileGLast   = "netG_last.safetensors"   // generator of the last epoch (checkpoint)
	FileGVal    = "netG_val.safetensors"    // generator of the validation-selected epoch
	FileMetrics = "metrics.json"
	FileReport  = "report.md"
)

func writeJSON(path string, v any) error {
	return modelfile.WriteFileAtomic(path, func(w io.Writer) error {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	})
}

func runPath(c *Config, name string) string { return filepath.Join(c.Dir(), name) }
