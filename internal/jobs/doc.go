// Package jobs is tenantkit's background work: a Postgres job queue on River
// (github.com/riverqueue/river), in the schema `migrate up` gives it
// (database.RiverSchema), worked by the runtime role. It delivers mail
// (Queue.MailTx), runs background tasks (Queue.Task: work a request must
// not wait for, such as looking up whether an address has an account) and
// the periodic jobs it is configured with.
//
// Invariants:
//   - Work that must follow a change is inserted in the same transaction as
//     the change (MailTx takes the caller's pgx.Tx): a rolled-back change
//     leaves no job, a committed one always has its job. MailTx needs a
//     transaction of the runtime role (the app pool); the tenant role has
//     no access to the queue.
//   - Mail job args never hold a raw token, only one sealed with AES-256-GCM
//     under a key derived from TENANT_CONTEXT_KEY, bound to the job's mail
//     kind and recipient, so a sealed token copied into another job (another
//     address) does not open. A job whose token does not open, or whose mail
//     does not render, is cancelled, not retried. The args do hold the
//     recipient's address and name (and an invitation's tenant name,
//     inviter and role); no log line carries them, the token or the message
//     body.
//   - Every job is bounded in attempts (Config.MaxAttempts, 8 by default),
//     each failed attempt is logged once (warn; the last one at error) and
//     completed jobs are deleted after an hour, cancelled and discarded ones
//     after a day: sealed tokens do not pile up.
//   - The request id that caused a job travels with it, into every log line
//     about it.
//   - A retried delivery is the same mail: Message.ID is derived from the job
//     (river-<id>-<created ms>), so a relay or a mailbox can tell a repeat
//     from a new mail. Delivery is at least once: a crash between the SMTP
//     server's acceptance and the job's completion sends it again, with the
//     same Message-ID.
//   - Periodic jobs are River periodic jobs: River elects one leader among
//     the replicas that run workers, and only the leader enqueues them.
package jobs
