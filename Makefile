# netpolcheck: `make run` runs the built-in library on the local cluster and
# writes the reports; `make test` runs the tests. Both install what they need.
SHELL := /bin/bash
export GONOSUMDB := k8s.io,sigs.k8s.io
export GOFLAGS := -buildvcs=false

BIN        := bin
REPORT_DIR ?= out/reports
VERSION    ?= $(shell git describe --always --dirty 2>/dev/null || echo devel)
LDFLAGS    := -X github.com/netpolcheck/netpolcheck/cmd/netpolcheck/app.Version=$(VERSION)
FUZZTIME   ?= 20s

.PHONY: all build run simulate test test-short fuzz bench generate lint deps clean

all: build

deps:
	@hack/install-deps.sh

build:
	go build -ldflags '$(LDFLAGS)' -o $(BIN)/ ./cmd/...

## run: the main job: the built-in library with real packets on the local cluster, reports in $(REPORT_DIR).
run: deps build
	$(BIN)/netpolcheck run --cluster local --report-dir $(REPORT_DIR)

## simulate: the built-in library through the truth oracle only, no cluster.
simulate: build
	$(BIN)/netpolcheck simulate --report-dir $(REPORT_DIR)

## test: unit, integration (root) and fuzz-corpus tests.
test: deps lint
	go test -count=1 -timeout 30m ./...

test-short:
	go test -short ./...

## fuzz: run every fuzz target for FUZZTIME each.
fuzz:
	@hack/fuzz.sh $(FUZZTIME)

## bench: the benchmarks recorded in docs/benchmarks.md.
bench: deps
	go test -run '^$$' -bench . -benchmem ./...

## generate: regenerate the eBPF objects (needs clang; the results are committed).
generate: deps
	go generate ./enforcer/...

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	go vet ./...

clean:
	rm -rf $(BIN) out
