package gan

import (
	"fmt"
	"math/rand/v2"

	"github.com/ganomaly-go/ganomaly/modelfile"
	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/ts"
)

// Options are the hyper-parameters of training (the original options.py).
type Options struct {
	Arch  modelfile.Arch
	NDF   int
	LR    float64
	Beta1 float64
	WAdv  float64 // adversarial (feature matching) weight, 1
	WCon  float64 // contextual (L1 reconstruction) weight, 50
	WEnc  float64 // encoder (latent l2) weight, 1
	Seed  int64
}

// ReinitThreshold: D is re-initialised when errD falls below it.
const ReinitThreshold = 1e-5

// Losses of one training step.
type Losses struct {
	ErrG, ErrGAdv, ErrGCon, ErrGEnc float64
	ErrD, ErrDReal, ErrDFake        float64
	ReinitD                         bool
}

// Model holds G, D, both optimisers and the device.
type Model struct {
	Opt    Options
	G      *Generator
	D      *Discriminator
	OptG   *Adam
	OptD   *Adam
	Device gotch.Device
	// DReinits counts discriminator re-initialisations.
	DReinits    int
	ones, zeros *ts.Tensor
}

// NewModel builds G and D initialised from opt.Seed and their optimisers.
func NewModel(opt Options, device gotch.Device) (*Model, error) {
	g, err := NewGenerator(opt.Arch, device)
	if err != nil {
		return nil, err
	}
	d, err := NewDiscriminator(opt.Arch, opt.NDF, device)
	if err != nil {
		return nil, err
	}
	m := &Model{Opt: opt, G: g, D: d, Device: device}
	if err := g.InitWeights(rand.New(rand.NewPCG(uint64(opt.Seed), 1)), true); err != nil {
		return nil, fmt.Errorf("initialising G: %w", err)
	}
	if err := d.InitWeights(rand.New(rand.NewPCG(uint64(opt.Seed), 2)), true); err != nil {
		return nil, fmt.Errorf("initialising D: %w", err)
	}
	m.OptG = NewAdam(g.Trainable(), opt.LR, opt.Beta1, 0.999)
	m.OptD = NewAdam(d.Trainable(), opt.LR, opt.Beta1, 0.999)
	return m, nil
}

func (m *Model) labels(b int64) (ones, zeros *ts.Tensor) {
	if m.ones == nil || m.ones.MustSize()[0] != b {
		m.ones = ts.MustOnes([]int64{b}, gotch.Float, m.Device)
		m.zeros = ts.MustZeros([]int64{b}, gotch.Float, m.Device)
	}
	return m.ones, m.zeros
}

// Step runs one training step of the authors' current code on a batch x
// (B×nc×isize×isize on the model's device):
//
//	forward G: x̂, latentI, latentO = G(x)
//	G step:  errG = wAdv·l2(Dfeat(x), Dfeat(x̂)) + wCon·|x − x̂|₁ + wEnc·l2(latentI, latentO)
//	D step:  errD = ½(BCE(D(x), 1) + BCE(D(x̂.detach()), 0)), x̂ made before the G step
//	if errD < 1e-5: re-initialise D (Adam state kept)
//
// The original runs D four times (D(x) and D(x̂) for errD, both again for the
// adversarial term), lets errG's backward fill D's gradients that zero_grad
// then discards, and updates G before it computes errD. Neither update
// changes what the other step sees (errD uses the fake made before the G
// step, and the G step does not touch D), so here D runs twice, on x and on
// x̂, and both losses come from those two passes: errG's gradients with
// respect to G's parameters only (torch.autograd.grad: D's weight gradients
// are never computed) and errD's with respect to D's only (the backward stops
// at x̂ as the original's detach does). Every loss and update is the same;
// only D's running statistics, which nothing reads, see fewer batches.
// seedStep seeds a re-initialisation of D so runs are repeatable.
func (m *Model) Step(x *ts.Tensor, seedStep int64) (Losses, error) {
	var l Losses
	b := x.MustSize()[0]
	ones, zeros := m.labels(b)

	xhat, latentI, latentO := m.G.Forward(x, Train)
	predReal, featReal := m.D.Forward(x, Train)
	predFake, featFake := m.D.Forward(xhat, Train)

	// Generator loss; the real features are a constant for it.
	featRealConst := featReal.MustDetach(false)
	errAdv := featRealConst.MustMseLoss(featFake, 1, false) // mean((Dfeat(x) - Dfeat(x̂))²)
	errCon := xhat.MustL1Loss(x, 1, false)
	errEnc := latentO.MustMseLoss(latentI, 1, false)
	errG := errAdv.MustMulScalar(ts.FloatScalar(m.Opt.WAdv), false)
	t := errCon.MustMulScalar(ts.FloatScalar(m.Opt.WCon), false)
	errG.MustAdd_(t)
	t.MustDrop()
	t = errEnc.MustMulScalar(ts.FloatScalar(m.Opt.WEnc), false)
	errG.MustAdd_(t)
	t.MustDrop()
	defer drop(xhat, latentI, latentO, predReal, featReal, predFake, featFake, featRealConst, errAdv, errCon, errEnc, errG)
	l.ErrG, l.ErrGAdv, l.ErrGCon, l.ErrGEnc = Scalar(errG), Scalar(errAdv), Scalar(errCon), Scalar(errEnc)
	if !finite(l.ErrG) {
		return l, fmt.Errorf("generator loss is %v (adv %v, con %v, enc %v)", l.ErrG, l.ErrGAdv, l.ErrGCon, l.ErrGEnc)
	}
	// Discriminator loss on the same passes (BCE rejects a NaN prediction,
	// which a finite errG rules out).
	errReal := predReal.MustBinaryCrossEntropy(ones, ts.None, 1, false)
	errFake := predFake.MustBinaryCrossEntropy(zeros, ts.None, 1, false)
	errD := errReal.MustAdd(errFake, false)
	errD.MustMulScalar_(ts.FloatScalar(0.5))
	defer drop(errReal, errFake, errD)
	l.ErrD, l.ErrDReal, l.ErrDFake = Scalar(errD), Scalar(errReal), Scalar(errFake)
	if !finite(l.ErrD) {
		return l, fmt.Errorf("discriminator loss is %v (real %v, fake %v)", l.ErrD, l.ErrDReal, l.ErrDFake)
	}

	// G step (D's fake pass is kept for the D step's gradients), then D step.
	if err := optimise(m.OptG, errG, true); err != nil {
		return l, fmt.Errorf("generator step: %w", err)
	}
	if err := optimise(m.OptD, errD, false); err != nil {
		return l, fmt.Errorf("discriminator step: %w", err)
	}
	if l.ErrD < ReinitThreshold {
		if err := m.D.InitWeights(rand.New(rand.NewPCG(uint64(m.Opt.Seed), uint64(1000+seedStep))), false); err != nil {
			return l, fmt.Errorf("re-initialising D: %w", err)
		}
		m.DReinits++
		l.ReinitD = true
	}
	return l, nil
}

