package train

import (
	"math"

	"github.com/ganomaly-go/ganomaly/engine"
	"github.com/ganomaly-go/ganomaly/spec"
)

// layer holds one convolution's parameters, its BatchNorm's parameters and
// running statistics, and their gradients. Weights are in PyTorch layout
// (spec.LayerSpec.WeightShape).
type layer struct {
	s                    spec.LayerSpec
	w, dw                []float32
	gamma, beta          []float32 // BatchNorm γ and β (nil without BatchNorm)
	dgamma, dbeta        []float32
	runMean, runVar      []float32
	batches              int64 // num_batches_tracked
	geo                  geom  // the convolution's geometry for the current batch
	inC, inH, outC, outH int
}

func newLayer(s spec.LayerSpec) *layer {
	l := &layer{s: s, inC: s.InC, inH: s.InH, outC: s.OutC, outH: s.OutH}
	l.w = make([]float32, s.InC*s.OutC*s.K*s.K)
	l.dw = make([]float32, len(l.w))
	if s.BatchNorm != "" {
		c := s.OutC
		l.gamma, l.beta = make([]float32, c), make([]float32, c)
		l.dgamma, l.dbeta = make([]float32, c), make([]float32, c)
		l.runMean, l.runVar = make([]float32, c), make([]float32, c)
	}
	return l
}

// tensor returns the values of one of the layer's float tensors.
func (l *layer) tensor(k spec.Kind) []float32 {
	switch k {
	case spec.Weight:
		return l.w
	case spec.BNWeight:
		return l.gamma
	case spec.BNBias:
		return l.beta
	case spec.RunningMean:
		return l.runMean
	case spec.RunningVar:
		return l.runVar
	}
	return nil
}

// grad returns the gradient of a trainable tensor.
func (l *layer) grad(k spec.Kind) []float32 {
	switch k {
	case spec.Weight:
		return l.dw
	case spec.BNWeight:
		return l.dgamma
	case spec.BNBias:
		return l.dbeta
	}
	return nil
}

// bigGeom is the geometry of the layer's convolution for a batch of b: the
// large side is the input of a Conv2d and the output of a ConvTranspose2d.
func (l *layer) bigGeom(b int) geom {
	s := l.s
	if s.Op == spec.ConvT {
		return geom{c: s.OutC, h: s.OutH, oh: s.InH, k: s.K, s: s.S, p: s.P, b: b}
	}
	return geom{c: s.InC, h: s.InH, oh: s.OutH, k: s.K, s: s.S, p: s.P, b: b}
}

// Mode selects how BatchNorm normalises in a forward pass.
type Mode int

const (
	// Train normalises with the batch statistics and updates the running
	// statistics (PyTorch's train()).
	Train Mode = iota
	// BatchStats normalises with the batch statistics and leaves the running
	// statistics alone: the original code's test-time behaviour.
	BatchStats
	// Eval normalises with the running statistics (PyTorch's eval(), what
	// the engine folds).
	Eval
)

// pass is one forward pass of a layer over a batch: what its backward pass
// needs. Buffers are sized on first use and reused.
type pass struct {
	in          []float32 // the input (not owned)
	col         []float32 // Conv2d: im2col of the input
	z           []float32 // the convolution's output (before BatchNorm)
	out         []float32 // the layer's output (after the activation)
	mean, istd  []float32 // BatchNorm: batch mean and 1/sqrt(var + eps)
	dz, dcol    []float32 // backward scratch
	din         []float32 // gradient of the input
	wino        winoBuffers
	batch, nOut int
}

func (p *pass) reserve(l *layer, b int) {
	if p.batch == b && p.out != nil {
		return
	}
	g := l.bigGeom(b)
	p.batch = b
	p.nOut = l.outC * b * l.outH * l.outH
	p.z = make([]float32, p.nOut)
	p.out = make([]float32, p.nOut)
	p.dz = make([]float32, p.nOut)
	p.din = make([]float32, l.inC*b*l.inH*l.inH)
	if wg, ok := l.winoGeom(b); ok {
		p.wino.reserve(wg)
	} else {
		p.col = make([]float32, g.rows()*g.cols())
		p.dcol = make([]float32, g.rows()*g.cols())
	}
	if l.gamma != nil {
		p.mean, p.istd = make([]float32, l.outC), make([]float32, l.outC)
	}
}

