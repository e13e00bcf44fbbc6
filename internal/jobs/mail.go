package jobs

import (
	"context"
	"fmt"
	"log/slog"
	"strings"

	"github.com/riverqueue/river"

	"github.com/tenantkit/tenantkit/internal/mail"
)

// mailKind is the River job kind of mail jobs. Stored with every job: never
// rename it.
const mailKind = "mail"

// mailArgs are a mail job's args, as stored in River's job table. The token
// is only there sealed (sealer.seal, bound to Kind and To).
type mailArgs struct {
	MailKind    string `json:"kind"`
	To          string `json:"to"`
	Name        string `json:"name,omitempty"`
	NewEmail    string `json:"new_email,omitempty"`
	Tenant      string `json:"tenant,omitempty"`
	Inviter     string `json:"inviter,omitempty"`
	Role        string `json:"role,omitempty"`
	SealedToken string `json:"sealed_token,omitempty"`
	RequestID   string `json:"request_id,omitempty"`
}

func (mailArgs) Kind() string { return mailKind }

// mailWorker opens, renders and sends one mail.
type mailWorker struct {
	river.WorkerDefaults[mailArgs]
	seal     *sealer
	renderer Renderer
	sender   Sender
	log      *slog.Logger
}

// messageIDer is what *mail.Sender offers: a Message-ID in the domain of
// its From address.
type messageIDer interface {
	MessageID(key string) string
}

func (w *mailWorker) Work(ctx context.Context, job *river.Job[mailArgs]) error {
	a := job.Args
	token, err := w.seal.open(a.SealedToken, a.MailKind, a.To)
	if err != nil {
		return w.cancel(ctx, job, err)
	}
	msg, err := w.renderer.Render(mail.Notice{
		Kind: mail.Kind(a.MailKind), To: a.To, Name: a.Name, Token: token, NewEmail: a.NewEmail,
		Tenant: a.Tenant, Inviter: a.Inviter, Role: a.Role,
	})
	if err != nil {
		return w.cancel(ctx, job, err)
	}
	msg.ID = w.messageID(job)
	if err := w.sender.Send(ctx, msg); err != nil {
		// errorHandler logs it; River retries it.
		return err
	}
	w.log.InfoContext(ctx, "mail sent", append(jobAttrs(job.JobRow), slog.String("message_id", msg.ID))...)
	return nil
}

// cancel logs why job can never be sent and cancels it: no attempt would
// go otherwise. River calls no error handler for a cancelled job, so this
// is its one log line.
func (w *mailWorker) cancel(ctx context.Context, job *river.Job[mailArgs], err error) error {
	w.log.ErrorContext(ctx, "mail job cancelled: it can never be sent", append(jobAttrs(job.JobRow), slog.String("error", err.Error()))...)
	return river.JobCancel(err)
}

// messageID is the same for every attempt of job, and unlike the job id
// alone it is not reused after the database is re-created.
func (w *mailWorker) messageID(job *river.Job[mailArgs]) string {
	key := fmt.Sprintf("river-%d-%d", job.ID, job.CreatedAt.UnixMilli())
	if s, ok := w.sender.(messageIDer); ok {
		return s.MessageID(key)
	}
	domain := "tenantkit"
	if _, d, ok := strings.Cut(job.Args.To, "@"); ok && d != "" && !strings.ContainsAny(d, "<>[]@ \t\r\n\"\\") {
		domain = d
	}
	return key + "@" + domain
}
