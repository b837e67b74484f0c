package run

import (
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/ganomaly-go/ganomaly/modelfile"
)

// generatorMeta is the metadata of a generator checkpoint of this run.
func (r *Runner) generatorMeta(epoch int, selected string, cal *modelfile.Calibration) modelfile.Metadata {
	ds := r.datasetMeta()
	return modelfile.Metadata{Kind: modelfile.KindCheckpoint, Arch: r.cfg.Arch(), Norm: r.norm, Calibration: cal, Dataset: &ds,
		Training: &modelfile.Training{Epochs: r.cfg.NIter, Epoch: epoch, Seed: r.state.Seed, Command: r.cfg.Command,
			Device: deviceName(r.device), Selected: selected, Date: time.Now().UTC().Format(time.RFC3339)}}
}

// checkpoint writes, each atomically: the generator of this epoch, the
// validation-selected generator when this epoch is the best so far, the
// training state and metrics.json. The state file goes last but one: a kill
// at any moment leaves a consistent state of the previous or this epoch.
func (r *Runner) checkpoint(rec EpochRecord, cal *modelfile.Calibration) error {
	g, err := r.model.GeneratorFile(r.generatorMeta(rec.Epoch, "last", cal))
	if err != nil {
		return err
	}
	if err := g.Save(runPath(&r.cfg, FileGLast)); err != nil {
		return fmt.Errorf("saving %s: %w", FileGLast, err)
	}
	if rec.ValLoss < r.state.BestVal {
		r.state.BestVal = rec.ValLoss
		g.Meta.Training.Selected = "validation"
		if err := g.Save(runPath(&r.cfg, FileGVal)); err != nil {
			return fmt.Errorf("saving %s: %w", FileGVal, err)
		}
	}
	tensors, err := r.model.StateTensors()
	if err != nil {
		return err
	}
	r.state.EpochsDone = rec.Epoch
	r.state.StepG, r.state.StepD = r.model.OptG.Step, r.model.OptD.Step
	r.state.DReinits = r.model.DReinits
	r.state.Epochs = r.mf.Epochs
	js, err := json.Marshal(r.state)
	if err != nil {
		return err
	}
	err = modelfile.WriteFileAtomic(runPath(&r.cfg, FileState), func(w io.Writer) error {
		return modelfile.Encode(w, tensors, map[string]string{stateMetaKey: string(js)})
	})
	if err != nil {
		return fmt.Errorf("saving %s: %w", FileState, err)
	}
	return writeJSON(runPath(&r.cfg, FileMetrics), r.mf)
}