// forward runs the layer on in ([inC][b][inH][inH]) and returns its output
// ([outC][b][outH][outH], owned by p).
func (l *layer) forward(p *pass, in []float32, b int, mode Mode, g *gemmer) []float32 {
	p.reserve(l, b)
	p.in = in
	s := l.s
	geo := l.bigGeom(b)
	n := b * l.outH * l.outH
	if wg, ok := l.winoGeom(b); ok {
		wg.weights(l.w, &p.wino)
		if s.Op == spec.Conv {
			wg.transformBig(in, &p.wino)
			wg.lmap(&p.wino, p.z, g)
		} else {
			wg.transformSmall(in, &p.wino)
			wg.lmapT(&p.wino, p.z, g)
		}
	} else if s.Op == spec.Conv {
		// z[oc][n] = Σ_q W[oc][q] · col[q][n]
		im2col(in, p.col, geo)
		g.mul(rowMajor(l.w, geo.rows()), rowMajor(p.col, geo.cols()), l.outC, geo.rows(), geo.cols(), p.z, false)
	} else {
		// col[r][n] = Σ_ic W[ic][r] · x[ic][n], then scattered into z.
		r, nin := geo.rows(), geo.cols()
		g.mul(rowMajor(l.w, r).t(), rowMajor(in, nin), r, l.inC, nin, p.col, false)
		col2im(p.col, p.z, geo)
	}
	if l.gamma != nil {
		l.batchNorm(p, n, mode, s.Act)
	} else {
		activate(p.out, p.z, s.Act)
	}
	return p.out
}

// hostAct is the engine's name of a fused activation (engine.HostBNApply):
// BNNone for one applied after BatchNorm's pass.
func hostAct(act spec.Act) int {
	switch act {
	case spec.LeakyReLU:
		return engine.BNLeakyReLU
	case spec.ReLU:
		return engine.BNReLU
	}
	return engine.BNNone
}

// fused reports an activation that BatchNorm's passes apply inline.
func fused(act spec.Act) bool { return act == spec.LeakyReLU || act == spec.ReLU || act == spec.None }

// batchNorm normalises p.z into p.out per channel and applies act.
func (l *layer) batchNorm(p *pass, n int, mode Mode, act spec.Act) {
	for c := 0; c < l.outC; c++ {
		z, out := p.z[c*n:(c+1)*n], p.out[c*n:(c+1)*n]
		var mean, istd float32
		if mode == Eval {
			mean = l.runMean[c]
			istd = float32(1 / math.Sqrt(float64(l.runVar[c])+spec.BNEps))
		} else {
			// In float64, as PyTorch's CPU kernel accumulates.
			var sum float64
			for _, v := range z {
				sum += float64(v)
			}
			m := sum / float64(n)
			var ss float64
			for _, v := range z {
				d := float64(v) - m
				ss += d * d
			}
			variance := ss / float64(n)
			mean = float32(m)
			istd = float32(1 / math.Sqrt(variance+spec.BNEps))
			if mode == Train {
				const mom = spec.BNMomentum
				unbiased := variance
				if n > 1 {
					unbiased = ss / float64(n-1)
				}
				l.runMean[c] = float32(mom*m + (1-mom)*float64(l.runMean[c]))
				l.runVar[c] = float32(mom*unbiased + (1-mom)*float64(l.runVar[c]))
			}
		}
		p.mean[c], p.istd[c] = mean, istd
		a := float32(istd * l.gamma[c])
		bb := l.beta[c]
		if !engine.HostBNApply(hostAct(act), z, out, mean, a, bb, spec.LeakySlope) {
			bnApply(act, z, out, mean, a, bb)
		}
	}
	if !fused(act) {
		activate(p.out, p.out, act)
	}
	if mode == Train {
		l.batches++
	}
}

// backward takes dout, the gradient of the layer's output, and adds the
// gradients of the parameters to dw, dgamma, dbeta when params is set; when
// input is set it returns the gradient of the input (owned by p). dout is
// not changed.
func (l *layer) backward(p *pass, dout []float32, params, input bool, g *gemmer) []float32 {
	s := l.s
	b := p.batch
	n := b * l.outH * l.outH
	dz := p.dz[:p.nOut]
	if l.gamma != nil && fused(s.Act) {
		l.batchNormBackward(p, dz, dout[:p.nOut], s.Act, n, params)
	} else {
		actBackward(dz, dout[:p.nOut], p.out, s.Act)
		if l.gamma != nil {
			l.batchNormBackward(p, dz, dz, spec.None, n, params)
		}
	}
	if wg, ok := l.winoGeom(b); ok {
		// The forward pass kept the transform of its input; dz gives the other side's.
		if s.Op == spec.Conv {
			wg.transformSmall(dz, &p.wino)
		} else {
			wg.transformBig(dz, &p.wino)
		}
		if params {
			wg.weightGrad(&p.wino, l.dw, g)
		}
		if !input {
			return nil
		}
		if s.Op == spec.Conv {
			wg.lmapT(&p.wino, p.din, g)
		} else {
			wg.lmap(&p.wino, p.din, g)
		}
		return p.din
	}
	geo := l.bigGeom(b)
	r, cols := geo.rows(), geo.cols()
	if s.Op == spec.Conv {
		if params { // dW[oc][q] += Σ_n dz[oc][n] · col[q][n]
			g.mul(rowMajor(dz, n), rowMajor(p.col, cols).t(), l.outC, n, r, l.dw, true)
		}
		if !input {
			return nil
		}
		// dcol[q][n] = Σ_oc W[oc][q] · dz[oc][n], then scattered into din.
		g.mul(rowMajor(l.w, r).t(), rowMajor(dz, n), r, l.outC, n, p.dcol, false)
		col2im(p.dcol, p.din, geo)
		return p.din
	}
	// ConvTranspose2d: the im2col of dz over the large side.
	im2col(dz, p.dcol, geo)
	if params { // dW[ic][r] += Σ_n x[ic][n] · dcol[r][n]
		g.mul(rowMajor(p.in, cols), rowMajor(p.dcol, cols).t(), l.inC, cols, r, l.dw, true)
	}
	if !input {
		return nil
	}
	// din[ic][n] = Σ_r W[ic][r] · dcol[r][n]
	g.mul(rowMajor(l.w, r), rowMajor(p.dcol, cols), l.inC, r, cols, p.din, false)
	return p.din
}

