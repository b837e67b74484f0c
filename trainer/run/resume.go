package run

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"

	"github.com/ganomaly-go/ganomaly/modelfile"
)

// stateMetaKey holds the trainer state JSON in the state file's __metadata__.
const stateMetaKey = "ganomaly_trainer_state"

// trainState is the resume bookkeeping stored with the tensors.
type trainState struct {
	EpochsDone int            `json:"epochs_done"`
	StepG      int64          `json:"adam_step_g"`
	StepD      int64          `json:"adam_step_d"`
	DReinits   int            `json:"d_reinits"`
	Arch       modelfile.Arch `json:"arch"`
	NDF        int            `json:"ndf"`
	Seed       int64          `json:"seed"`
	Dataset    string         `json:"dataset"`
	Abnormal   string         `json:"abnormal_class"`
	BestVal    float64        `json:"best_val_loss"`
	// Epochs are the records of the finished epochs, so that metrics.json
	// can be rebuilt whatever moment the previous run was killed at.
	Epochs []EpochRecord `json:"epochs"`
}

func (r *Runner) resume() error {
	path := runPath(&r.cfg, FileState)
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		r.log.Info("--resume: no saved state, starting from scratch", "path", path)
		return nil
	}
	if err != nil {
		return fmt.Errorf("--resume: %w", err)
	}
	tensors, kv, err := modelfile.Decode(b)
	if err != nil {
		return fmt.Errorf("--resume: %s: %w", path, err)
	}
	var st trainState
	if err := json.Unmarshal([]byte(kv[stateMetaKey]), &st); err != nil {
		return fmt.Errorf("--resume: %s has no trainer state: %w", path, err)
	}
	if st.Arch != r.state.Arch || st.NDF != r.state.NDF || st.Dataset != r.state.Dataset || st.Abnormal != r.state.Abnormal || st.Seed != r.state.Seed {
		return fmt.Errorf("--resume: %s was made with another configuration (%+v); use the same flags or another --name", path, st)
	}
	if err := r.model.LoadState(tensors, st.StepG, st.StepD); err != nil {
		return fmt.Errorf("--resume: %s: %w", path, err)
	}
	r.model.DReinits = st.DReinits
	r.state = st
	r.mf.Epochs = append([]EpochRecord(nil), st.Epochs...)
	r.mf.Summary = summarise(r.mf.Epochs)
	r.log.Info("resumed", "epochs_done", st.EpochsDone, "adam_steps", st.StepG)
	return nil
}