// optimise updates an optimiser's parameters with the gradients of loss with
// respect to them; keepGraph keeps the graph for a later backward.
func optimise(opt *Adam, loss *ts.Tensor, keepGraph bool) error {
	grads, err := ts.Grad([]*ts.Tensor{loss}, opt.Tensors(), keepGraph)
	if err != nil {
		return fmt.Errorf("backward: %w", err)
	}
	defer drop(grads...)
	return opt.Apply(grads)
}

// drop frees tensors now rather than when the garbage collector finds them.
func drop(tensors ...*ts.Tensor) {
	for _, t := range tensors {
		t.MustDrop()
	}
}

// Scores runs G on a batch without gradients and returns per image the
// anomaly score mean((latentI − latentO)²) and, when keep is set, x̂ and the
// latents as float32 slices (B×...).
func (m *Model) Scores(x *ts.Tensor, mode BNMode, keep bool) (scores []float64, xhat, latentI, latentO []float32, err error) {
	noGrad(func() {
		xh, li, lo := m.G.Forward(x, mode)
		defer xh.MustDrop()
		defer li.MustDrop()
		defer lo.MustDrop()
		d := li.MustSub(lo, false)
		d2 := d.MustMul(d, true)
		b := x.MustSize()[0]
		s := d2.MustView([]int64{b, -1}, true).MustMeanDim([]int64{1}, false, gotch.Float, true)
		var sv []float32
		sv, err = Float32s(s)
		s.MustDrop()
		if err != nil {
			return
		}
		scores = make([]float64, len(sv))
		for i, v := range sv {
			scores[i] = float64(v)
		}
		if keep {
			if xhat, err = Float32s(xh); err != nil {
				return
			}
			if latentI, err = Float32s(li); err != nil {
				return
			}
			latentO, err = Float32s(lo)
		}
	})
	return scores, xhat, latentI, latentO, err
}

// ValLosses returns, for a batch of held-out normals in eval mode, the sums
// over images of the L1 reconstruction error and of the latent l2 error
// (each image's mean), for model selection on validation data.
func (m *Model) ValLosses(x *ts.Tensor) (sumCon, sumEnc float64, err error) {
	noGrad(func() {
		xh, li, lo := m.G.Forward(x, Eval)
		defer xh.MustDrop()
		defer li.MustDrop()
		defer lo.MustDrop()
		con := xh.MustL1Loss(x, 2, false) // sum
		enc := li.MustMseLoss(lo, 2, false)
		n := float64(1)
		for _, s := range x.MustSize()[1:] {
			n *= float64(s)
		}
		sumCon = Scalar(con) / n
		sumEnc = Scalar(enc) / float64(m.Opt.Arch.NZ)
		con.MustDrop()
		enc.MustDrop()
	})
	return sumCon, sumEnc, nil
}
