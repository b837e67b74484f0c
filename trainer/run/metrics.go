package run

import (
	"encoding/json"
	"io"
	"path/filepath"

	"github.com/ganomaly-go/ganomaly/modelfile"
)

// MetricsFile is the schema of OUTF/NAME/metrics.json (docs/trainer.md).
type MetricsFile struct {
	Schema  int               `json:"schema"` // 1
	Command string            `json:"command"`
	Status  string            `json:"status"` // running, finished, failed
	Error   string            `json:"error,omitempty"`
	Device  string            `json:"device"`
	Config  ConfigRecord      `json:"config"`
	Dataset modelfile.Dataset `json:"dataset"`
	Sizes   SplitSizes        `json:"sizes"`
	Epochs  []EpochRecord     `json:"epochs"`
	Summary *Summary          `json:"summary,omitempty"`
}

// ConfigRecord is the run's options as written to metrics.json.
type ConfigRecord struct {
	Dataset       string         `json:"dataset"`
	DataRoot      string         `json:"dataroot"`
	AbnormalClass string         `json:"abnormal_class"`
	NIter         int            `json:"niter"`
	Arch          modelfile.Arch `json:"arch"`
	NDF           int            `json:"ndf"`
	BatchSize     int            `json:"batchsize"`
	LR            float64        `json:"lr"`
	Beta1         float64        `json:"beta1"`
	WAdv          float64        `json:"w_adv"`
	WCon          float64        `json:"w_con"`
	WEnc          float64        `json:"w_enc"`
	ManualSeed    int64          `json:"manualseed"`
	// BatchStatsSeed seeds the random order of the test set in which the
	// batch-statistics numbers are scored (the run's seed). Files without
	// it scored them in label order: their auroc_batchstats is inflated.
	BatchStatsSeed int64          `json:"batchstats_order_seed"`
	MaxImages      int            `json:"max_images"`
	MaxTest        int            `json:"max_test"`
	ValFraction    float64        `json:"val_fraction"`
	ThresholdFPR   float64        `json:"threshold_fpr"`
	Norm           modelfile.Norm `json:"normalization"`
}

// SplitSizes counts the images of each split.
type SplitSizes struct {
	Train         int `json:"train"`
	Val           int `json:"val"`
	TestNormal    int `json:"test_normal"`
	TestAnomalous int `json:"test_anomalous"`
}

// LossRecord is the mean of each loss term over an epoch's steps.
type LossRecord struct {
	ErrG     float64 `json:"err_g"`
	ErrGAdv  float64 `json:"err_g_adv"`
	ErrGCon  float64 `json:"err_g_con"`
	ErrGEnc  float64 `json:"err_g_enc"`
	ErrD     float64 `json:"err_d"`
	ErrDReal float64 `json:"err_d_real"`
	ErrDFake float64 `json:"err_d_fake"`
}

// EpochRecord is one epoch's training and evaluation numbers.
type EpochRecord struct {
	Epoch      int        `json:"epoch"` // 1-based
	Steps      int        `json:"steps"`
	Images     int        `json:"images"`
	TrainSecs  float64    `json:"train_seconds"`
	ImagesPerS float64    `json:"images_per_s"`
	EvalSecs   float64    `json:"eval_seconds"`
	Loss       LossRecord `json:"loss"`
	DReinits   int        `json:"d_reinits"`
	ValCon     float64    `json:"val_con"`    // mean L1 |x − x̂| of the validation normals (eval mode)
	ValEnc     float64    `json:"val_enc"`    // mean l2(latentI, latentO) = mean anomaly score of the validation normals
	ValLoss    float64    `json:"val_loss"`   // w_con·val_con + w_enc·val_enc: the selection criterion
	AUROCEval  float64    `json:"auroc_eval"` // eval-mode BatchNorm (running statistics): what one image gets
	// AUROCBatch and AUPRCBatch: BatchNorm statistics of each test batch, the
	// test set in the seeded random order of ConfigRecord.BatchStatsSeed.
	AUROCBatch  float64   `json:"auroc_batchstats"`
	AUPRC       float64   `json:"auprc"`
	AUPRCBatch  float64   `json:"auprc_batchstats"`
	F1          float64   `json:"f1"`
	Threshold   float64   `json:"threshold"`
	StepLosses  []float64 `json:"step_err_g,omitempty"` // errG every step (loss curves)
	StepLossesD []float64 `json:"step_err_d,omitempty"`
}

// Selected is one of the summary's chosen epochs.
type Selected struct {
	Rule       string  `json:"rule"`
	Epoch      int     `json:"epoch"`
	AUROCEval  float64 `json:"auroc_eval"`
	AUROCBatch float64 `json:"auroc_batchstats"`
	AUPRC      float64 `json:"auprc"`
	F1         float64 `json:"f1"`
	Checkpoint string  `json:"checkpoint,omitempty"`
	Optimistic bool    `json:"optimistic,omitempty"`
}

// Summary is the last, validation-selected and test-selected epochs.
type Summary struct {
	Last       Selected `json:"last"`
	Validation Selected `json:"validation_selected"`
	TestBest   Selected `json:"test_selected"`
}

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
