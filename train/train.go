package train

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/ganomaly-go/ganomaly/engine"
	"github.com/ganomaly-go/ganomaly/modelfile"
	"github.com/ganomaly-go/ganomaly/spec"
)

// Options are the hyper-parameters of training (the original options.py).
type Options struct {
	Arch             modelfile.Arch
	NDF              int     // discriminator width
	LR, Beta1, Beta2 float64 // Adam, for both networks
	WAdv, WCon, WEnc float64 // loss weights: feature matching, L1 reconstruction, latent L2
	Seed             int64   // initialisation (and D's re-initialisations)
	// Workers is the number of goroutines that share each large matrix
	// product (0 or 1: the calling goroutine only). The results are the same
	// for any number; call Close to end them.
	Workers int
}

// DefaultOptions are the original's defaults for arch: ndf = ngf, Adam
// lr 2e-4 with betas (0.5, 0.999), loss weights 1, 50, 1.
func DefaultOptions(arch modelfile.Arch) Options {
	return Options{Arch: arch, NDF: arch.NGF, LR: 2e-4, Beta1: 0.5, Beta2: 0.999, WAdv: 1, WCon: 50, WEnc: 1}
}

// ReinitThreshold: D is re-initialised when errD falls below it.
const ReinitThreshold = 1e-5

// Losses of one training step, as float32 values like PyTorch's.
type Losses struct {
	ErrG, ErrGAdv, ErrGCon, ErrGEnc float64
	ErrD, ErrDReal, ErrDFake        float64
	ReinitD                         bool // D was re-initialised after this step
}

// ErrDiverged is returned (wrapped) by Step when a loss is not finite; the
// weights are those before the step.
var ErrDiverged = errors.New("training diverged")

// Trainer is GANomaly's generator and discriminator with their Adam
// optimisers, trained one batch at a time by Step. It is not safe for
// concurrent use. Buffers are sized by the first batch and reused: a step
// allocates nothing after that unless the batch size changes.
type Trainer struct {
	opt             Options
	enc1, dec, enc2 net // G
	features        net // D's features
	classifier      net // D's classifier (conv + sigmoid)
	optG, optD      *adam
	steps           int
	reinits         int
	g               gemmer

	batch                                int
	x                                    []float32 // the batch in CNHW
	pE1, pDec, pE2                       passes
	pReal, pFake, pRealCls, pFakeCls     passes
	dxhat, dlatentO, dfeat, dpred, dlatI []float32
	score                                []float32 // per-image scores of Scores
	stats                                []float32 // running statistics before the step
	counts                               []int64
}

// New builds G and D initialised from opt.Seed as the libtorch trainer
// does (G from PCG(seed, 1), D from PCG(seed, 2), state-dict order).
func New(opt Options) (*Trainer, error) {
	if err := opt.Arch.Validate(); err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}
	ds, err := spec.NewDiscriminator(opt.Arch, opt.NDF)
	if err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}
	gs := spec.NewGenerator(opt.Arch)
	t := &Trainer{opt: opt,
		enc1: newNet(gs.Encoder1), dec: newNet(gs.Decoder), enc2: newNet(gs.Encoder2),
		features: newNet(ds.Features), classifier: newNet([]spec.LayerSpec{ds.Classifier})}
	t.initG(rand.New(rand.NewPCG(uint64(opt.Seed), 1)))
	t.initD(rand.New(rand.NewPCG(uint64(opt.Seed), 2)), true)
	t.optG = newAdam(t.paramsG(), opt.LR, opt.Beta1, opt.Beta2)
	t.optD = newAdam(t.paramsD(), opt.LR, opt.Beta1, opt.Beta2)
	t.pE1, t.pDec, t.pE2 = t.enc1.newPasses(), t.dec.newPasses(), t.enc2.newPasses()
	t.pReal, t.pFake = t.features.newPasses(), t.features.newPasses()
	t.pRealCls, t.pFakeCls = t.classifier.newPasses(), t.classifier.newPasses()
	t.g.start(opt.Workers)
	return t, nil
}

// Close ends the worker goroutines of Options.Workers; the Trainer must not
// be used afterwards.
func (t *Trainer) Close() { t.g.stop() }

func (t *Trainer) allNets() [5]*net {
	return [5]*net{&t.enc1, &t.dec, &t.enc2, &t.features, &t.classifier}
}

