package mailtest

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	netmail "net/mail"
	"strings"
)

// Received is one message as the server got it.
type Received struct {
	From      string   // envelope sender (MAIL FROM)
	To        []string // envelope recipients (RCPT TO), in order
	Header    netmail.Header
	MessageID string // Message-ID without the angle brackets
	Subject   string // decoded (RFC 2047)
	Text      string // the text/plain part, decoded
	HTML      string // the text/html part, decoded
	// Parts lists the media types of the leaf parts in order, e.g.
	// [text/plain text/html] for a multipart/alternative.
	Parts []string
	// TLS: the message came over TLS (implicit or STARTTLS).
	TLS bool
	// AuthUser is the user the client logged in as with AUTH, or "".
	AuthUser string
}

// maxDepth bounds multipart nesting.
const maxDepth = 5

// parse decodes a raw message: headers, and every text part through its
// Content-Transfer-Encoding. Text parts must be UTF-8 (or US-ASCII); a
// second text/plain or text/html part is an error, as no account mail
// has one.
func parse(raw []byte) (Received, error) {
	msg, err := netmail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return Received{}, fmt.Errorf("read message: %w", err)
	}
	m := Received{Header: msg.Header}
	m.MessageID = strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(msg.Header.Get("Message-Id")), "<"), ">")
	if m.Subject, err = new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject")); err != nil {
		return Received{}, fmt.Errorf("decode subject: %w", err)
	}
	h := msg.Header
	if err := m.walk(h.Get("Content-Type"), h.Get("Content-Transfer-Encoding"), msg.Body, 0); err != nil {
		return Received{}, err
	}
	return m, nil
}

// walk decodes one part, descending into multiparts.
func (m *Received) walk(contentType, encoding string, body io.Reader, depth int) error {
	if contentType == "" {
		contentType = "text/plain; charset=us-ascii" // RFC 2045's default
	}
	mediaType, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		return fmt.Errorf("content type %q: %w", contentType, err)
	}
	if strings.HasPrefix(mediaType, "multipart/") {
		if depth >= maxDepth {
			return errors.New("multipart nested too deep")
		}
		mr := multipart.NewReader(body, params["boundary"])
		for {
			// NextRawPart: the transfer encoding is decoded below, the
			// same way for every part.
			p, err := mr.NextRawPart()
			if errors.Is(err, io.EOF) {
				return nil
			}
			if err != nil {
				return fmt.Errorf("%s: %w", mediaType, err)
			}
			if err := m.walk(p.Header.Get("Content-Type"), p.Header.Get("Content-Transfer-Encoding"), p, depth+1); err != nil {
				return err
			}
		}
	}
	m.Parts = append(m.Parts, mediaType)
	if mediaType != "text/plain" && mediaType != "text/html" {
		return nil // an attachment: listed in Parts, not decoded
	}
	if cs := strings.ToLower(params["charset"]); cs != "" && cs != "utf-8" && cs != "us-ascii" {
		return fmt.Errorf("%s: charset %q, want utf-8", mediaType, cs)
	}
	dec, err := decoder(encoding, body)
	if err != nil {
		return fmt.Errorf("%s: %w", mediaType, err)
	}
	b, err := io.ReadAll(dec)
	if err != nil {
		return fmt.Errorf("%s: decode %s: %w", mediaType, encoding, err)
	}
	dst := &m.Text
	if mediaType == "text/html" {
		dst = &m.HTML
	}
	if *dst != "" {
		return fmt.Errorf("more than one %s part", mediaType)
	}
	*dst = string(b)
	return nil
}

// decoder undoes a Content-Transfer-Encoding.
func decoder(encoding string, r io.Reader) (io.Reader, error) {
	switch enc := strings.ToLower(strings.TrimSpace(encoding)); enc {
	case "quoted-printable":
		return quotedprintable.NewReader(r), nil
	case "base64":
		return base64.NewDecoder(base64.StdEncoding, r), nil
	case "", "7bit", "8bit", "binary":
		return r, nil
	default:
		return nil, fmt.Errorf("unknown transfer encoding %q", enc)
	}
}
