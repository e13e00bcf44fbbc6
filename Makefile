# The two commands a newcomer needs:
#   make run    start Postgres/Redis if needed, create and migrate the database, serve on :8080
#   make test   start Postgres/Redis if needed, check generated files, lint, run every test,
#               and prove `make table` on a scratch copy (scripts/check-tablegen)
SHELL := /usr/bin/env bash
.DEFAULT_GOAL := help

# Local development defaults; override in the environment or in .env
# (plain KEY=value lines, see .env.example), whose every variable reaches
# the server and the tests.
ifneq (,$(wildcard .env))
include .env
export $(shell sed -nE 's/^([A-Za-z_][A-Za-z0-9_]*)=.*/\1/p' .env)
endif
export DATABASE_URL     ?= postgres://postgres@127.0.0.1:5432/tenantkit?sslmode=disable
export APP_DATABASE_URL ?= postgres://tenantkit@127.0.0.1:5432/tenantkit?sslmode=disable
export TENANT_DATABASE_URL ?= postgres://tenantkit_scoped@127.0.0.1:5432/tenantkit?sslmode=disable
export REDIS_URL        ?= redis://127.0.0.1:6379/0
export BASE_URL         ?= http://localhost:8080
export ADMIN_ADDR       ?= 127.0.0.1:9090

GO      ?= go
# Tools are Go modules pinned in their own modfiles, built by `go tool` on
# first use and cached in the Go build cache: tools.mod for sqlc and
# actionlint, lint.mod for golangci-lint (whose dependencies would otherwise
# move sqlc's). ShellCheck is a Debian package (scripts/ensure-services).
SQLC          := CGO_ENABLED=0 $(GO) tool -modfile=tools.mod sqlc
ACTIONLINT    := $(GO) tool -modfile=tools.mod actionlint
MAILPIT       := CGO_ENABLED=0 $(GO) tool -modfile=tools.mod mailpit
GOLANGCI_LINT := $(GO) tool -modfile=lint.mod golangci-lint
SHELL_SCRIPTS := $(wildcard scripts/*) .ci/run
WORKFLOWS     := $(wildcard .github/workflows/*.yml .github/workflows/*.yaml)

.PHONY: help run test services mail mail-stop check-generated lint vet generate build bench load bench-scale

# Development mail: `make run` sends to Mailpit, a local inbox (SMTP on
# 127.0.0.1:1025, web on http://127.0.0.1:8025), unless .env or the
# environment set MAIL_URL and MAIL_FROM (then to that relay, and no
# Mailpit is started). Only for `make run`: tests run their own SMTP server.
DEV_MAIL_URL  := smtp://127.0.0.1:1025
DEV_MAIL_FROM := tenantkit <no-reply@localhost>

help: ## list targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-16s %s\n", $$1, $$2}'

# The server runs as make's own child (exec, no `go run` in between), so
# Ctrl-C and SIGTERM reach it directly and its exit status is make's.
# The tenant context key is generated once into .env (read on every later
# run), so `migrate up` and serve always agree. Production sets its own.
run: export MAIL_URL ?= $(DEV_MAIL_URL)
run: export MAIL_FROM ?= $(DEV_MAIL_FROM)
run: services mail build ## create/migrate the database and start the server (mail goes to Mailpit)
	@if [[ -z "$${TENANT_CONTEXT_KEY:-}" ]]; then \
		key=$$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n'); \
		if [[ -s .env && -n "$$(tail -c1 .env)" ]]; then echo >> .env; fi; \
		printf 'TENANT_CONTEXT_KEY=%s\n' "$$key" >> .env; \
		echo "make run: wrote a new TENANT_CONTEXT_KEY to .env"; \
	fi
	set -a && . ./.env && set +a && bin/server migrate up
	set -a && . ./.env && set +a && exec bin/server serve

test: services check-generated lint vet ## run the whole test suite (what CI runs)
	$(GO) test -count=1 -race ./...
	scripts/check-tablegen

services: ## make sure Postgres and Redis are installed and running
	@scripts/ensure-services

mail: ## start the development inbox (Mailpit, http://127.0.0.1:8025) unless SMTP 127.0.0.1:1025 answers
	@MAILPIT='$(MAILPIT)' scripts/ensure-mailpit

mail-stop: ## stop the Mailpit that `make mail` or `make run` started
	@scripts/ensure-mailpit stop

check-generated: ## fail when sqlc output is stale (the schema file is checked by go test ./db)
	$(SQLC) vet
	$(SQLC) diff

lint: ## golangci-lint (Go), shellcheck (scripts), actionlint (GitHub workflows)
	@command -v shellcheck >/dev/null 2>&1 || { \
		echo "make lint: shellcheck is missing: sudo apt-get install -y shellcheck (or: sudo scripts/ensure-services)" >&2; exit 1; }
	shellcheck $(SHELL_SCRIPTS)
	$(ACTIONLINT) $(WORKFLOWS)
	$(GOLANGCI_LINT) run

vet: ## go vet
	$(GO) vet ./...

generate: services ## regenerate db/schema/schema.sql and the sqlc packages
	$(GO) test ./db -run TestSchemaFileMatchesMigrations -count=1 -update
	$(SQLC) generate

# make table NAME=invoices FIELDS="project_id:ref(projects) number:text! note:text?"
# writes a new tenant table: migration, queries, component, tests, routes and
# openapi.yaml (see cmd/tablegen; README "Add a domain table"), then
# regenerates. NAME, FIELDS and SINGULAR reach it through the environment,
# so FIELDS needs no escaping.
.PHONY: table
table: ## add a tenant table: make table NAME=invoices FIELDS="number:text! amount_cents:bigint note:text?"
	$(GO) run ./cmd/tablegen -name "$$NAME" -fields "$$FIELDS" -singular "$$SINGULAR"
	$(MAKE) generate || { echo "make table: the files above are written but make generate failed; fix it and run make generate" >&2; exit 1; }
	gofmt -l -w internal/app/components.go internal/$(subst _,,$(NAME))

build: ## build the server binary into bin/
	CGO_ENABLED=0 $(GO) build -trimpath -o bin/server ./cmd/server

bench: services ## run the benchmarks (allocations per request included)
	$(GO) test -run '^$$' -bench . -benchmem ./...

load: services ## wrk against the server and the reference server (bench/refserver), both stores, with ratios
	scripts/load

bench-scale: services ## seed 1M users and sessions (COPY); session lookups and GET /api/me at 1k and 1M, both stores
	scripts/bench-scale
