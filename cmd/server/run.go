package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/tenantkit/tenantkit/internal/observe"
)

const usage = `usage: server [command]

commands:
  serve                     serve HTTP (the default); with WORKERS=inprocess (the default) also work jobs
  worker                    work jobs (mail, periodic cleanups) without serving HTTP
  migrate up|down|status    manage the schema as the owner role (DATABASE_URL)
  users disable EMAIL       disable a user and revoke all their sessions
  users verify EMAIL        mark a user's address verified (the mail never arrived)
  admins grant|revoke EMAIL make a user a platform admin, or no longer
  healthcheck               exit 0 when the local server's /healthz answers 200

Configuration comes from the environment; see README.md.`

// The log's buffer: 32 KiB holds a hundred or so access log lines.
const (
	logBufferSize    = 32 << 10
	logFlushInterval = 200 * time.Millisecond
)

// run is the whole program; main only calls it. Tests call it too.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cmd := "serve"
	if len(args) > 0 {
		cmd, args = args[0], args[1:]
	}
	if cmd == "help" || cmd == "-h" || cmd == "--help" {
		fmt.Fprintln(stdout, usage)
		return nil
	}
	cfg, err := loadConfig(getenv)
	if err != nil {
		return fmt.Errorf("configuration:\n%w", err)
	}
	// Log lines are written in batches, not one write per line (per
	// request): at the latest every logFlushInterval, at once for warnings
	// and errors, and when run returns.
	logs := observe.NewLogBuffer(stderr, logBufferSize, logFlushInterval)
	defer logs.Close()
	log := slog.New(logs.Handler(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: cfg.LogLevel})))

	switch cmd {
	case "serve":
		if len(args) > 0 {
			return fmt.Errorf("serve takes no arguments\n%s", usage)
		}
		return serve(ctx, cfg, log)
	case "worker":
		if len(args) > 0 {
			return fmt.Errorf("worker takes no arguments\n%s", usage)
		}
		return worker(ctx, cfg, log)
	case "migrate":
		return migrate(ctx, cfg, args, stdout)
	case "healthcheck":
		return healthcheck(ctx, cfg)
	case "users":
		return users(ctx, cfg, args, stdout, log)
	case "admins":
		return admins(ctx, cfg, args, stdout, log)
	default:
		return fmt.Errorf("unknown command %q\n%s", cmd, usage)
	}
}
