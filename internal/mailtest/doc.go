// Package mailtest runs a real SMTP server (github.com/emersion/go-smtp) in
// the test process, on 127.0.0.1, and keeps what it receives, decoded with
// the standard library: envelope, headers, the plain-text and HTML parts.
// Tests send mail to it the way production does (smtp:// URL, real SMTP
// conversation), wait for a message with WaitFor, and follow its links with
// Token.
//
// A Server can be stopped (dials are refused, as with a mail relay that is
// down) and restarted on the same port, to test retries. Options add
// STARTTLS or implicit TLS with a throw-away certificate, and AUTH PLAIN.
//
// Invariant: what a Server holds is what the wire carried; nothing is
// recorded that the SMTP conversation did not deliver, and a message that
// does not decode is refused with an SMTP error, so the sender sees it fail.
package mailtest
