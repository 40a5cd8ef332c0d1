# Valdrix — run `make help` for the targets.
SHELL := /bin/bash
export GOTOOLCHAIN := local
GO ?= go
# PostgreSQL for the store tests: use VALDRIX_TEST_PG_DSN when set, else the
# local server when one answers on 127.0.0.1:5432.
PG_DSN ?= $(or $(VALDRIX_TEST_PG_DSN),$(shell pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null && echo 'postgres://postgres@127.0.0.1:5432/test?sslmode=disable'))
LINT := $(GO) tool -modfile=tools/go.mod golangci-lint

.PHONY: help
help: ## Show this help.
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z0-9_\/-]+:.*## / {printf "  \033[36m%-16s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

.PHONY: build
build: ## Build bin/valdrix.
	$(GO) build -trimpath -o bin/valdrix ./cmd/valdrix

.PHONY: run
run: ## Run the server on SQLite in ./valdrix-data.
	$(GO) run ./cmd/valdrix serve

.PHONY: test
test: ## Run every test with the race detector, on SQLite and (when reachable) PostgreSQL.
	VALDRIX_TEST_PG_DSN='$(PG_DSN)' $(GO) test -race -count=1 -timeout 30m ./...

.PHONY: test/short
test/short: ## Run the tests without the race detector.
	VALDRIX_TEST_PG_DSN='$(PG_DSN)' $(GO) test -count=1 ./...

.PHONY: test/postgres
test/postgres: ## Run the tests, failing (not skipping) when PostgreSQL is missing.
	VALDRIX_REQUIRE_PG=1 VALDRIX_TEST_PG_DSN='$(PG_DSN)' $(GO) test -race -count=1 ./...

.PHONY: lint
lint: ## Run golangci-lint (pinned in tools/go.mod) and go vet.
	$(GO) vet ./...
	$(LINT) run ./...

.PHONY: tidy
tidy: ## Check that go.mod and go.sum are tidy.
	$(GO) mod tidy
	git diff --exit-code go.mod go.sum

.PHONY: bench
bench: ## Run the Go benchmarks once.
	VALDRIX_TEST_PG_DSN='$(PG_DSN)' $(GO) test -run '^$$' -bench . -benchtime 1x ./...

.PHONY: bench/api
bench/api: ## Load-test GET /api/v1/me with wrk (DB=postgres for PostgreSQL).
	scripts/bench-api.sh

.PHONY: ci
ci: ## What CI runs.
	bash .ci/run