func (t *Trainer) gNets() []*net { return []*net{&t.enc1, &t.dec, &t.enc2} }
func (t *Trainer) dNets() []*net { return []*net{&t.features, &t.classifier} }

func (t *Trainer) initG(rng *rand.Rand) {
	for _, n := range t.gNets() {
		n.init(rng, true)
	}
}

func (t *Trainer) initD(rng *rand.Rand, resetStats bool) {
	for _, n := range t.dNets() {
		n.init(rng, resetStats)
	}
}

func (t *Trainer) paramsG() []param {
	var ps []param
	for _, n := range t.gNets() {
		ps = append(ps, n.params()...)
	}
	return ps
}

func (t *Trainer) paramsD() []param {
	var ps []param
	for _, n := range t.dNets() {
		ps = append(ps, n.params()...)
	}
	return ps
}

// Options returns the trainer's options.
func (t *Trainer) Options() Options { return t.opt }

// Steps is the number of steps taken.
func (t *Trainer) Steps() int { return t.steps }

// DReinits counts the discriminator's re-initialisations.
func (t *Trainer) DReinits() int { return t.reinits }

// InputLen is the number of values of one image: nc·isize·isize.
func (t *Trainer) InputLen() int { a := t.opt.Arch; return a.NC * a.ISize * a.ISize }

func (t *Trainer) reserve(b int) {
	if t.batch == b {
		return
	}
	a := t.opt.Arch
	t.batch = b
	t.x = make([]float32, b*t.InputLen())
	t.dxhat = make([]float32, b*t.InputLen())
	t.dlatentO = make([]float32, b*a.NZ)
	t.dlatI = make([]float32, b*a.NZ)
	last := t.features.layers[len(t.features.layers)-1].s
	t.dfeat = make([]float32, b*last.OutC*last.OutH*last.OutH)
	t.dpred = make([]float32, b)
	t.score = make([]float32, b)
}

// toCNHW copies the NCHW batch x into t.x ([c][b][h][w]).
func (t *Trainer) toCNHW(x []float32, b int) error {
	n := t.InputLen()
	if b < 2 || len(x) != b*n {
		return fmt.Errorf("train: a batch of %d values is not a whole number (at least 2) of images of %d values (nc × isize × isize)", len(x), n)
	}
	t.reserve(b)
	nc := t.opt.Arch.NC
	hw := n / nc
	for i := 0; i < b; i++ {
		for c := 0; c < nc; c++ {
			copy(t.x[(c*b+i)*hw:(c*b+i+1)*hw], x[(i*nc+c)*hw:(i*nc+c+1)*hw])
		}
	}
	return nil
}

