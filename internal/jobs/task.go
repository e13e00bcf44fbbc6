package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/riverqueue/river"
)

// taskKind is the River job kind of Queue.Task's jobs. Stored with every
// job: never rename it.
const taskKind = "task"

// taskArgs name a task of Config.Tasks and its argument (an address, say:
// it is not logged).
type taskArgs struct {
	Name      string `json:"name"`
	Arg       string `json:"arg"`
	RequestID string `json:"request_id,omitempty"`
}

func (taskArgs) Kind() string { return taskKind }

// Task queues the task name with arg, to run through Config.Tasks in the
// background, so that a request can answer before work whose outcome it
// must not reveal (whether an address has an account). It commits at once,
// on its own: work that must follow a change goes in the change's
// transaction instead (MailTx). Tasks are retried like every job, so
// Config.Tasks must tolerate running one again.
func (q *Queue) Task(ctx context.Context, name, arg string) error {
	if name == "" {
		return errors.New("jobs: a task needs a name")
	}
	args := taskArgs{Name: name, Arg: arg, RequestID: q.requestIDOf(ctx)}
	if _, err := q.client.Insert(ctx, args, nil); err != nil {
		return fmt.Errorf("jobs: insert task %q: %w", name, err)
	}
	return nil
}

// taskWorker runs tasks through Config.Tasks.
type taskWorker struct {
	river.WorkerDefaults[taskArgs]
	run func(ctx context.Context, name, arg string) error
	log *slog.Logger
}

func (w *taskWorker) Work(ctx context.Context, job *river.Job[taskArgs]) error {
	if w.run == nil {
		err := errors.New("this replica runs no tasks (Config.Tasks is nil)")
		w.log.ErrorContext(ctx, "task cancelled", append(jobAttrs(job.JobRow), slog.String("error", err.Error()))...)
		return river.JobCancel(err)
	}
	// The jobs the task queues carry the request id that queued it.
	ctx = context.WithValue(ctx, jobRequestID{}, job.Args.RequestID)
	if err := w.run(ctx, job.Args.Name, job.Args.Arg); err != nil {
		// errorHandler logs it; River retries it.
		return err
	}
	w.log.DebugContext(ctx, "task done", jobAttrs(job.JobRow)...)
	return nil
}

// jobRequestID carries, in a task's context, the request id of the job
// that runs it.
type jobRequestID struct{}

// requestIDOf is the request id a job inserted under ctx records: that of
// the task running (a job queued by a job), else Config.RequestID's.
func (q *Queue) requestIDOf(ctx context.Context) string {
	if id, ok := ctx.Value(jobRequestID{}).(string); ok {
		return id
	}
	if q.requestID != nil {
		return q.requestID(ctx)
	}
	return ""
}
