package main

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"
)

// The template must write exactly what json.Marshal writes for the record.
func TestRecordTemplateMatchesJSON(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 123456789, time.UTC)
	deadline := now.Add(time.Hour)
	tmpl, err := newRecordTemplate(now, deadline)
	if err != nil {
		t.Fatal(err)
	}
	for _, ip := range []string{"198.51.100.1", "198.51.100.254"} {
		id, uid, tid := uuid.New(), uuid.New(), uuid.New()
		want, err := json.Marshal(wireRecord{Version: codecVersion, Deadline: deadline, Session: &wireSession{
			ID: id, UserID: uid, TenantID: tid, CreatedAt: now, LastSeenAt: now, IP: ip, UserAgent: userAgent,
		}})
		if err != nil {
			t.Fatal(err)
		}
		got := tmpl.append(nil, id, uid, tid, []byte(ip))
		if diff := cmp.Diff(string(want), string(got)); diff != "" {
			t.Errorf("record (-json.Marshal +template):\n%s", diff)
		}
	}
}
