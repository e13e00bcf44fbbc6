# The two commands a newcomer needs:
#   make run    start Postgres/Redis if needed, create and migrate the database, serve on :8080
#   make test   start Postgres/Redis if needed, check generated files, run every test
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
export REDIS_URL        ?= redis://127.0.0.1:6379/0
export BASE_URL         ?= http://localhost:8080

GO      ?= go
SQLC    := CGO_ENABLED=0 $(GO) tool -modfile=tools.mod sqlc

.PHONY: help run test services check-generated generate build vet bench

help: ## list targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-16s %s\n", $$1, $$2}'

run: services ## create/migrate the database and start the server
	$(GO) run ./cmd/server migrate up
	$(GO) run ./cmd/server serve

test: services check-generated ## run the whole test suite (what CI runs)
	$(GO) vet ./...
	$(GO) test -count=1 -race ./...

services: ## make sure Postgres and Redis are installed and running
	@scripts/ensure-services

check-generated: ## fail when sqlc output is stale (the schema file is checked by go test ./db)
	$(SQLC) vet
	$(SQLC) diff

generate: services ## regenerate db/schema/schema.sql and the sqlc packages
	$(GO) test ./db -run TestSchemaFileMatchesMigrations -count=1 -update
	$(SQLC) generate

build: ## build the server binary into bin/
	CGO_ENABLED=0 $(GO) build -trimpath -o bin/server ./cmd/server

bench: services ## run the benchmarks
	$(GO) test -run '^$$' -bench . -benchmem ./...
