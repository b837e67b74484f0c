package calibration

import (
	"errors"
	"fmt"
	"log/slog"

	"github.com/ganomaly-go/ganomaly/engine"
	"github.com/ganomaly-go/ganomaly/metrics"
	"github.com/ganomaly-go/ganomaly/modelfile"
)

// Request is what a calibration is asked to do for a model about to be
// written. Error messages name the exporter's flags (-calibrate, -test,
// -keep-calibration), whose meaning the fields carry.
type Request struct {
	Normals string  // folder of normal images to set the threshold on; "" keeps the stored calibration where it holds
	Test    string  // labelled folder (0.normal/, 1.abnormal/) for test numbers; "" keeps the stored ones where they hold
	FPR     float64 // false-positive rate on Normals the threshold is set at
	Workers int     // images scored in parallel
	// SameScores says the model's scores are those the stored calibration
	// was computed from: weights exported as F32 from the checkpoint, or as
	// stored. Quantised weights (F16, I8) score slightly differently.
	SameScores bool
	// KeepStored carries a stored calibration over even when the scores
	// differ (the exporter's -keep-calibration).
	KeepStored bool
	DType      string // the weights' storage, for messages
	Source     string // where the stored calibration comes from, for messages
}

// Decide returns the model's calibration by these rules, in order:
//   - Normals set: the threshold at FPR over Normals scored by model itself;
//   - otherwise the stored calibration, when the scores are the same (or
//     KeepStored); a stored calibration of other scores is an error that
//     asks for Normals;
//   - Test set: test numbers from Test scored by model (reference, the F32
//     weights of a quantised model, is scored too and the AUROC lost is
//     logged; nil skips that); otherwise the stored test numbers are kept
//     where they still describe model and the threshold: AUROC, AUPRC and ROC
//     of the same scores, never the F1 of another threshold.
//
// No calibration at all (nothing stored, no Normals) gives nil.
func Decide(req Request, stored *modelfile.Calibration, model, reference *engine.Model) (*modelfile.Calibration, error) {
	var cal *modelfile.Calibration
	recomputed := false
	switch {
	case req.Normals != "":
		paths, err := ListImages(req.Normals)
		if err != nil {
			return nil, fmt.Errorf("-calibrate: %w", err)
		}
		scores, err := Score(model, paths, req.Workers)
		if err != nil {
			return nil, fmt.Errorf("-calibrate: %w", err)
		}
		cal = metrics.Calibrate(scores, req.FPR)
		if cal == nil {
			return nil, fmt.Errorf("-calibrate %s: no finite score among %d images", req.Normals, len(paths))
		}
		recomputed = true
		slog.Info("calibrated on normal images", "dir", req.Normals, "images", len(paths), "dtype", req.DType, "fpr", req.FPR, "threshold", cal.Threshold)
	case stored != nil && req.SameScores:
		c := *stored
		cal = &c
		slog.Info("keeping the stored calibration (computed on validation normals with scores these weights reproduce)", "threshold", cal.Threshold, "val_count", cal.ValCount)
	case stored != nil && req.KeepStored:
		c := *stored
		cal = &c
		slog.Warn("-keep-calibration: the threshold and test numbers of the F32 checkpoint are carried into the quantised file without being recomputed; its scores differ slightly", "dtype", req.DType, "threshold", cal.Threshold)
	case stored != nil:
		return nil, fmt.Errorf("-dtype %s changes the scores, and the calibration stored in %s describes the F32 weights: "+
			"pass -calibrate DIR with normal images (for example the validation normals) so that the threshold is recomputed on the %s model "+
			"(or -keep-calibration to carry the F32 numbers over as they are)",
			req.DType, req.Source, req.DType)
	default:
		slog.Warn("no calibration: the model file will have no threshold, so scores cannot be turned into verdicts; pass -calibrate DIR with normal images")
	}

	switch {
	case req.Test != "":
		if cal == nil {
			return nil, errors.New("-test needs a threshold for F1 and verdicts: pass -calibrate DIR as well")
		}
		tr, err := Evaluate(model, req.Test, cal.Threshold, req.Workers)
		if err != nil {
			return nil, err
		}
		cal.Test = tr
		if reference != nil {
			trRef, err := Evaluate(reference, req.Test, cal.Threshold, req.Workers)
			if err != nil {
				return nil, err
			}
			slog.Info("test AUROC of the quantised model against F32", "dtype", req.DType, "auroc", tr.AUROC, "auroc_f32", trRef.AUROC, "loss", trRef.AUROC-tr.AUROC)
		}
	case stored == nil || stored.Test == nil || !recomputed:
		// Nothing stored, or the stored calibration (with its test numbers)
		// was kept as a whole.
	case req.SameScores:
		// AUROC, AUPRC and the ROC describe these very scores; F1 belongs
		// to the stored threshold.
		t := *stored.Test
		t.F1 = 0
		cal.Test = &t
		slog.Info("kept the stored test AUROC/AUPRC/ROC; its F1 belongs to another threshold and was dropped (pass -test DIR to recompute it)")
	default:
		slog.Warn("the stored test numbers describe the F32 weights and were dropped: pass -test DIR to record them for the quantised model", "dtype", req.DType)
	}
	return cal, nil
}

// Evaluate scores the labelled folder dir with model: AUROC, AUPRC, the ROC
// and F1 at threshold.
func Evaluate(model *engine.Model, dir string, threshold float64, workers int) (*modelfile.TestResult, error) {
	paths, anomalous, err := ListLabelled(dir)
	if err != nil {
		return nil, fmt.Errorf("-test: %w", err)
	}
	scores, err := Score(model, paths, workers)
	if err != nil {
		return nil, fmt.Errorf("-test: %w", err)
	}
	tr := metrics.Evaluate(scores, anomalous, threshold)
	if tr == nil {
		return nil, fmt.Errorf("-test %s: need at least one normal and one abnormal image", dir)
	}
	slog.Info("evaluated the labelled test folder", "dir", dir, "normals", tr.Normals, "anomalies", tr.Anomalies, "auroc", tr.AUROC, "auprc", tr.AUPRC, "f1", tr.F1)
	return tr, nil
}
