// Package runfolder is the schema of a training run's metrics.json, the file
// both trainers write into OUTF/NAME/ (the libtorch trainer, whose
// trainer/run.MetricsFile a test keeps field for field equal to this, and
// `ganomaly train`). docs/trainer.md explains every field.
package runfolder

import "github.com/ganomaly-go/ganomaly/modelfile"

// Metrics is the schema of OUTF/NAME/metrics.json (schema 1, docs/trainer.md).
type Metrics struct {
	Schema  int               `json:"schema"`
	Command string            `json:"command"`
	Status  string            `json:"status"` // running, finished, interrupted, failed
	Error   string            `json:"error,omitempty"`
	Device  string            `json:"device"`
	Config  ConfigRecord      `json:"config"`
	Dataset modelfile.Dataset `json:"dataset"`
	Sizes   SplitSizes        `json:"sizes"`
	Epochs  []EpochRecord     `json:"epochs"`
	Summary *Summary          `json:"summary,omitempty"`
}

// SplitSizes counts the images of each split.
type SplitSizes struct {
	Train         int `json:"train"`
	Val           int `json:"val"`
	TestNormal    int `json:"test_normal"`
	TestAnomalous int `json:"test_anomalous"`
}

// Summary is the last, the validation-selected and the test-selected
// (optimistic) epochs.
type Summary struct {
	Last       Selected `json:"last"`
	Validation Selected `json:"validation_selected"`
	TestBest   Selected `json:"test_selected"`
}

// ConfigRecord is the run's options.
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
	// BatchStatsSeed is the seed of the random order in which the test set is
	// scored with batch statistics (the run's seed).
	BatchStatsSeed int64          `json:"batchstats_order_seed"`
	MaxImages      int            `json:"max_images"`
	MaxTest        int            `json:"max_test"`
	ValFraction    float64        `json:"val_fraction"`
	ThresholdFPR   float64        `json:"threshold_fpr"`
	Norm           modelfile.Norm `json:"normalization"`
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
	Epoch       int        `json:"epoch"`
	Steps       int        `json:"steps"`
	Images      int        `json:"images"`
	TrainSecs   float64    `json:"train_seconds"`
	ImagesPerS  float64    `json:"images_per_s"`
	EvalSecs    float64    `json:"eval_seconds"`
	Loss        LossRecord `json:"loss"`
	DReinits    int        `json:"d_reinits"`
	ValCon      float64    `json:"val_con"`
	ValEnc      float64    `json:"val_enc"`
	ValLoss     float64    `json:"val_loss"`
	AUROCEval   float64    `json:"auroc_eval"`
	AUROCBatch  float64    `json:"auroc_batchstats"`
	AUPRC       float64    `json:"auprc"`
	AUPRCBatch  float64    `json:"auprc_batchstats"`
	F1          float64    `json:"f1"`
	Threshold   float64    `json:"threshold"`
	StepLosses  []float64  `json:"step_err_g,omitempty"`
	StepLossesD []float64  `json:"step_err_d,omitempty"`
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

// Select makes a summary entry from an epoch's record.
func Select(e EpochRecord, rule, ckpt string, optimistic bool) Selected {
	return Selected{Rule: rule, Epoch: e.Epoch, AUROCEval: e.AUROCEval, AUROCBatch: e.AUROCBatch, AUPRC: e.AUPRC, F1: e.F1, Checkpoint: ckpt, Optimistic: optimistic}
}
