package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"github.com/tenantkit/tenantkit/internal/database"
	"github.com/tenantkit/tenantkit/internal/mail"
)

// Config configures a Queue.
type Config struct {
	Logger *slog.Logger // nil: slog.Default()
	// Sender delivers rendered mail. Nil: this Queue only inserts jobs
	// (WORKERS=off), and Start fails.
	Sender Sender
	// Renderer renders a mail.Notice to a mail.Message; required with a
	// Sender. When set, MailTx renders each notice once to check it, so a
	// mail that could never be sent fails the caller's transaction.
	Renderer Renderer
	// Key is a secret of at least 32 bytes (the app passes
	// TENANT_CONTEXT_KEY); the key that seals mail tokens is derived from
	// it with HKDF-SHA256, info "tenantkit mail token v1". Every replica
	// needs the same one: a job sealed under another key is cancelled.
	Key []byte
	// RequestID returns the request id of ctx; MailTx stores it with the
	// job. May be nil.
	RequestID func(context.Context) string
	// Tasks runs the tasks Queue.Task queues, by name. Nil: task jobs are
	// cancelled (logged at error) by this replica's workers.
	Tasks func(ctx context.Context, name, arg string) error
	// Periodic jobs, enqueued by the replica River elects leader (one at
	// a time) among those that work jobs, each first when it becomes
	// leader. A Queue without a Sender ignores them.
	Periodic []Periodic
	// MaxAttempts bounds every job's attempts; 0: 8.
	MaxAttempts int
	// RetryBase: attempt n (n ≥ 1) that fails is retried after
	// RetryBase·2ⁿ⁻¹, at most an hour. 0: River's default backoff
	// (attempt⁴ seconds, with jitter).
	RetryBase time.Duration
	// PollInterval is how often workers look for jobs that LISTEN/NOTIFY
	// did not announce (River's FetchPollInterval; it also caps
	// FetchCooldown). 0: River's default, a second.
	PollInterval time.Duration
}

// Sender delivers rendered mail; *mail.Sender is one.
type Sender interface {
	Send(ctx context.Context, m mail.Message) error
}

// Renderer renders a notice; *mail.Renderer is one.
type Renderer interface {
	Render(n mail.Notice) (mail.Message, error)
}

// Periodic is work that runs every Every (cleaning up expired sessions and
// tokens, say). Run returns how many things it did, for the log; an error
// fails the job, which is retried like any other. Run must be idempotent:
// a retry, or a run that overlaps the previous one, must do no harm.
type Periodic struct {
	Name  string
	Every time.Duration
	Run   func(ctx context.Context) (int64, error)
}

const (
	defaultMaxAttempts = 8
	maxRetryDelay      = time.Hour
	// maxWorkers is how many jobs one replica works at once.
	maxWorkers = 10
	// hardStopTimeout is how long Stop waits for running jobs to return
	// once their contexts are cancelled, after its own context ended.
	hardStopTimeout = 5 * time.Second
)

// Queue inserts jobs and, when started, works them.
type Queue struct {
	client    *river.Client[pgx.Tx]
	seal      *sealer
	renderer  Renderer
	requestID func(context.Context) string
	canWork   bool
}

