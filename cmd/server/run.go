package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
)

const usage = `usage: server [command]

commands:
  serve                     serve HTTP (the default)
  migrate up|down|status    manage the schema as the owner role (DATABASE_URL)
  users disable EMAIL       disable a user and revoke all their sessions
  healthcheck               exit 0 when the local server's /healthz answers 200

Configuration comes from the environment; see README.md.`

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
	log := slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: cfg.LogLevel}))

	switch cmd {
	case "serve":
		if len(args) > 0 {
			return fmt.Errorf("serve takes no arguments\n%s", usage)
		}
		return serve(ctx, cfg, log)
	case "migrate":
		return migrate(ctx, cfg, args, stdout)
	case "healthcheck":
		return healthcheck(ctx, cfg)
	case "users":
		return users(ctx, cfg, args, stdout, log)
	default:
		return fmt.Errorf("unknown command %q\n%s", cmd, usage)
	}
}
