# Feature store: `make help` lists the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

shared/gen/.stamp: $(shell find proto -name '*.proto' -o -name 'buf*.yaml')
	node scripts/gen-proto.mjs
	@touch $@

# npm ci also generates shared/gen (npm's prepare hook), so the stamp comes after it.
shared/gen/.stamp: | node_modules/.package-lock.json

.PHONY: help up services test bench reliability proto build lint format docs image clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

up: build ## start the embedded feature store (every function in one process, PGlite) on 127.0.0.1:8080
	node dist/functions/all-in-one.mjs

services: build ## service mode: PostgreSQL, Redis, MinIO, Kafka and every function as its own process; gRPC on 127.0.0.1:8080
	node dist/service-mode.mjs

test: lint ## run every test (installs and starts PostgreSQL, MinIO, Azurite, Redis and Kafka on 127.0.0.1, stops them after)
	node scripts/test.mjs

bench: build ## run the benchmarks and write BENCHMARKS.md
	node scripts/bench.mjs

reliability: build ## long fuzz run, fault tests and a 10-minute soak of make services; writes RELIABILITY.md
	node scripts/reliability.mjs

proto: node_modules/.package-lock.json ## generate TypeScript from proto/ (shared/gen, never edited by hand)
	node scripts/gen-proto.mjs
	@touch shared/gen/.stamp

build: shared/gen/.stamp ## bundle each function, the all-in-one host and the CLI into dist/ (esbuild)
	node scripts/build.mjs

lint: shared/gen/.stamp ## lint the protos (buf), check formatting (prettier), type-check (tsc) and lint the code (eslint, typescript-eslint recommended type-checked)
	npx buf lint proto
	npx prettier --check --log-level warn .
	npx tsc --noEmit -p .
	npx eslint --max-warnings 0 .

docs: node_modules/.package-lock.json ## regenerate docs/configuration.md from the config schema (a test fails when they part)
	node --import tsx scripts/gen-config-docs.ts

format: node_modules/.package-lock.json ## format the tree (prettier; make lint checks it)
	npx prettier --write --log-level warn .

image: ## build the one container image (needs Docker); FUNCTION picks the function at run time
	docker build -t $(or $(IMAGE),ghcr.io/featurestore/featurestore:0.1.0) .

clean: ## remove generated code, bundles and the embedded data dir
	rm -rf shared/gen dist .featurestore
