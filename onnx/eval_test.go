package onnx

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/x448/float16"
	"google.golang.org/protobuf/proto"

	"github.com/ganomaly-go/ganomaly/engine"
	"github.com/ganomaly-go/ganomaly/modelfile"
	"github.com/ganomaly-go/ganomaly/onnx/onnxpb"
)

// A naive interpreter for the operators the graph uses, written from the
// ONNX operator definitions, so that `go test` checks the graph's numbers
// against the engine without Python (tests/python/test_onnx.py does the same
// with onnxruntime).

type tensor struct {
	shape []int
	v     []float32 // int8 values are held as float32 too
}

func numel(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}

func fromProto(t *onnxpb.TensorProto) tensor {
	shape := make([]int, len(t.GetDims()))
	for i, d := range t.GetDims() {
		shape[i] = int(d)
	}
	n, raw := numel(shape), t.GetRawData()
	v := make([]float32, n)
	for i := range v {
		switch onnxpb.TensorProto_DataType(t.GetDataType()) {
		case onnxpb.TensorProto_FLOAT:
			v[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
		case onnxpb.TensorProto_FLOAT16:
			v[i] = float16.Frombits(binary.LittleEndian.Uint16(raw[2*i:])).Float32()
		case onnxpb.TensorProto_INT8:
			v[i] = float32(int8(raw[i]))
		}
	}
	return tensor{shape, v}
}

func attrs(n *onnxpb.NodeProto) map[string]*onnxpb.AttributeProto {
	m := map[string]*onnxpb.AttributeProto{}
	for _, a := range n.GetAttribute() {
		m[a.GetName()] = a
	}
	return m
}

// broadcast applies f elementwise with numpy broadcasting of b against a
// (b's shape is a's with some dimensions 1, or a scalar).
func broadcast(a, b tensor, f func(x, y float32) float32) tensor {
	out := tensor{a.shape, make([]float32, len(a.v))}
	bs := b.shape
	for len(bs) < len(a.shape) {
		bs = append([]int{1}, bs...)
	}
	for i := range a.v {
		j, rem, stride := 0, i, 1
		for d := len(a.shape) - 1; d >= 0; d-- {
			idx := rem % a.shape[d]
			rem /= a.shape[d]
			if bs[d] != 1 {
				j += idx * stride
			}
			stride *= bs[d]
		}
		out.v[i] = f(a.v[i], b.v[j])
	}
	return out
}

func conv(x, w, b tensor, k, s, p int, transpose bool) tensor {
	n, ic, ih := x.shape[0], x.shape[1], x.shape[2]
	var oc, oh int
	if transpose {
		oc, oh = w.shape[1], (ih-1)*s-2*p+k
	} else {
		oc, oh = w.shape[0], (ih+2*p-k)/s+1
	}
	out := tensor{[]int{n, oc, oh, oh}, make([]float32, n*oc*oh*oh)}
	for b0 := 0; b0 < n; b0++ {
		for o := 0; o < oc; o++ {
			for y := 0; y < oh; y++ {
				for xx := 0; xx < oh; xx++ {
					var sum float64
					for i := 0; i < ic; i++ {
						for ky := 0; ky < k; ky++ {
							for kx := 0; kx < k; kx++ {
								var iy, ix int
								if transpose { // out[y] gets in[iy] where y = iy·s − p + ky
									if (y+p-ky)%s != 0 || (xx+p-kx)%s != 0 {
										continue
									}
									iy, ix = (y+p-ky)/s, (xx+p-kx)/s
								} else {
									iy, ix = y*s-p+ky, xx*s-p+kx
								}
								if iy < 0 || ix < 0 || iy >= ih || ix >= ih {
									continue
								}
								var wv float32
								if transpose {
									wv = w.v[((i*oc+o)*k+ky)*k+kx]
								} else {
									wv = w.v[((o*ic+i)*k+ky)*k+kx]
								}
								sum += float64(wv) * float64(x.v[((b0*ic+i)*ih+iy)*ih+ix])
							}
						}
					}
					out.v[((b0*oc+o)*oh+y)*oh+xx] = float32(sum) + b.v[o]
				}
			}
		}
	}
	return out
}

func run(t *testing.T, m *onnxpb.ModelProto, x tensor) map[string]tensor {
	t.Helper()
	env := map[string]tensor{InputX: x}
	for _, init := range m.GetGraph().GetInitializer() {
		env[init.GetName()] = fromProto(init)
	}
	get := func(n *onnxpb.NodeProto, i int) tensor {
		v, ok := env[n.GetInput()[i]]
		if !ok {
			t.Fatalf("%s: input %s undefined", n.GetName(), n.GetInput()[i])
		}
		return v
	}
	unary := func(a tensor, f func(float32) float32) tensor {
		out := tensor{a.shape, make([]float32, len(a.v))}
		for i, v := range a.v {
			out.v[i] = f(v)
		}
		return out
	}
	for _, n := range m.GetGraph().GetNode() {
		at := attrs(n)
		var out tensor
		switch n.GetOpType() {
		case "Conv", "ConvTranspose":
			k, s, p := int(at["kernel_shape"].GetInts()[0]), int(at["strides"].GetInts()[0]), int(at["pads"].GetInts()[0])
			out = conv(get(n, 0), get(n, 1), get(n, 2), k, s, p, n.GetOpType() == "ConvTranspose")
		case "LeakyRelu":
			alpha := at["alpha"].GetF()
			out = unary(get(n, 0), func(v float32) float32 { return max(v, alpha*v) })
		case "Relu":
			out = unary(get(n, 0), func(v float32) float32 { return max(v, 0) })
		case "Tanh":
			out = unary(get(n, 0), func(v float32) float32 { return float32(math.Tanh(float64(v))) })
		case "Abs":
			out = unary(get(n, 0), func(v float32) float32 { return float32(math.Abs(float64(v))) })
		case "Identity", "Cast":
			out = get(n, 0)
		case "Sub":
			out = broadcast(get(n, 0), get(n, 1), func(a, b float32) float32 { return a - b })
		case "Mul":
			out = broadcast(get(n, 0), get(n, 1), func(a, b float32) float32 { return a * b })
		case "Div":
			out = broadcast(get(n, 0), get(n, 1), func(a, b float32) float32 { return a / b })
		case "DequantizeLinear":
			q, sc := get(n, 0), get(n, 1)
			if len(sc.v) > 1 { // per axis: reshape the 1-D scale to broadcast along axis
				shape := make([]int, len(q.shape))
				for i := range shape {
					shape[i] = 1
				}
				shape[at["axis"].GetI()] = len(sc.v)
				sc.shape = shape
			}
			out = broadcast(q, sc, func(a, b float32) float32 { return a * b })
		case "Flatten":
			a := get(n, 0)
			out = tensor{[]int{a.shape[0], len(a.v) / a.shape[0]}, a.v}
		case "ReduceMean": // axes [1], keepdims 0
			a := get(n, 0)
			inner := len(a.v) / a.shape[0] / a.shape[1]
			out = tensor{append([]int{a.shape[0]}, a.shape[2:]...), make([]float32, a.shape[0]*inner)}
			for b := 0; b < a.shape[0]; b++ {
				for j := 0; j < inner; j++ {
					var s float32
					for c := 0; c < a.shape[1]; c++ {
						s += a.v[(b*a.shape[1]+c)*inner+j]
					}
					out.v[b*inner+j] = s / float32(a.shape[1])
				}
			}
		default:
			t.Fatalf("the interpreter has no %s", n.GetOpType())
		}
		env[n.GetOutput()[0]] = out
	}
	res := map[string]tensor{}
	for _, o := range m.GetGraph().GetOutput() {
		res[o.GetName()] = env[o.GetName()]
	}
	return res
}

// TestGraphComputesTheEngine runs the graph on a batch of random inputs and
// compares every output with the engine's, for each storage type and with
// the normalisation inside the graph.
func TestGraphComputesTheEngine(t *testing.T) {
	const (
		batch = 2
		// float64 sums here, float32 in the engine's kernels (Winograd
		// for the stride-2 layers): the measured differences are ~1e-6.
		tol = 1e-4
	)
	for _, tc := range []struct {
		dtype  modelfile.DType
		pixels bool
	}{{modelfile.F32, false}, {modelfile.F16, false}, {modelfile.I8, false}, {modelfile.I8, true}} {
		t.Run(fmt.Sprintf("%s pixels=%v", tc.dtype, tc.pixels), func(t *testing.T) {
			f := model(t, small, tc.dtype)
			f.Meta.Norm = modelfile.Norm{Mean: []float64{0.4, 0.5, 0.6}, Std: []float64{0.2, 0.25, 0.3}}
			b, err := Marshal(f, Options{Pixels: tc.pixels})
			if err != nil {
				t.Fatal(err)
			}
			var m onnxpb.ModelProto
			if err := proto.Unmarshal(b, &m); err != nil {
				t.Fatal(err)
			}
			eng, err := engine.Load(f)
			if err != nil {
				t.Fatal(err)
			}
			a := small
			per := a.NC * a.ISize * a.ISize
			rng := rand.New(rand.NewPCG(1, 2))
			pixels := make([]float32, batch*per)
			x := make([]float32, batch*per)
			for i := range pixels {
				pixels[i] = rng.Float32()
				c := i / (a.ISize * a.ISize) % a.NC
				x[i] = (pixels[i] - float32(f.Meta.Norm.Mean[c])) / float32(f.Meta.Norm.Std[c])
			}
			in := x
			if tc.pixels {
				in = pixels
			}
			got := run(t, &m, tensor{[]int{batch, a.NC, a.ISize, a.ISize}, in})
			for i := 0; i < batch; i++ {
				r, err := eng.Forward(x[i*per : (i+1)*per])
				if err != nil {
					t.Fatal(err)
				}
				if rel := math.Abs(float64(got[OutputScore].v[i])-r.Score) / r.Score; rel > tol {
					t.Errorf("image %d: score %v, engine %v (relative %.2g)", i, got[OutputScore].v[i], r.Score, rel)
				}
				for _, o := range []struct {
					name string
					want []float32
				}{{OutputXHat, r.XHat}, {OutputLatentI, r.LatentI}, {OutputLatentO, r.LatentO}, {OutputDiff, r.Diff}} {
					g := got[o.name]
					n := len(g.v) / batch
					var worst float64
					for j, w := range o.want {
						worst = max(worst, math.Abs(float64(g.v[i*n+j]-w)))
					}
					if n != len(o.want) || worst > tol {
						t.Errorf("image %d: %s: %d values, max |diff| %.2g against the engine", i, o.name, n, worst)
					}
				}
			}
		})
	}
}
