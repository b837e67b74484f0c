// Package trainjob is one training run of the page's Train view, in pure Go:
// the data (the bundled MNIST subset or a person's own images, preprocessed
// by package preprocess exactly as the rest of the page), the one-class
// split, the trainer of package train driven one batch at a time, the
// evaluations the view draws (eval-mode AUROC, score histograms, a strip of
// reconstructions) and the model file it exports (BatchNorm folded,
// calibrated on held-out normals, F32 or I8).
//
// wasm/trainworker runs a Job inside a Web Worker; natively it is tested and
// benchmarked as it is.
package trainjob

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ganomaly-go/ganomaly/app/trainspec"

	"github.com/ganomaly-go/ganomaly/engine"
	"github.com/ganomaly-go/ganomaly/metrics"
	"github.com/ganomaly-go/ganomaly/modelfile"
	"github.com/ganomaly-go/ganomaly/preprocess"
	"github.com/ganomaly-go/ganomaly/train"
)

// Example is one preprocessed image.
type Example struct {
	Name      string
	X         []float32 // CHW, normalised
	Anomalous bool
}

// Data is the one-class split of a run.
type Data struct {
	Train []Example // normals
	Val   []Example // held-out normals: the threshold
	Test  []Example // held-out normals and anomalies (none for a folder without labels)
	// Skipped lists the files that were not used, with why.
	Skipped []string
	Dataset modelfile.Dataset
}

// Counts are the split's sizes.
func (d *Data) Counts() (train, val, normals, anomalies int) {
	for _, e := range d.Test {
		if e.Anomalous {
			anomalies++
		} else {
			normals++
		}
	}
	return len(d.Train), len(d.Val), normals, anomalies
}

// Settings are the run's settings (package trainspec, shared with the page).
type Settings = trainspec.Settings

// DefaultSettings is the class demo (trainspec.DefaultSettings).
func DefaultSettings() Settings { return trainspec.DefaultSettings() }

// MinHeldOut is the least number of held-out normals that set a threshold.
const MinHeldOut = trainspec.MinHeldOut

func norm(st Settings) modelfile.Norm { return modelfile.DefaultNorm(st.NC) }

// MNISTData splits the bundled subset: the digits of st.Normal are normal,
// pooled, shuffled with st.Seed and cut 80/20 into training and test
// normals (10 % of the training part held out for the threshold), every
// other digit is a test anomaly. Each digit goes through preprocess exactly
// as a 28×28 PNG of it would in the single-image view.
func MNISTData(sub *Subset, st Settings) (*Data, error) {
	if st.NC != 1 {
		return nil, errors.New("MNIST is grey: set channels to 1")
	}
	isNormal := [10]bool{}
	for _, d := range st.Normal {
		if d < 0 || d > 9 {
			return nil, fmt.Errorf("digit %d: normal digits are 0-9", d)
		}
		isNormal[d] = true
	}
	var normalNames, abnormalNames []string
	for d := 0; d <= 9; d++ {
		if isNormal[d] {
			normalNames = append(normalNames, strconv.Itoa(d))
		} else {
			abnormalNames = append(abnormalNames, strconv.Itoa(d))
		}
	}
	if len(normalNames) == 0 {
		return nil, errors.New("tick at least one digit as normal")
	}
	if len(abnormalNames) == 0 {
		return nil, errors.New("leave at least one digit unticked: the unticked digits are the anomalies the model is tested on")
	}
	var normals, anomalies []Example
	nm := norm(st)
	for i, pix := range sub.Images {
		img := &image.Gray{Pix: pix, Stride: mnistSide, Rect: image.Rect(0, 0, mnistSide, mnistSide)}
		x, err := preprocess.ToTensor(img, st.ISize, st.NC, nm)
		if err != nil {
			return nil, err
		}
		l := sub.Labels[i]
		e := Example{Name: fmt.Sprintf("mnist/%d/%d", l, i), X: x, Anomalous: !isNormal[l]}
		if e.Anomalous {
			anomalies = append(anomalies, e)
		} else {
			normals = append(normals, e)
		}
	}
	rng := rand.New(rand.NewPCG(uint64(st.Seed), 0x6a09e667))
	rng.Shuffle(len(normals), func(i, j int) { normals[i], normals[j] = normals[j], normals[i] })
	cut := len(normals) * 8 / 10
	trainN, testN := normals[:cut], normals[cut:]
	nVal := len(trainN) / 10
	d := &Data{Val: trainN[len(trainN)-nVal:], Train: trainN[:len(trainN)-nVal]}
	if st.Images > 0 && len(d.Train) > st.Images {
		d.Train = d.Train[:st.Images]
	}
	d.Test = append(append(d.Test, testN...), anomalies...)
	d.Dataset = modelfile.Dataset{Name: "mnist", NormalClasses: normalNames, AbnormalClasses: abnormalNames,
		Description: fmt.Sprintf("bundled MNIST subset, digit %s abnormal, seed %d, trained in the browser", strings.Join(abnormalNames, ", "), st.Seed)}
	return d, checkSizes(d, st)
}

