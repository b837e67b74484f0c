package engine

import (
	"math"

	"github.com/ganomaly-go/ganomaly/modelfile"
	"github.com/ganomaly-go/ganomaly/spec"
)

// This file holds deliberately simple reference implementations, written only
// for the tests: direct convolutions straight from the definitions, BatchNorm
// applied unfolded, and a whole generator built from them.

// naiveConv2d: out[o][y][x] = Σ_{i,ky,kx} w[o][i][ky][kx]·in[i][y·s−p+ky][x·s−p+kx].
func naiveConv2d(in []float32, inC, H int, w []float32, outC, k, s, p int) ([]float32, int) {
	OH := (H+2*p-k)/s + 1
	out := make([]float32, outC*OH*OH)
	for o := 0; o < outC; o++ {
		for y := 0; y < OH; y++ {
			for x := 0; x < OH; x++ {
				var sum float64
				for i := 0; i < inC; i++ {
					for ky := 0; ky < k; ky++ {
						for kx := 0; kx < k; kx++ {
							iy, ix := y*s-p+ky, x*s-p+kx
							if iy < 0 || iy >= H || ix < 0 || ix >= H {
								continue
							}
							sum += float64(w[((o*inC+i)*k+ky)*k+kx]) * float64(in[(i*H+iy)*H+ix])
						}
					}
				}
				out[(o*OH+y)*OH+x] = float32(sum)
			}
		}
	}
	return out, OH
}

// naiveConvT2d scatters every input pixel: out[o][y·s−p+ky][x·s−p+kx] +=
// in[i][y][x]·w[i][o][ky][kx].
func naiveConvT2d(in []float32, inC, H int, w []float32, outC, k, s, p int) ([]float32, int) {
	OH := (H-1)*s - 2*p + k
	acc := make([]float64, outC*OH*OH)
	for i := 0; i < inC; i++ {
		for y := 0; y < H; y++ {
			for x := 0; x < H; x++ {
				v := float64(in[(i*H+y)*H+x])
				for o := 0; o < outC; o++ {
					for ky := 0; ky < k; ky++ {
						for kx := 0; kx < k; kx++ {
							oy, ox := y*s-p+ky, x*s-p+kx
							if oy < 0 || oy >= OH || ox < 0 || ox >= OH {
								continue
							}
							acc[(o*OH+oy)*OH+ox] += v * float64(w[((i*outC+o)*k+ky)*k+kx])
						}
					}
				}
			}
		}
	}
	out := make([]float32, len(acc))
	for i, v := range acc {
		out[i] = float32(v)
	}
	return out, OH
}

func naiveBatchNorm(x []float32, C int, gamma, beta, mean, variance []float32) {
	hw := len(x) / C
	for c := 0; c < C; c++ {
		k := float64(gamma[c]) / math.Sqrt(float64(variance[c])+1e-5)
		for i := c * hw; i < (c+1)*hw; i++ {
			x[i] = float32((float64(x[i])-float64(mean[c]))*k + float64(beta[c]))
		}
	}
}

func naiveAct(x []float32, a spec.Act) {
	for i, v := range x {
		switch a {
		case spec.LeakyReLU:
			if v < 0 {
				x[i] = 0.2 * v
			}
		case spec.ReLU:
			if v < 0 {
				x[i] = 0
			}
		case spec.Tanh:
			x[i] = float32(math.Tanh(float64(v)))
		}
	}
}

// naiveLayer runs one layer from a checkpoint: convolution, then the
// unfolded BatchNorm (if any), then the activation.
func naiveLayer(f *modelfile.File, s spec.LayerSpec, in []float32) []float32 {
	w, _, err := f.Float32s(s.Key() + ".weight")
	if err != nil {
		panic(err)
	}
	var out []float32
	if s.Op == spec.Conv {
		out, _ = naiveConv2d(in, s.InC, s.InH, w, s.OutC, s.K, s.S, s.P)
	} else {
		out, _ = naiveConvT2d(in, s.InC, s.InH, w, s.OutC, s.K, s.S, s.P)
	}
	if f.Tensor(s.Key()+".bias") != nil {
		b, _, _ := f.Float32s(s.Key() + ".bias")
		hw := len(out) / s.OutC
		for i := range out {
			out[i] += b[i/hw]
		}
	}
	if s.BatchNorm != "" && f.Tensor(s.BNKey()+".weight") != nil {
		get := func(n string) []float32 { v, _, _ := f.Float32s(s.BNKey() + "." + n); return v }
		naiveBatchNorm(out, s.OutC, get("weight"), get("bias"), get("running_mean"), get("running_var"))
	}
	naiveAct(out, s.Act)
	return out
}

type naiveResult struct {
	xhat, latentI, latentO []float32
	score                  float64
}

func naiveForward(f *modelfile.File, x []float32) naiveResult {
	run := func(specs []spec.LayerSpec, in []float32) []float32 {
		for _, s := range specs {
			in = naiveLayer(f, s, in)
		}
		return in
	}
	a := f.Meta.Arch
	li := run(spec.Encoder("encoder1", a), x)
	xh := run(spec.Decoder(a), li)
	lo := run(spec.Encoder("encoder2", a), xh)
	var sum float64
	for i := range li {
		d := float64(li[i]) - float64(lo[i])
		sum += d * d
	}
	return naiveResult{xh, li, lo, sum / float64(len(li))}
}
