package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tenantkit/tenantkit/internal/observe"
)

// startAdmin serves /metrics and /debug/pprof on ADMIN_ADDR, a listener of
// its own (none when ADMIN_ADDR is empty), until the returned stop is
// called. It is for operators and scrapers: bind it to loopback or a
// private interface, never where the public can reach it.
func startAdmin(ctx context.Context, cfg config, g prometheus.Gatherer, log *slog.Logger) (stop func(), err error) {
	if cfg.AdminAddr == "" {
		return func() {}, nil
	}
	ln, err := new(net.ListenConfig).Listen(ctx, "tcp", cfg.AdminAddr)
	if err != nil {
		return nil, fmt.Errorf("ADMIN_ADDR: %w", err)
	}
	hs := &http.Server{
		Handler:           observe.AdminHandler(g),
		ReadHeaderTimeout: 5 * time.Second,
		// pprof's CPU profile and trace run for ?seconds= (30 and 1 by
		// default) and refuse a duration past the write timeout.
		WriteTimeout:   2 * time.Minute,
		IdleTimeout:    120 * time.Second,
		MaxHeaderBytes: 64 << 10,
		ErrorLog:       slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		BaseContext:    func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	addr := ln.Addr().String()
	if a, ok := ln.Addr().(*net.TCPAddr); ok && !a.IP.IsLoopback() {
		log.Warn("ADMIN_ADDR is not a loopback address: /metrics and /debug/pprof answer anyone who can reach it; keep it off public networks", "addr", addr)
	}
	log.Info("admin listener: /metrics, /debug/pprof/", "addr", addr)
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := hs.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			log.Error("admin listener stopped", "addr", addr, "err", err)
		}
	}()
	return func() {
		// A profile in progress is cut off rather than awaited.
		shutdownCtx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		if err := hs.Shutdown(shutdownCtx); err != nil {
			hs.Close()
		}
		<-done
	}, nil
}
