package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/riverqueue/river"
)

// periodicKind is the River job kind of every Periodic; the args name which.
const periodicKind = "cleanup"

type periodicArgs struct {
	Name string `json:"name"`
}

func (periodicArgs) Kind() string { return periodicKind }

// periodicByName checks ps and indexes them by name.
func periodicByName(ps []Periodic) (map[string]Periodic, error) {
	out := make(map[string]Periodic, len(ps))
	for _, p := range ps {
		switch _, dup := out[p.Name]; {
		case p.Name == "":
			return nil, errors.New("jobs: a Periodic has no Name")
		case dup:
			return nil, fmt.Errorf("jobs: two Periodic are named %q", p.Name)
		case p.Every <= 0:
			return nil, fmt.Errorf("jobs: Periodic %q: Every is %s", p.Name, p.Every)
		case p.Run == nil:
			return nil, fmt.Errorf("jobs: Periodic %q has no Run", p.Name)
		}
		out[p.Name] = p
	}
	return out, nil
}

// periodicWorker runs the Periodic a job names.
type periodicWorker struct {
	river.WorkerDefaults[periodicArgs]
	periodic map[string]Periodic
	log      *slog.Logger
}

func (w *periodicWorker) Work(ctx context.Context, job *river.Job[periodicArgs]) error {
	p, ok := w.periodic[job.Args.Name]
	if !ok {
		// Enqueued by a leader of another version, during a deploy; that
		// leader runs it again on its schedule.
		err := fmt.Errorf("this replica has no periodic job %q", job.Args.Name)
		w.log.WarnContext(ctx, "periodic job cancelled", append(jobAttrs(job.JobRow), slog.String("error", err.Error()))...)
		return river.JobCancel(err)
	}
	n, err := p.Run(ctx)
	if err != nil {
		// errorHandler logs it; River retries it.
		return err
	}
	w.log.DebugContext(ctx, "periodic job done", append(jobAttrs(job.JobRow), slog.Int64("count", n))...)
	return nil
}
