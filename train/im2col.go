package train

// geom is the geometry of a convolution between a large side (c channels of
// h×h, the input of a Conv2d, the output of a ConvTranspose2d) and a small
// side (oh×oh), for a batch of b images in CNHW layout ([c][b][h][h]).
type geom struct {
	c, h, oh, k, s, p, b int
}

// rows and cols are the shape of the im2col matrix: c·k·k × b·oh·oh.
func (g geom) rows() int { return g.c * g.k * g.k }
func (g geom) cols() int { return g.b * g.oh * g.oh }

// full reports a kernel that covers the whole large side in one position
// (GANomaly's 4×4 → 1×1 convolutions): im2col is a transpose.
func (g geom) full() bool { return g.oh == 1 && g.p == 0 && g.k == g.h }

// span returns the outputs o in [o0, o1) whose input o·s − p + t lies in
// [0, h).
func (g geom) span(t int) (o0, o1 int) {
	o0 = max(0, (g.p-t+g.s-1)/g.s)
	if n := g.h - 1 + g.p - t; n >= 0 {
		o1 = min(g.oh, n/g.s+1)
	}
	return o0, max(o0, o1)
}

// im2col writes col[(c, ky, kx)][(b, oy, ox)] = in[c][b][oy·s−p+ky][ox·s−p+kx]
// (zero outside the image).
func im2col(in, col []float32, g geom) {
	n, plane, oplane := g.cols(), g.h*g.h, g.oh*g.oh
	if g.full() { // col[(c, pos)][b] = in[c][b][pos]: a transpose per channel
		for c := 0; c < g.c; c++ {
			src := in[c*g.b*plane : (c+1)*g.b*plane]
			for pos := 0; pos < plane; pos++ {
				row := col[(c*plane+pos)*n : (c*plane+pos+1)*n]
				for b := range row {
					row[b] = src[b*plane+pos]
				}
			}
		}
		return
	}
	for c := 0; c < g.c; c++ {
		for ky := 0; ky < g.k; ky++ {
			y0, y1 := g.span(ky)
			for kx := 0; kx < g.k; kx++ {
				x0, x1 := g.span(kx)
				row := col[((c*g.k+ky)*g.k+kx)*n : ((c*g.k+ky)*g.k+kx+1)*n]
				for b := 0; b < g.b; b++ {
					src := in[(c*g.b+b)*plane : (c*g.b+b+1)*plane]
					dst := row[b*oplane : (b+1)*oplane]
					for oy := 0; oy < g.oh; oy++ {
						d := dst[oy*g.oh : oy*g.oh+g.oh]
						if oy < y0 || oy >= y1 {
							clear(d)
							continue
						}
						clear(d[:x0])
						clear(d[x1:])
						r := src[(oy*g.s-g.p+ky)*g.h:]
						if g.s == 1 {
							copy(d[x0:x1], r[x0-g.p+kx:])
							continue
						}
						ix := x0*g.s - g.p + kx
						for ox := x0; ox < x1; ox++ {
							d[ox] = r[ix]
							ix += g.s
						}
					}
				}
			}
		}
	}
}

// col2im is im2col's adjoint: out[c][b][iy][ix] = Σ col over every (ky, kx,
// oy, ox) that reads (iy, ix). The sums run in a fixed order.
func col2im(col, out []float32, g geom) {
	clear(out[:g.c*g.b*g.h*g.h])
	n, plane, oplane := g.cols(), g.h*g.h, g.oh*g.oh
	if g.full() { // every input is read once: the transpose back (0 + v, as the sums below)
		for c := 0; c < g.c; c++ {
			dst := out[c*g.b*plane : (c+1)*g.b*plane]
			for pos := 0; pos < plane; pos++ {
				row := col[(c*plane+pos)*n : (c*plane+pos+1)*n]
				for b, v := range row {
					dst[b*plane+pos] += v
				}
			}
		}
		return
	}
	for c := 0; c < g.c; c++ {
		for ky := 0; ky < g.k; ky++ {
			y0, y1 := g.span(ky)
			for kx := 0; kx < g.k; kx++ {
				x0, x1 := g.span(kx)
				row := col[((c*g.k+ky)*g.k+kx)*n : ((c*g.k+ky)*g.k+kx+1)*n]
				for b := 0; b < g.b; b++ {
					dst := out[(c*g.b+b)*plane : (c*g.b+b+1)*plane]
					src := row[b*oplane : (b+1)*oplane]
					for oy := y0; oy < y1; oy++ {
						s := src[oy*g.oh : oy*g.oh+g.oh]
						r := dst[(oy*g.s-g.p+ky)*g.h:]
						ix := x0*g.s - g.p + kx
						for ox := x0; ox < x1; ox++ {
							r[ix] += s[ox]
							ix += g.s
						}
					}
				}
			}
		}
	}
}
