# Matte: `make run` sets everything up and serves the demo on :8080;
# `make test` sets up and runs the whole suite.
SHELL := /bin/bash
export CGO_ENABLED := 1
export MATTE_RUNTIME := $(CURDIR)/runtime
GO ?= $(shell command -v go || echo /usr/local/go/bin/go)

.PHONY: setup system runtime build run test vet fuzz clean

setup: system runtime

system:
	@scripts/setup-system.sh

runtime:
	@scripts/fetch-runtime.sh

build: setup
	$(GO) build -o bin/caddy ./cmd/caddy

run: build
	./bin/caddy run --config Caddyfile.example --adapter caddyfile

vet: setup
	$(GO) vet ./...

test: setup vet
	$(GO) test -race -timeout 30m ./...

clean:
	rm -rf bin
