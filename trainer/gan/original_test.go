package gan

import (
	"math"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/sugarme/gotch/ts"
)

// originalStep is the authors' optimize_params() (lib/model.py) operation for
// operation on these bindings: forward_g, forward_d (D on x and on the
// detached fake), zero_grad, backward_g (D on x and on the fake again, errG's
// backward filling G's and D's .grad), Adam on G, zero_grad, backward_d,
// Adam on D. It is the baseline of BenchmarkStepVsOriginal, so that the
// speed-up of Step is measured in one process, image batch by image batch,
// unaffected by the load of other processes; scripts/bench-trainer.sh
// compares with the original PyTorch code itself.
func originalStep(tb testing.TB, m *Model, x *ts.Tensor) (errG, errD float64) {
	b := x.MustSize()[0]
	ones, zeros := m.labels(b)
	var drop []*ts.Tensor
	defer func() {
		for _, t := range drop {
			t.MustDrop()
		}
	}()
	keep := func(ts ...*ts.Tensor) { drop = append(drop, ts...) }

	xhat, latentI, latentO := m.G.Forward(x, Train) // forward_g
	predReal, featReal := m.D.Forward(x, Train)     // forward_d
	fakeDetached := xhat.MustDetach(false)
	predFake, featFake := m.D.Forward(fakeDetached, Train)
	keep(xhat, latentI, latentO, predReal, featReal, fakeDetached, predFake, featFake)

	zeroGrad(m.OptG) // backward_g
	_, featReal2 := m.D.Forward(x, Train)
	_, featFake2 := m.D.Forward(xhat, Train)
	errAdv := featReal2.MustMseLoss(featFake2, 1, false)
	errCon := xhat.MustL1Loss(x, 1, false)
	errEnc := latentO.MustMseLoss(latentI, 1, false)
	lossG := errAdv.MustMulScalar(ts.FloatScalar(m.Opt.WAdv), false)
	t1 := errCon.MustMulScalar(ts.FloatScalar(m.Opt.WCon), false)
	t2 := errEnc.MustMulScalar(ts.FloatScalar(m.Opt.WEnc), false)
	lossG.MustAdd_(t1)
	lossG.MustAdd_(t2)
	keep(featReal2, featFake2, errAdv, errCon, errEnc, lossG, t1, t2)
	if err := lossG.Backward(); err != nil {
		tb.Fatal(err)
	}
	adamFromGrad(tb, m.OptG)

	zeroGrad(m.OptD) // backward_d
	errReal := predReal.MustBinaryCrossEntropy(ones, ts.None, 1, false)
	errFake := predFake.MustBinaryCrossEntropy(zeros, ts.None, 1, false)
	lossD := errReal.MustAdd(errFake, false)
	lossD.MustMulScalar_(ts.FloatScalar(0.5))
	keep(errReal, errFake, lossD)
	if err := lossD.Backward(); err != nil {
		tb.Fatal(err)
	}
	adamFromGrad(tb, m.OptD)
	return Scalar(lossG), Scalar(lossD) // err_d.item()
}

func zeroGrad(a *Adam) {
	for _, t := range a.Tensors() {
		t.ZeroGrad()
	}
}

// adamFromGrad is optimizer.step(): Adam with the accumulated .grad.
func adamFromGrad(tb testing.TB, a *Adam) {
	var grads []*ts.Tensor
	for _, t := range a.Tensors() {
		grads = append(grads, t.MustGrad(false))
	}
	if err := a.Apply(grads); err != nil {
		tb.Fatal(err)
	}
	for _, g := range grads {
		g.MustDrop()
	}
}

// TestOriginalStepMatchesStep keeps the baseline honest: two models with the
// same weights, one trained with Step and one with originalStep on the same
// batches, give the same losses step after step.
func TestOriginalStepMatchesStep(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	a, b := newModel(t, small(5)), newModel(t, small(5))
	for i := 0; i < 4; i++ {
		x := batch(t, a, uint64(i), 16)
		l, err := a.Step(x, int64(i))
		if err != nil {
			t.Fatal(err)
		}
		errG, errD := originalStep(t, b, x)
		x.MustDrop()
		if math.Abs(l.ErrG-errG) > 1e-5*errG || math.Abs(l.ErrD-errD) > 1e-5*errD {
			t.Errorf("step %d: Step errG %.8g errD %.8g, originalStep %.8g %.8g", i, l.ErrG, l.ErrD, errG, errD)
		}
	}
}

// BenchmarkStepVsOriginal alternates Step and originalStep batch by batch
// (batch 64, isize 32, nc 1, CPU) and reports both medians and their ratio.
func BenchmarkStepVsOriginal(b *testing.B) {
	likeTheTrainer(func() {
		ours, orig := newModel(b, testOptions(1)), newModel(b, testOptions(1))
		x := benchBatch(b)
		for i := 0; i < 2; i++ {
			if _, err := ours.Step(x, int64(i)); err != nil {
				b.Fatal(err)
			}
			originalStep(b, orig, x)
		}
		var to, tr []float64
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			t0 := time.Now()
			if _, err := ours.Step(x, int64(i)); err != nil {
				b.Fatal(err)
			}
			t1 := time.Now()
			originalStep(b, orig, x)
			to = append(to, t1.Sub(t0).Seconds())
			tr = append(tr, time.Since(t1).Seconds())
		}
		slices.Sort(to)
		slices.Sort(tr)
		mo, mr := to[len(to)/2], tr[len(tr)/2]
		b.ReportMetric(64/mo, "img/s")
		b.ReportMetric(64/mr, "orig-img/s")
		b.ReportMetric(mr/mo, "speedup")
	})
}

// BenchmarkOriginalStep is originalStep alone (batch 64, isize 32, nc 1, CPU),
// to compare with BenchmarkStep run alone.
func BenchmarkOriginalStep(b *testing.B) {
	likeTheTrainer(func() {
		m, x := newModel(b, testOptions(1)), benchBatch(b)
		for i := 0; i < 3; i++ {
			originalStep(b, m, x)
		}
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			originalStep(b, m, x)
		}
		b.ReportMetric(float64(64*b.N)/b.Elapsed().Seconds(), "img/s")
	})
}