// batchNormBackward writes into dz the gradient of BatchNorm's input (batch
// statistics), dx = γ·istd·(dy − mean(dy) − x̂·mean(dy·x̂)), where dy is the
// gradient of BatchNorm's output: the gradient dout of the layer's output
// through act (fused: LeakyReLU, ReLU or None). dout may be dz.
func (l *layer) batchNormBackward(p *pass, dz, dout []float32, act spec.Act, n int, params bool) {
	for c := 0; c < l.outC; c++ {
		d, z := dz[c*n:(c+1)*n], p.z[c*n:(c+1)*n]
		mean, istd := p.mean[c], p.istd[c]
		// dy through the activation, and its two sums, in one pass.
		g, out := dout[c*n:(c+1)*n], p.out[c*n:(c+1)*n]
		g, out, z = g[:len(d)], out[:len(d)], z[:len(d)]
		var sdy, sdyx float64
		switch act {
		case spec.LeakyReLU:
			for i, y := range out {
				v := leakyReLUGrad(g[i], y)
				d[i] = v
				sdy += float64(v)
				sdyx += float64(v) * float64(float32(z[i]-mean)*istd)
			}
		case spec.ReLU:
			for i, y := range out {
				v := reluGrad(g[i], y)
				d[i] = v
				sdy += float64(v)
				sdyx += float64(v) * float64(float32(z[i]-mean)*istd)
			}
		default:
			for i, v := range g {
				d[i] = v
				sdy += float64(v)
				sdyx += float64(v) * float64(float32(z[i]-mean)*istd)
			}
		}
		if params {
			l.dgamma[c] += float32(sdyx)
			l.dbeta[c] += float32(sdy)
		}
		k := float32(l.gamma[c] * istd)
		my, mx := float32(sdy/float64(n)), float32(sdyx/float64(n))
		if !engine.HostBNBackApply(d, z, mean, istd, k, my, mx) {
			bnBackApply(d, z, mean, istd, k, my, mx)
		}
	}
}

// bnApply is BatchNorm's normalisation of one channel with its fused
// activation (or none): out = act(float32(float32(z − mean)·a) + bb).
// engine.HostBNApply gives the same bits in WebAssembly SIMD.
func bnApply(act spec.Act, z, out []float32, mean, a, bb float32) {
	out = out[:len(z)]
	switch act {
	case spec.LeakyReLU:
		for i, v := range z {
			out[i] = leakyReLU(float32(float32(v-mean)*a) + bb)
		}
	case spec.ReLU:
		for i, v := range z {
			out[i] = relu(float32(float32(v-mean)*a) + bb)
		}
	default:
		for i, v := range z {
			out[i] = float32(float32(v-mean)*a) + bb
		}
	}
}

// bnBackApply is the last pass of batchNormBackward over one channel:
// d = k·(d − my − x̂·mx), x̂ = (z − mean)·istd. engine.HostBNBackApply gives
// the same bits in WebAssembly SIMD.
func bnBackApply(d, z []float32, mean, istd, k, my, mx float32) {
	z = z[:len(d)]
	for i, v := range d {
		xh := float32(float32(z[i]-mean) * istd)
		d[i] = float32(k * (v - my - float32(xh*mx)))
	}
}

// zeroGrad clears the parameter gradients.
func (l *layer) zeroGrad() {
	clear(l.dw)
	clear(l.dgamma)
	clear(l.dbeta)
}
