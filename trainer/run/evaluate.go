package run

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/ganomaly-go/ganomaly/data"
	"github.com/ganomaly-go/ganomaly/metrics"
	"github.com/ganomaly-go/ganomaly/modelfile"
	"github.com/ganomaly-go/ganomaly/trainer/gan"
)

// batchStatsStream is the PCG stream of the test-set order the
// batch-statistics numbers are scored in (seeded with the run's seed).
const batchStatsStream = 0x9e3779b97f4a7c15

// scoreOrder is the order ScoreSet scores in: nil (the samples' own) for
// eval mode, the seeded shuffle for batch statistics.
func (r *Runner) scoreOrder(mode gan.BNMode) *rand.Rand {
	if mode != gan.BatchStats {
		return nil
	}
	return rand.New(rand.NewPCG(uint64(r.state.Seed), batchStatsStream))
}

// ScoreSet scores samples in batches with the given BatchNorm mode, in the
// order of samples (eval mode: the order cannot matter) or, for
// gan.BatchStats, in a seeded random order: with batch statistics each
// batch is normalised by its own mean and variance, so batches in label
// order (the test set lists normals, then anomalies) would tell the network
// which class it sees. The original shuffles its MNIST and folder test
// loaders for the same reason. The scores are returned in sample order.
func (r *Runner) ScoreSet(ctx context.Context, samples []data.Sample, mode gan.BNMode) ([]float64, error) {
	scores := make([]float64, len(samples))
	for b := range r.loader.Batches(ctx, samples, r.cfg.EvalBatch, r.scoreOrder(mode), false) {
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

// evaluation is one epoch's evaluation: the numbers of its epoch record,
// the calibration its checkpoints carry and the test scores the report
// draws.
type evaluation struct {
	valCon, valEnc, valLoss float64
	cal                     *modelfile.Calibration // from the validation normals, with the test results
	evalScores              []float64              // eval-mode test scores, in test-set order
	batchScores             []float64              // batch-statistics test scores, in test-set order
	auroc, auprc, f1        float64                // eval mode
	aurocBatch, auprcBatch  float64
	seconds                 float64
}

// record copies the evaluation's numbers into the epoch record.
func (ev *evaluation) record(rec *EpochRecord) {
	rec.ValCon, rec.ValEnc, rec.ValLoss = ev.valCon, ev.valEnc, ev.valLoss
	rec.Threshold = ev.cal.Threshold
	rec.AUROCEval, rec.AUPRC, rec.F1 = ev.auroc, ev.auprc, ev.f1
	rec.AUROCBatch, rec.AUPRCBatch = ev.aurocBatch, ev.auprcBatch
	rec.EvalSecs = ev.seconds
}

// evaluate scores the validation normals (losses, threshold) and the test
// set (eval mode and batch statistics) after epoch.
func (r *Runner) evaluate(ctx context.Context, epoch int) (*evaluation, error) {
	start := time.Now()
	ev := &evaluation{}
	var sumCon, sumEnc float64
	valScores := make([]float64, len(r.ds.Val))
	for b := range r.loader.Batches(ctx, r.ds.Val, r.cfg.EvalBatch, nil, false) {
		if b.Err != nil {
			return nil, b.Err
		}
		x, err := r.toTensor(b)
		if err != nil {
			return nil, err
		}
		c, e, err := r.model.ValLosses(x)
		var s []float64
		if err == nil {
			s, _, _, _, err = r.model.Scores(x, gan.Eval, false)
		}
		x.MustDrop()
		if err != nil {
			return nil, err
		}
		for i, k := range b.Indices {
			valScores[k] = s[i]
		}
		sumCon += c
		sumEnc += e
	}
	n := float64(len(r.ds.Val))
	ev.valCon, ev.valEnc = sumCon/n, sumEnc/n
	ev.valLoss = r.cfg.WCon*ev.valCon + r.cfg.WEnc*ev.valEnc
	cal := metrics.Calibrate(valScores, r.cfg.ThresholdFPR)
	if cal == nil {
		return nil, fmt.Errorf("epoch %d: every validation score is NaN or infinite: the model diverged", epoch)
	}
	labels := r.testLabels()
	var err error
	if ev.evalScores, err = r.ScoreSet(ctx, r.ds.Test, gan.Eval); err != nil {
		return nil, err
	}
	if ev.batchScores, err = r.ScoreSet(ctx, r.ds.Test, gan.BatchStats); err != nil {
		return nil, err
	}
	ev.auroc = metrics.AUROC(ev.evalScores, labels)
	ev.auprc = metrics.AUPRC(ev.evalScores, labels)
	ev.f1 = metrics.F1(ev.evalScores, labels, cal.Threshold)
	ev.aurocBatch = metrics.AUROC(ev.batchScores, labels)
	ev.auprcBatch = metrics.AUPRC(ev.batchScores, labels)
	cal.Test = metrics.Evaluate(ev.evalScores, labels, cal.Threshold)
	ev.cal = cal
	ev.seconds = time.Since(start).Seconds()
	return ev, nil
}

func (r *Runner) testLabels() []bool {
	labels := make([]bool, len(r.ds.Test))
	for i, s := range r.ds.Test {
		labels[i] = s.Anomalous
	}
	return labels
}