// New returns a Queue on pool, which must connect as the runtime role
// (River's tables grant to it; `migrate up` creates them). A started Queue
// holds one of pool's connections for LISTEN and takes more while it
// fetches and completes jobs.
func New(pool *pgxpool.Pool, cfg Config) (*Queue, error) {
	if pool == nil {
		return nil, errors.New("jobs: no pool")
	}
	s, err := newSealer(cfg.Key)
	if err != nil {
		return nil, err
	}
	if cfg.Sender != nil && cfg.Renderer == nil {
		return nil, errors.New("jobs: a Sender needs a Renderer")
	}
	switch {
	case cfg.MaxAttempts < 0:
		return nil, fmt.Errorf("jobs: MaxAttempts is %d", cfg.MaxAttempts)
	case cfg.MaxAttempts == 0:
		cfg.MaxAttempts = defaultMaxAttempts
	}
	if cfg.RetryBase < 0 || cfg.PollInterval < 0 {
		return nil, errors.New("jobs: RetryBase and PollInterval may not be negative")
	}
	periodic, err := periodicByName(cfg.Periodic)
	if err != nil {
		return nil, err
	}
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}

	workers := river.NewWorkers()
	if err := river.AddWorkerSafely(workers, &mailWorker{seal: s, renderer: cfg.Renderer, sender: cfg.Sender, log: log}); err != nil {
		return nil, fmt.Errorf("jobs: %w", err)
	}
	if err := river.AddWorkerSafely(workers, &periodicWorker{periodic: periodic, log: log}); err != nil {
		return nil, fmt.Errorf("jobs: %w", err)
	}
	if err := river.AddWorkerSafely(workers, &taskWorker{run: cfg.Tasks, log: log}); err != nil {
		return nil, fmt.Errorf("jobs: %w", err)
	}
	rc := &river.Config{
		Schema:      database.RiverSchema,
		Workers:     workers,
		MaxAttempts: cfg.MaxAttempts,
		// Args hold sealed tokens: keep finished jobs no longer than it
		// takes to look into a problem.
		CompletedJobRetentionPeriod: time.Hour,
		CancelledJobRetentionPeriod: 24 * time.Hour,
		DiscardedJobRetentionPeriod: 24 * time.Hour,
		ErrorHandler:                &errorHandler{log: log},
		// River's own lines at warn and above: it logs every failed
		// attempt at info, which errorHandler already has said.
		Logger: slog.New(minLevel{h: log.Handler(), min: slog.LevelWarn}).With("component", "river"),
		// REINDEX needs the tables' owner, which the runtime role is not;
		// River's indexes are reindexed, if ever, by the owner.
		ReindexerIndexNames: []string{},
	}
	if cfg.RetryBase > 0 {
		rc.RetryPolicy = &backoff{base: cfg.RetryBase, max: maxRetryDelay}
	}
	if cfg.PollInterval > 0 {
		rc.FetchPollInterval = cfg.PollInterval
		rc.FetchCooldown = min(cfg.PollInterval, river.FetchCooldownDefault)
	}
	if cfg.Sender != nil {
		rc.Queues = map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: maxWorkers}}
		for _, p := range cfg.Periodic {
			args := periodicArgs{Name: p.Name}
			rc.PeriodicJobs = append(rc.PeriodicJobs, river.NewPeriodicJob(river.PeriodicInterval(p.Every),
				func() (river.JobArgs, *river.InsertOpts) { return args, nil },
				&river.PeriodicJobOpts{RunOnStart: true}))
		}
	}
	client, err := river.NewClient(riverpgxv5.New(pool), rc)
	if err != nil {
		return nil, fmt.Errorf("jobs: %w", err)
	}
	return &Queue{client: client, seal: s, renderer: cfg.Renderer, requestID: cfg.RequestID, canWork: cfg.Sender != nil}, nil
}

// MailTx inserts a job that sends the mail n describes, in tx: it is sent
// once tx commits, and never if tx rolls back. tx must be the runtime
// role's. n's token is stored only sealed.
func (q *Queue) MailTx(ctx context.Context, tx pgx.Tx, n mail.Notice) error {
	if !n.Kind.Valid() || n.To == "" {
		return fmt.Errorf("jobs: mail of kind %q: unknown kind or no recipient", n.Kind)
	}
	if q.renderer != nil {
		if _, err := q.renderer.Render(n); err != nil {
			return fmt.Errorf("jobs: %w", err)
		}
	}
	sealed, err := q.seal.seal(n.Token, string(n.Kind), n.To)
	if err != nil {
		return fmt.Errorf("jobs: seal the token: %w", err)
	}
	args := mailArgs{
		MailKind:    string(n.Kind),
		To:          n.To,
		Name:        n.Name,
		NewEmail:    n.NewEmail,
		Tenant:      n.Tenant,
		Inviter:     n.Inviter,
		Role:        n.Role,
		SealedToken: sealed,
	}
	args.RequestID = q.requestIDOf(ctx)
	if _, err := q.client.InsertTx(ctx, tx, args, nil); err != nil {
		return fmt.Errorf("jobs: insert mail job: %w", err)
	}
	return nil
}

// Start starts working jobs, and the periodic jobs while this replica is
// River's leader, until Stop or until ctx ends (which cancels running
// jobs). It fails on a Queue without a Sender.
func (q *Queue) Start(ctx context.Context) error {
	if !q.canWork {
		return errors.New("jobs: this queue has no Sender and only inserts jobs")
	}
	if err := q.client.Start(ctx); err != nil {
		return fmt.Errorf("jobs: start: %w", err)
	}
	return nil
}

// Stop stops fetching jobs and waits for the running ones to finish. When
// ctx ends first, it cancels them, waits up to five seconds more for them
// to return (River makes a job interrupted this way available again,
// without counting the attempt) and returns ctx's error. Stopping a Queue
// that was never started does nothing.
func (q *Queue) Stop(ctx context.Context) error {
	err := q.client.Stop(ctx)
	if err == nil || ctx.Err() == nil {
		return err
	}
	hard, cancel := context.WithTimeout(context.WithoutCancel(ctx), hardStopTimeout)
	defer cancel()
	if hardErr := q.client.StopAndCancel(hard); hardErr != nil {
		return fmt.Errorf("jobs: stop: %w (and running jobs did not return: %w)", err, hardErr)
	}
	return fmt.Errorf("jobs: stop: %w", err)
}
