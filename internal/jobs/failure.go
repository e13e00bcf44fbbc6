package jobs

import (
	"context"
	"encoding/json"
	"log/slog"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
)

// jobAttrs describe job in a log line: ids, kind, attempt and request id;
// never a mail's recipient, name or token, nor a task's argument.
func jobAttrs(job *rivertype.JobRow) []any {
	attrs := []any{
		slog.Int64("job_id", job.ID),
		slog.String("job_kind", job.Kind),
		slog.Int("attempt", job.Attempt),
		slog.Int("max_attempts", job.MaxAttempts),
	}
	switch job.Kind {
	case mailKind:
		var a mailArgs
		if json.Unmarshal(job.EncodedArgs, &a) == nil {
			attrs = append(attrs, slog.String("kind", a.MailKind), slog.String("request_id", a.RequestID))
		}
	case periodicKind:
		var a periodicArgs
		if json.Unmarshal(job.EncodedArgs, &a) == nil {
			attrs = append(attrs, slog.String("name", a.Name))
		}
	case taskKind:
		var a taskArgs
		if json.Unmarshal(job.EncodedArgs, &a) == nil {
			attrs = append(attrs, slog.String("name", a.Name), slog.String("request_id", a.RequestID))
		}
	}
	return attrs
}

// errorHandler logs each failed attempt once: at warn while River will try
// again, at error when it was the last. River calls it for errors and
// panics, not for cancelled jobs (the workers log those).
type errorHandler struct {
	log *slog.Logger
}

var _ river.ErrorHandler = (*errorHandler)(nil)

func (h *errorHandler) HandleError(ctx context.Context, job *rivertype.JobRow, err error) *river.ErrorHandlerResult {
	h.logFailure(ctx, job, slog.String("error", err.Error()))
	return nil
}

func (h *errorHandler) HandlePanic(ctx context.Context, job *rivertype.JobRow, panicVal any, trace string) *river.ErrorHandlerResult {
	h.logFailure(ctx, job, slog.Any("panic", panicVal), slog.String("trace", trace))
	return nil
}

func (h *errorHandler) logFailure(ctx context.Context, job *rivertype.JobRow, why ...any) {
	attrs := append(jobAttrs(job), why...)
	if job.Attempt >= job.MaxAttempts {
		h.log.ErrorContext(ctx, "job failed for the last time; giving up", attrs...)
		return
	}
	h.log.WarnContext(ctx, "job failed; will retry", attrs...)
}

// backoff retries attempt n after base·2ⁿ⁻¹, at most max.
type backoff struct {
	base, max time.Duration
}

var _ river.ClientRetryPolicy = (*backoff)(nil)

func (b *backoff) NextRetry(job *rivertype.JobRow) time.Time {
	// River counts failures in Errors, which does not hold this one yet;
	// Attempt would also count snoozes.
	n := len(job.Errors) + 1
	d := b.base
	for i := 1; i < n && d < b.max; i++ {
		d *= 2
	}
	return time.Now().Add(min(d, b.max))
}

// minLevel passes on records at min and above to h: River's own logging,
// quieter than the application's.
type minLevel struct {
	h   slog.Handler
	min slog.Level
}

func (m minLevel) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= m.min && m.h.Enabled(ctx, l)
}

func (m minLevel) Handle(ctx context.Context, r slog.Record) error { return m.h.Handle(ctx, r) }

func (m minLevel) WithAttrs(attrs []slog.Attr) slog.Handler {
	return minLevel{h: m.h.WithAttrs(attrs), min: m.min}
}

func (m minLevel) WithGroup(name string) slog.Handler {
	return minLevel{h: m.h.WithGroup(name), min: m.min}
}