// Step runs one training step of the authors' current code on a batch x of
// images (NCHW, normalised, len a multiple of InputLen):
//
//	forward G: x̂, latentI, latentO = G(x)
//	G step:  errG = wAdv·l2(Dfeat(x), Dfeat(x̂)) + wCon·|x − x̂|₁ + wEnc·l2(latentI, latentO)
//	D step:  errD = ½(BCE(D(x), 1) + BCE(D(x̂.detach()), 0)), x̂ made before the G step
//	if errD < 1e-5: re-initialise D (Adam state kept)
//
// D runs once on x and once on x̂ (the original runs each twice with the
// same weights; only D's running statistics, which nothing reads, see fewer
// batches), in training mode, as the libtorch trainer does. A step whose
// losses are not finite changes nothing and returns an error wrapping
// ErrDiverged.
func (t *Trainer) Step(x []float32) (Losses, error) {
	var ls Losses
	b := len(x) / max(1, t.InputLen())
	if err := t.toCNHW(x, b); err != nil {
		return ls, err
	}
	g := &t.g
	t.stats, t.counts = t.stats[:0], t.counts[:0]
	for _, n := range t.allNets() {
		t.stats, t.counts = n.saveStats(t.stats, t.counts)
	}
	li := t.enc1.forward(t.pE1, t.x, b, Train, g)
	xh := t.dec.forward(t.pDec, li, b, Train, g)
	lo := t.enc2.forward(t.pE2, xh, b, Train, g)
	fr := t.features.forward(t.pReal, t.x, b, Train, g)
	pr := t.classifier.forward(t.pRealCls, fr, b, Train, g)
	ff := t.features.forward(t.pFake, xh, b, Train, g)
	pf := t.classifier.forward(t.pFakeCls, ff, b, Train, g)

	ls.ErrGAdv = meanSquare(ff, fr)
	ls.ErrGCon = meanAbs(xh, t.x)
	ls.ErrGEnc = meanSquare(lo, li)
	o := t.opt
	ls.ErrG = float64(float32(float32(float32(ls.ErrGAdv)*float32(o.WAdv))+float32(float32(ls.ErrGCon)*float32(o.WCon))) + float32(float32(ls.ErrGEnc)*float32(o.WEnc)))
	ls.ErrDReal, ls.ErrDFake = bce(pr, 1), bce(pf, 0)
	ls.ErrD = float64(float32(float32(ls.ErrDReal)+float32(ls.ErrDFake)) * 0.5)
	if !finite(ls.ErrG) || !finite(ls.ErrD) {
		stats, counts := t.stats, t.counts
		for _, n := range t.allNets() {
			stats, counts = n.restoreStats(stats, counts)
		}
		return ls, fmt.Errorf("train: step %d: %w: errG %v (adv %v, con %v, enc %v), errD %v (real %v, fake %v)",
			t.steps+1, ErrDiverged, ls.ErrG, ls.ErrGAdv, ls.ErrGCon, ls.ErrGEnc, ls.ErrD, ls.ErrDReal, ls.ErrDFake)
	}

	// G step: gradients of errG with respect to G's parameters. D's real
	// features are a constant; its fake pass is back-propagated to x̂ only.
	for _, n := range t.gNets() {
		n.zeroGrad()
	}
	msGrad(t.dfeat, ff, fr, float32(o.WAdv))
	copy(t.dxhat, t.features.backward(t.pFake, t.dfeat, false, true, g))
	absGradAdd(t.dxhat, xh, t.x, float32(o.WCon))
	msGrad(t.dlatentO, lo, li, float32(o.WEnc))
	addTo(t.dxhat, t.enc2.backward(t.pE2, t.dlatentO, true, true, g))
	copy(t.dlatI, t.dec.backward(t.pDec, t.dxhat, true, true, g))
	for i, v := range t.dlatentO {
		t.dlatI[i] -= v // l2(latentI, latentO) also reaches latentI directly
	}
	t.enc1.backward(t.pE1, t.dlatI, true, false, g)
	t.optG.update()

	// D step on the same passes (x̂ detached: the backward stops at D's input).
	for _, n := range t.dNets() {
		n.zeroGrad()
	}
	for _, pass := range []struct {
		p, cls passes
		pred   []float32
		target float32
	}{{t.pReal, t.pRealCls, pr, 1}, {t.pFake, t.pFakeCls, pf, 0}} {
		bceGrad(t.dpred, pass.pred, pass.target, 0.5)
		df := t.classifier.backward(pass.cls, t.dpred, true, true, g)
		t.features.backward(pass.p, df, true, false, g)
	}
	t.optD.update()
	t.steps++
	if ls.ErrD < ReinitThreshold {
		t.initD(rand.New(rand.NewPCG(uint64(o.Seed), uint64(1000+t.steps))), false)
		t.reinits++
		ls.ReinitD = true
	}
	return ls, nil
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// meanSquare is mean((a − b)²) rounded to float32, as PyTorch's l2/MSE loss.
func meanSquare(a, b []float32) float64 {
	var s float64
	for i, v := range a {
		d := float64(v - b[i])
		s += d * d
	}
	return float64(float32(s / float64(len(a))))
}

// meanAbs is mean|a − b| rounded to float32, as PyTorch's L1 loss.
func meanAbs(a, b []float32) float64 {
	var s float64
	for i, v := range a {
		s += math.Abs(float64(v - b[i]))
	}
	return float64(float32(s / float64(len(a))))
}

// msGrad writes w·∂mean((a − b)²)/∂a = w·2(a − b)/n into d.
func msGrad(d, a, b []float32, w float32) {
	k := float32(2 / float64(len(a)))
	for i, v := range a {
		d[i] = float32(float32(k*(v-b[i])) * w)
	}
}

// absGradAdd adds w·∂mean|a − b|/∂a = w·sign(a − b)/n to d.
func absGradAdd(d, a, b []float32, w float32) {
	k := float32(float32(1/float64(len(a))) * w)
	for i, v := range a {
		switch {
		case v > b[i]:
			d[i] += k
		case v < b[i]:
			d[i] -= k
		}
	}
}

func addTo(d, s []float32) {
	s = s[:len(d)]
	for i, v := range s {
		d[i] += v
	}
}

// bce is PyTorch's binary cross-entropy of predictions p against a constant
// target (0 or 1), with its log clamped at −100, mean over p, as float32.
func bce(p []float32, target float32) float64 {
	var s float64
	for _, v := range p {
		var l float64
		if target == 1 {
			l = max(logAny(float64(v)), -100)
		} else {
			l = max(logAny(float64(1-v)), -100)
		}
		s -= float64(float32(l))
	}
	return float64(float32(s / float64(len(p))))
}

// bceGrad writes w·∂bce/∂p = w·(p − y)/max(p(1 − p), 1e-12)/n into d, as
// PyTorch's binary_cross_entropy_backward.
func bceGrad(d, p []float32, target, w float32) {
	n := float32(len(p))
	for i, v := range p {
		den := max(float32(float32(1-v)*v), 1e-12)
		d[i] = float32(w*(v-target)) / den / n
	}
}

// tensorsG and tensorsD return the networks' state dicts.
func (t *Trainer) tensorsG(prefix string) []*modelfile.Tensor {
	var out []*modelfile.Tensor
	for _, n := range t.gNets() {
		out = append(out, n.tensors(prefix)...)
	}
	return out
}

func (t *Trainer) tensorsD(prefix string) []*modelfile.Tensor {
	var out []*modelfile.Tensor
	for _, n := range t.dNets() {
		out = append(out, n.tensors(prefix)...)
	}
	return out
}

// GeneratorFile returns G's state dict with the original key names (BatchNorm
// unfolded, with running statistics) as a checkpoint file carrying meta:
// what the libtorch trainer writes as netG_*.safetensors, read by the
// exporter, `ganomaly inspect`, the engine and the page.
func (t *Trainer) GeneratorFile(meta modelfile.Metadata) *modelfile.File {
	meta.Kind = modelfile.KindCheckpoint
	meta.Arch = t.opt.Arch
	if meta.FormatVersion == 0 {
		meta.FormatVersion = modelfile.FormatVersion
	}
	if meta.Norm.Mean == nil {
		meta.Norm = modelfile.DefaultNorm(t.opt.Arch.NC)
	}
	f := modelfile.New(meta)
	for _, ts := range t.tensorsG("") {
		f.Add(ts)
	}
	return f
}

// DiscriminatorTensors returns D's state dict (features.*, classifier.0.*).
func (t *Trainer) DiscriminatorTensors() []*modelfile.Tensor { return t.tensorsD("") }

// Model returns the current generator as an eval-mode engine model
// (BatchNorm folded with the running statistics): what a model file made
// from GeneratorFile scores, image by image.
func (t *Trainer) Model() (*engine.Model, error) {
	f := t.GeneratorFile(modelfile.Metadata{})
	folded, err := engine.Fold(f)
	if err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}
	return engine.Load(folded)
}