// File is one dropped or picked image with its path inside the folder.
type File struct {
	Name  string
	Bytes []byte
}

// FolderData splits a person's images: those below 0.normal/ or 1.abnormal/
// (preprocess.LabelOf) are the labelled test set, every other image is a
// normal training image; 10 % of those (at least MinHeldOut) are held out
// for the threshold and, without a labelled test set, for the normal score
// histogram. Files that are not images (preprocess.Classify) or do not
// decode are listed in Skipped.
func FolderData(files []File, st Settings, dataset string) (*Data, error) {
	nm := norm(st)
	d := &Data{}
	var normals []Example
	for _, f := range files {
		ok, why := preprocess.Classify(f.Name, func() ([]byte, error) { return f.Bytes[:min(len(f.Bytes), preprocess.SniffLen)], nil })
		if !ok {
			d.Skipped = append(d.Skipped, f.Name+": "+why)
			continue
		}
		img, err := preprocess.DecodeBytes(f.Bytes)
		if err != nil {
			d.Skipped = append(d.Skipped, f.Name+": "+strings.TrimPrefix(err.Error(), "preprocess: "))
			continue
		}
		x, err := preprocess.ToTensor(img, st.ISize, st.NC, nm)
		if err != nil {
			d.Skipped = append(d.Skipped, f.Name+": "+strings.TrimPrefix(err.Error(), "preprocess: "))
			continue
		}
		e := Example{Name: f.Name, X: x}
		switch preprocess.LabelOf(f.Name) {
		case preprocess.Normal:
			d.Test = append(d.Test, e)
		case preprocess.Anomalous:
			e.Anomalous = true
			d.Test = append(d.Test, e)
		default:
			normals = append(normals, e)
		}
	}
	rng := rand.New(rand.NewPCG(uint64(st.Seed), 0x6a09e667))
	rng.Shuffle(len(normals), func(i, j int) { normals[i], normals[j] = normals[j], normals[i] })
	if err := trainspec.CheckNormals(len(normals), st); err != nil {
		return nil, fmt.Errorf("%w%s", err, skippedNote(d.Skipped))
	}
	nVal := trainspec.HeldOut(len(normals))
	d.Val, d.Train = normals[:nVal], normals[nVal:]
	if st.Images > 0 && len(d.Train) > st.Images {
		d.Train = d.Train[:st.Images]
	}
	if dataset == "" {
		dataset = "folder"
	}
	d.Dataset = modelfile.Dataset{Name: dataset, Description: "your images, trained in the browser"}
	return d, checkSizes(d, st)
}

func skippedNote(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return fmt.Sprintf(" (%d files were skipped as not images)", len(s))
}

func checkSizes(d *Data, st Settings) error {
	if len(d.Train) < st.Batch {
		return fmt.Errorf("%d training images: at least one batch (%d) is needed; add images or lower the batch size", len(d.Train), st.Batch)
	}
	if len(d.Val) < MinHeldOut {
		return fmt.Errorf("%d held-out normal images: at least %d are needed to set a threshold; add images", len(d.Val), MinHeldOut)
	}
	return nil
}

