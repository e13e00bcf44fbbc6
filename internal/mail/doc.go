// Package mail renders and sends the mails of the account lifecycle: email
// verification, a sign-up attempt with a taken address, password reset and
// its notice, email change with the notice to the old address, and the
// invitation to join a tenant.
//
// A Renderer turns a Notice (what happened, to whom, with which token) into a
// Message with a subject, a plain-text and an HTML part; a Sender delivers a
// Message over SMTP (MAIL_URL, MAIL_FROM). Callers render and send from a
// job, never from a request, and set Message.ID per job, so that a retried
// delivery carries the same Message-ID.
//
// Invariants:
//   - Messages are rendered only from the embedded templates (web/mail).
//     What callers supply reaches a mail only as checked data: a name
//     (validation.CleanText, like every stored name: a user's, a tenant's),
//     bare addresses, a role from a fixed list and a printable-ASCII token
//     (URL-encoded in its link), all escaped in the HTML part.
//   - A token appears only inside the link of the kinds that carry one
//     (verify_email, password_reset, email_change, invitation); giving a
//     token, or an invitation's tenant, inviter or role, to any other kind
//     is an error, not a silently dropped field.
//   - The Sender never logs anything, so never a message body (which holds
//     the token). Its errors carry no body and never the SMTP password;
//     they may name the recipient, as a relay's refusal of it does.
package mail