// LoadGenerator copies G's tensors from a checkpoint (the original key
// names; a netG.pth converted by the exporter or a GeneratorFile).
func (t *Trainer) LoadGenerator(get func(name string) *modelfile.Tensor) error {
	for _, n := range t.gNets() {
		if err := n.load("", get); err != nil {
			return fmt.Errorf("train: generator: %w", err)
		}
	}
	return nil
}

// LoadDiscriminator copies D's tensors (features.*, classifier.0.*).
func (t *Trainer) LoadDiscriminator(get func(name string) *modelfile.Tensor) error {
	for _, n := range t.dNets() {
		if err := n.load("", get); err != nil {
			return fmt.Errorf("train: discriminator: %w", err)
		}
	}
	return nil
}

// Scores returns the anomaly score mean((latentI − latentO)²) of every image
// of the batch x (NCHW) with BatchNorm in mode (Eval: running statistics, as
// the engine; BatchStats: statistics of this batch, as the original scores
// its test batches). Nothing is updated. The slice is reused by the next
// call.
func (t *Trainer) Scores(x []float32, mode Mode) ([]float32, error) {
	if mode == Train {
		return nil, errors.New("train: Scores takes Eval or BatchStats, not Train")
	}
	b := len(x) / max(1, t.InputLen())
	if err := t.toCNHW(x, b); err != nil {
		return nil, err
	}
	g := &t.g
	li := t.enc1.forward(t.pE1, t.x, b, mode, g)
	xh := t.dec.forward(t.pDec, li, b, mode, g)
	lo := t.enc2.forward(t.pE2, xh, b, mode, g)
	nz := t.opt.Arch.NZ
	for i := 0; i < b; i++ {
		var s float64
		for z := 0; z < nz; z++ {
			d := float64(li[z*b+i] - lo[z*b+i])
			s += d * d
		}
		t.score[i] = float32(s / float64(nz))
	}
	return t.score, nil
}