// Job is one run: the trainer, the data and where it is in its epochs.
type Job struct {
	st      Settings
	data    *Data
	tr      *train.Trainer
	rng     *rand.Rand
	order   []int
	pos     int // next index into order
	epoch   int // completed epochs
	steps   int
	batch   []float32
	strip   []int // test indices of the reconstruction strip
	started time.Time
	// StepTime accumulates the time spent in Step.
	StepTime time.Duration
	images   int
}

// New starts a run on data with st.
func New(st Settings, data *Data) (*Job, error) {
	if err := st.Validate(); err != nil {
		return nil, err
	}
	if err := checkSizes(data, st); err != nil {
		return nil, err
	}
	opt := train.DefaultOptions(st.Arch())
	opt.Seed = st.Seed
	tr, err := train.New(opt)
	if err != nil {
		return nil, err
	}
	j := &Job{st: st, data: data, tr: tr, rng: rand.New(rand.NewPCG(uint64(st.Seed), 3)),
		batch: make([]float32, st.Batch*tr.InputLen()), started: time.Now()}
	j.shuffle()
	// The strip: up to four held-out normals and four anomalies (or eight
	// held-out normals), always the same images.
	var nn, na int
	for i, e := range data.Test {
		if e.Anomalous && na < 4 {
			j.strip, na = append(j.strip, i), na+1
		} else if !e.Anomalous && nn < 4 {
			j.strip, nn = append(j.strip, i), nn+1
		}
	}
	return j, nil
}

func (j *Job) shuffle() {
	j.order = j.rng.Perm(len(j.data.Train))
	j.pos = 0
}

// Settings returns the run's settings.
func (j *Job) Settings() Settings { return j.st }

// Data returns the run's split.
func (j *Job) Data() *Data { return j.data }

// StepsPerEpoch is the number of full batches in an epoch (a final partial
// batch is dropped, as the original's training loader does).
func (j *Job) StepsPerEpoch() int { return len(j.data.Train) / j.st.Batch }

// Epoch is the number of completed epochs; Steps the steps taken.
func (j *Job) Epoch() int { return j.epoch }

// Steps is the number of training steps taken.
func (j *Job) Steps() int { return j.steps }

// Images is the number of training images seen.
func (j *Job) Images() int { return j.images }

// Done reports that every epoch has run.
func (j *Job) Done() bool { return j.epoch >= j.st.Epochs }

// EvalDue reports whether an evaluation is due after the last step.
func (j *Job) EvalDue() bool {
	spe := j.StepsPerEpoch()
	in := j.steps - j.epoch*spe // steps into the current epoch (0 right after an epoch ends)
	if in == 0 {
		return j.steps > 0
	}
	if j.st.EvalsPerEpoch <= 1 {
		return false
	}
	every := max(1, spe/j.st.EvalsPerEpoch)
	return in%every == 0 && in+every/2 < spe
}

// Step trains on the next batch. A diverged step (losses not finite)
// changes nothing and returns an error wrapping train.ErrDiverged.
func (j *Job) Step() (train.Losses, error) {
	if j.Done() {
		return train.Losses{}, errors.New("the run is finished")
	}
	n := j.tr.InputLen()
	for i := 0; i < j.st.Batch; i++ {
		copy(j.batch[i*n:(i+1)*n], j.data.Train[j.order[j.pos+i]].X)
	}
	t0 := time.Now()
	ls, err := j.tr.Step(j.batch)
	j.StepTime += time.Since(t0)
	if err != nil {
		return ls, err
	}
	j.steps++
	j.images += j.st.Batch
	j.pos += j.st.Batch
	if j.pos+j.st.Batch > len(j.order) {
		j.epoch++
		j.shuffle()
	}
	return ls, nil
}

