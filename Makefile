# Matte: `make run` sets everything up and serves the demo on :8080;
# `make test` sets up and runs the whole suite.
SHELL := /bin/bash
export CGO_ENABLED := 1
export MATTE_RUNTIME := $(CURDIR)/runtime
# glibc's per-thread malloc arenas fragment badly under libvips' threads;
# two arenas keep RSS bounded (see README, Memory).
export MALLOC_ARENA_MAX ?= 2
GO ?= $(shell command -v go || echo /usr/local/go/bin/go)

# Which libvips Matte builds against (README, Building):
#   VIPS=npm (default): libvips 8.18 as sharp ships it, fetched from npm into
#     runtime/vips by scripts/fetch-vips.sh, with its own pkg-config file;
#     bin/caddy finds it through rpaths ($$ORIGIN/../runtime/vips/lib, then
#     the absolute path), without LD_LIBRARY_PATH.
#   VIPS=system: the system's libvips-dev (Debian bookworm: 8.14).
# Go's build cache does not see a changed .pc file, so each build gets its
# own -D in CGO_CFLAGS: switching rebuilds the cgo packages.
VIPS ?= npm
export VIPS
VIPS_NPM_VERSION := $(shell sed -n 's/^VIPS_NPM_VERSION=//p' scripts/fetch-vips.sh)
ifeq ($(VIPS),system)
export CGO_CFLAGS := $(or $(CGO_CFLAGS),-O2 -g) -DMATTE_VIPS_BUILD=system
else ifeq ($(VIPS),npm)
export PKG_CONFIG_PATH := $(MATTE_RUNTIME)/vips/lib/pkgconfig
export CGO_CFLAGS := $(or $(CGO_CFLAGS),-O2 -g) -DMATTE_VIPS_BUILD=npm_$(subst .,_,$(VIPS_NPM_VERSION))
export CGO_LDFLAGS := $(or $(CGO_LDFLAGS),-O2 -g) -Wl,-rpath,$$ORIGIN/../runtime/vips/lib
else
$(error VIPS must be npm or system, not $(VIPS))
endif

FUZZTIME ?= 10s

.PHONY: setup system runtime clients build run demo test vet fuzz clean

setup: system runtime clients

# system (apt) runs first and once: runtime needs the node and npm it
# installs, and two apt-gets at once (make -j) fail on apt's lock.
system:
	@scripts/setup-system.sh

runtime: system
	@scripts/fetch-runtime.sh

# clients installs the npm packages the client tests drive: the official API
# clients and the URL builders (test/clients/*, pinned by their
# package-lock.json; no install scripts).
clients: system
	@scripts/setup-clients.sh

build: setup
	$(GO) build -o bin/caddy ./cmd/caddy

# mkdemo writes the images one by one (each through a temporary file); the
# stamp, written once it has finished, tells make that all of them are there,
# so an interrupted run is run again. It lies outside var/demo, which the
# demo's origin serves.
demo: var/demo.stamp

var/demo.stamp: scripts/mkdemo/main.go
	$(GO) run ./scripts/mkdemo -out var/demo/img
	touch $@

run: build demo
	./bin/caddy run --config Caddyfile.example --adapter caddyfile

# vet also refuses unformatted Go files (gofmt ships with the Go toolchain).
vet: setup
	@unformatted="$$("$$($(GO) env GOROOT)/bin/gofmt" -l $$(git ls-files '*.go'))"; \
	if [ -n "$$unformatted" ]; then echo "gofmt -w needed: $$unformatted"; exit 1; fi
	$(GO) vet ./...

# The fuzz pass runs first so that go test's summary closes the output.
test: setup vet fuzz
	$(GO) test -race -timeout 30m ./...

# fuzz runs every Fuzz target briefly on top of its committed seed corpus.
fuzz: setup
	@GO="$(GO)" FUZZTIME="$(FUZZTIME)" scripts/fuzz.sh

clean:
	rm -rf bin

# `make model NAME=u2net` downloads an optional segmentation model into
# runtime/models and checks its pinned hash (scripts/fetch-model.sh).
.PHONY: model
model:
	@scripts/fetch-model.sh "$(NAME)"

# `make bench` times Matte against ipx, nginx image_filter and Caddy's plain
# file_server on 127.0.0.1 and writes bench/RESULTS.md (see bench/README.md);
# it installs wrk and nginx (apt) and ipx (npm, pinned) when missing.
# Harness flags go in BENCH_FLAGS, e.g. BENCH_FLAGS="-duration 5s -repeats 1".
.PHONY: bench
bench: build build-system
	@GO="$(GO)" bench/run.sh $(BENCH_FLAGS)

# build-system builds bin/caddy-system against the system's libvips-dev
# (Debian: 8.14) next to the default bin/caddy, so that `make bench` runs
# Matte on both builds in one run (bench/README.md). The sub-make starts
# from a clean slate: without this build's npm PKG_CONFIG_PATH, rpath and
# -DMATTE_VIPS_BUILD, so VIPS=system sets its own define and Go's build
# cache keeps the two builds apart. setup has run already.
.PHONY: build-system
build-system: setup
	env -u PKG_CONFIG_PATH -u CGO_CFLAGS -u CGO_LDFLAGS $(MAKE) --no-print-directory VIPS=system bin-caddy-system

.PHONY: bin-caddy-system
bin-caddy-system:
	$(if $(filter system,$(VIPS)),,$(error bin-caddy-system is built by `make build-system`))
	$(GO) build -o bin/caddy-system ./cmd/caddy

# `make gpu-stage` packs what a lent GPU machine runs for scenario h on
# CUDA and the many-core workers sweep (bench/gpu.sh, bench/README.md): it
# fetches ONNX Runtime's GPU build (GPU=1) and splits the payload into
# .gpu-stage/NN/, one piece per device call; it prints the calls.
.PHONY: gpu-stage
gpu-stage: build
	@GPU=1 scripts/fetch-runtime.sh
	@GO="$(GO)" bench/gpu.sh stage

# `make loadtest` runs the load and fault test (bench/loadtest/main.go) against
# ./bin/caddy on 127.0.0.1 and writes bench/loadtest/REPORT.md; not part of
# `make test`. Flags go in LOADTEST_FLAGS, e.g. LOADTEST_FLAGS="-phase 8s".
.PHONY: loadtest
loadtest: build
	$(GO) run ./bench/loadtest $(LOADTEST_FLAGS)

# `make bench-batch` measures inference batching (rembg { batch N }) with a
# dynamic-batch copy of the default model (bench/batch.sh); about 5 minutes.
.PHONY: bench-batch
bench-batch: setup
	@GO="$(GO)" bench/batch.sh

# `make quality` runs the default model through the pipeline on
# ../shared/testdata (rembg=1&mask=1, raw and with refine=1) and writes
# bench/QUALITY.md: MAE, IoU@0.5, maxF and edge MAE against the synthetic
# images' exact alpha, IoU against rembg's u2net cut-outs for the photos, and
# inference time against whole-request time (bench/quality/main.go). Without
# the test images it says so and measures nothing. About 3 minutes on 2 cores.
.PHONY: quality
quality: setup
	$(GO) run ./bench/quality -out bench/QUALITY.md

# `make cluster` runs Redis, three Matte nodes and a front Caddy on 127.0.0.1
# (deploy/: the front on :8080, nodes on :8081-8083); see README, Scale out.
.PHONY: cluster
cluster: build demo
	@CADDY=bin/caddy deploy/cluster.sh