// Gradients returns copies of the gradients of the last step's losses with
// respect to every trainable tensor of G (errG) and D (errD), by state-dict
// key: for tests and diagnostics.
func (t *Trainer) Gradients() map[string][]float32 {
	out := map[string][]float32{}
	for _, p := range append(t.paramsG(), t.paramsD()...) {
		out[p.name] = append([]float32(nil), p.grad...)
	}
	return out
}

// OptimizerState returns the state of G's and D's Adam optimisers, named as
// torch.optim.Adam's state_dict keeps it per parameter: AdamStep (the
// number of updates taken) and, for every trainable tensor KEY in
// state-dict order, AdamExpAvg+KEY and AdamExpAvgSq+KEY. With the state
// dicts (GeneratorFile, DiscriminatorTensors) it is everything the next
// Step reads.
func (t *Trainer) OptimizerState() (g, d []*modelfile.Tensor) {
	return t.optG.tensors(), t.optD.tensors()
}

// LoadOptimizerState replaces both optimisers' state with tensors named as
// OptimizerState returns them (a PyTorch Adam state converted by name, or
// an earlier OptimizerState), so training resumes where that state was
// taken. Every tensor must be present with its parameter's shape, as F32
// (finite, and ≥ 0 for the second moments); on error nothing changes.
// Steps and DReinits are not part of it.
func (t *Trainer) LoadOptimizerState(g, d func(name string) *modelfile.Tensor) error {
	sg, err := t.optG.check(g)
	if err != nil {
		return fmt.Errorf("train: generator's optimiser: %w", err)
	}
	sd, err := t.optD.check(d)
	if err != nil {
		return fmt.Errorf("train: discriminator's optimiser: %w", err)
	}
	t.optG.set(sg)
	t.optD.set(sd)
	return nil
}

// MemoryBytes estimates the memory a Trainer with opt uses once it has
// trained on batches of batch images: parameters with their gradients and
// Adam moments, and every layer's buffers for G's pass and D's two passes.
// A caller with a memory budget (a browser tab) can refuse a model before
// building it.
func MemoryBytes(opt Options, batch int) (int64, error) {
	if err := opt.Arch.Validate(); err != nil {
		return 0, fmt.Errorf("train: %w", err)
	}
	ds, err := spec.NewDiscriminator(opt.Arch, opt.NDF)
	if err != nil {
		return 0, fmt.Errorf("train: %w", err)
	}
	gs := spec.NewGenerator(opt.Arch)
	var floats int64
	count := func(ls []spec.LayerSpec, passes int64) {
		for _, s := range ls {
			for _, t := range s.Tensors() {
				if t.Kind.Trainable() {
					floats += 4 * int64(t.Len()) // value, gradient, Adam's two moments
				} else if t.Kind != spec.NumBatchesTracked {
					floats += int64(t.Len())
				}
			}
			b := int64(batch)
			out := int64(s.OutC) * b * int64(s.OutH*s.OutH)
			in := int64(s.InC) * b * int64(s.InH*s.InH)
			l := layer{s: s}
			if wg, ok := l.winoGeom(batch); ok {
				u, v, sm, m, pad := wg.floats()
				floats += passes * (3*out + in + int64(2*u+v+sm+m+pad)) // z, out, dz; din; Winograd buffers
				continue
			}
			g := l.bigGeom(batch)
			col := int64(g.rows()) * int64(g.cols())
			floats += passes * (3*out + in + 2*col) // z, out, dz; din; col, dcol
		}
	}
	count(gs.Layers(), 1)
	count(ds.Layers(), 2)
	// the largest packed GEMM operands and result, bounded by twice the largest im2col matrix
	var maxCol int64
	for _, s := range append(gs.Layers(), ds.Layers()...) {
		l := layer{s: s}
		if wg, ok := l.winoGeom(batch); ok { // one of the 9 products
			maxCol = max(maxCol, int64(max(wg.o, wg.kc()))*int64(wg.t))
			continue
		}
		g := l.bigGeom(batch)
		maxCol = max(maxCol, int64(g.rows())*int64(g.cols()))
	}
	floats += 3 * maxCol
	return 4 * floats, nil
}