// Eval is one evaluation of the eval-mode model (what the single-image view
// scores with).
type Eval struct {
	Steps, Epoch int
	// AUROC on the test set; NaN without anomalies.
	AUROC float64
	// Histograms of held-out normal and anomalous test scores on shared
	// bins (Val normals when the test set has no normals).
	Edges              []float64
	Normals, Anomalies []int
	// Threshold at 5 % false positives on the held-out validation normals.
	Threshold float64
	// The strip's inputs and reconstructions (CHW, normalised).
	StripX, StripXHat [][]float32
	StripAnomalous    []bool
	StripScores       []float64
}

// ThresholdFPR is the false-positive rate on held-out normals at which the
// exported threshold is set (the exporter's default).
const ThresholdFPR = 0.05

// HistBins is the number of bins of the score histograms.
const HistBins = 30

func (j *Job) recompute() error {
	if j.st.RecomputeBN <= 0 {
		return nil
	}
	n := j.tr.InputLen()
	bs := j.st.Batch
	var batches [][]float32
	for k := 0; k < j.st.RecomputeBN && (k+1)*bs <= len(j.data.Train); k++ {
		x := make([]float32, bs*n)
		for i := 0; i < bs; i++ {
			copy(x[i*n:(i+1)*n], j.data.Train[k*bs+i].X)
		}
		batches = append(batches, x)
	}
	return j.tr.RecomputeStats(batches)
}

// Model returns the current eval-mode model.
func (j *Job) Model() (*engine.Model, error) {
	if err := j.recompute(); err != nil {
		return nil, err
	}
	return j.tr.Model()
}

func scoresOf(m *engine.Model, ex []Example) ([]float64, error) {
	s := make([]float64, len(ex))
	for i, e := range ex {
		r, err := m.Forward(e.X)
		if err != nil {
			return nil, err
		}
		s[i] = r.Score
	}
	return s, nil
}

// Evaluate scores the validation and test sets with the eval-mode model.
func (j *Job) Evaluate() (*Eval, error) {
	m, err := j.Model()
	if err != nil {
		return nil, err
	}
	ev := &Eval{Steps: j.steps, Epoch: j.epoch, AUROC: math.NaN(), Threshold: math.NaN()}
	val, err := scoresOf(m, j.data.Val)
	if err != nil {
		return nil, err
	}
	test, err := scoresOf(m, j.data.Test)
	if err != nil {
		return nil, err
	}
	if c := metrics.Calibrate(val, ThresholdFPR); c != nil {
		ev.Threshold = c.Threshold
	}
	var normal, anomal []float64
	labels := make([]bool, len(test))
	for i, e := range j.data.Test {
		labels[i] = e.Anomalous
		if e.Anomalous {
			anomal = append(anomal, test[i])
		} else {
			normal = append(normal, test[i])
		}
	}
	if len(normal) == 0 {
		normal = val
	}
	if len(anomal) > 0 {
		ev.AUROC = metrics.AUROC(test, labels)
	}
	ev.Edges, ev.Normals, ev.Anomalies = histograms(normal, anomal, HistBins)
	return ev, j.stripOf(m, ev)
}

// Strip is an evaluation of the reconstruction strip only, cheap enough to
// run every few steps: it uses the running statistics as they are (the last
// recomputation's, moved on by the steps since).
func (j *Job) Strip() (*Eval, error) {
	m, err := j.tr.Model()
	if err != nil {
		return nil, err
	}
	ev := &Eval{Steps: j.steps, Epoch: j.epoch, AUROC: math.NaN(), Threshold: math.NaN()}
	return ev, j.stripOf(m, ev)
}

func (j *Job) stripOf(m *engine.Model, ev *Eval) error {
	for _, i := range j.strip {
		r, err := m.Forward(j.data.Test[i].X)
		if err != nil {
			return err
		}
		ev.StripX = append(ev.StripX, j.data.Test[i].X)
		ev.StripXHat = append(ev.StripXHat, slices.Clone(r.XHat))
		ev.StripAnomalous = append(ev.StripAnomalous, j.data.Test[i].Anomalous)
		ev.StripScores = append(ev.StripScores, r.Score)
	}
	return nil
}

// histograms bins a and b on shared edges from the smallest to the 99th
// percentile of both (a long tail of anomalies would squash the rest).
func histograms(a, b []float64, bins int) ([]float64, []int, []int) {
	all := append(append([]float64(nil), a...), b...)
	finite := all[:0]
	for _, v := range all {
		if !math.IsNaN(v) && !math.IsInf(v, 0) {
			finite = append(finite, v)
		}
	}
	if len(finite) == 0 {
		return nil, nil, nil
	}
	lo := slices.Min(finite)
	hi := metrics.Quantile(finite, 0.99)
	if !(hi > lo) {
		hi = lo + 1e-9
	}
	edges := make([]float64, bins+1)
	for i := range edges {
		edges[i] = lo + (hi-lo)*float64(i)/float64(bins)
	}
	count := func(vs []float64) []int {
		c := make([]int, bins)
		for _, v := range vs {
			if math.IsNaN(v) {
				continue
			}
			k := int((v - lo) / (hi - lo) * float64(bins))
			c[min(max(k, 0), bins-1)]++
		}
		return c
	}
	return edges, count(a), count(b)
}

// Export writes the current generator as a model file of dtype ("f32" or
// "i8"): BatchNorm folded (after recomputing the statistics when the
// settings ask for it), the threshold calibrated at 5 % false positives on
// the held-out normals scored by the exported weights themselves, and the
// test AUROC when the test set has anomalies. ganomaly score reads it and
// scores exactly as the page does.
func (j *Job) Export(dtype string) ([]byte, error) {
	if err := j.recompute(); err != nil {
		return nil, err
	}
	meta := modelfile.Metadata{
		Dataset: &j.data.Dataset,
		Training: &modelfile.Training{Epochs: j.st.Epochs, Epoch: j.epoch, Seed: j.st.Seed, Selected: "last",
			Device: "browser (pure-Go trainer, WebAssembly)", Date: time.Now().UTC().Format(time.RFC3339),
			Command: fmt.Sprintf("Train view: ngf %d, isize %d, nz %d, batch %d, %d steps", j.st.NGF, j.st.ISize, j.st.NZ, j.st.Batch, j.steps)},
	}
	ckpt := j.tr.GeneratorFile(meta)
	folded, err := engine.Fold(ckpt)
	if err != nil {
		return nil, err
	}
	out, err := engine.Convert(folded, dtype)
	if err != nil {
		return nil, err
	}
	m, err := engine.Load(out)
	if err != nil {
		return nil, err
	}
	val, err := scoresOf(m, j.data.Val)
	if err != nil {
		return nil, err
	}
	cal := metrics.Calibrate(val, ThresholdFPR)
	if cal == nil {
		return nil, errors.New("no finite score on the held-out normals: the model cannot be calibrated")
	}
	test, err := scoresOf(m, j.data.Test)
	if err != nil {
		return nil, err
	}
	labels := make([]bool, len(test))
	for i, e := range j.data.Test {
		labels[i] = e.Anomalous
	}
	cal.Test = metrics.Evaluate(test, labels, cal.Threshold) // nil without both classes
	out.Meta.Calibration = cal
	var buf bytes.Buffer
	if err := out.Encode(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Wire is the evaluation as the worker sends it to the page.
func (e *Eval) Wire(stripOnly bool) trainspec.Eval {
	w := trainspec.Eval{Steps: e.Steps, Epoch: e.Epoch, Edges: e.Edges, Normals: e.Normals, Anomalies: e.Anomalies,
		StripX: e.StripX, StripXHat: e.StripXHat, StripAnomalous: e.StripAnomalous, StripScores: e.StripScores, StripOnly: stripOnly}
	if !math.IsNaN(e.AUROC) {
		a := e.AUROC
		w.AUROC = &a
	}
	if !math.IsNaN(e.Threshold) && !math.IsInf(e.Threshold, 0) {
		t := e.Threshold
		w.Threshold = &t
	}
	return w
}
