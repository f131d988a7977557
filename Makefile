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

.PHONY: all build run simulate test test-short fuzz bench generate check-generate lint deps clean

all: build

deps:
	@hack/install-deps.sh

build:
	go build -ldflags '$(LDFLAGS)' -o $(BIN)/ ./cmd/...

## run: the main job: the built-in library with real packets on the local cluster, each cell
## by pod IP, through the destination's ClusterIP Service and by its DNS name (reports in $(REPORT_DIR)).
run: deps build
	$(BIN)/netpolcheck run --cluster local --target pod,service,dns --report-dir $(REPORT_DIR)

## simulate: the built-in library through the truth oracle only, no cluster.
simulate: build
	$(BIN)/netpolcheck simulate --report-dir $(REPORT_DIR)

## test: unit, integration (root) and fuzz-corpus tests.
test: deps lint check-generate
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

## check-generate: the committed eBPF objects are what the C sources compile to (skipped without clang).
check-generate:
	@if command -v clang >/dev/null; then \
		go generate ./enforcer/bpf/ && git diff --exit-code --stat -- enforcer/bpf/ \
		|| { echo "enforcer/bpf: generated files differ from the committed ones; run make generate and commit"; exit 1; }; \
	else echo "check-generate: no clang, skipped"; fi

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	go vet ./...

clean:
	rm -rf $(BIN) out

# kind: real clusters from an offline node image (docs/kind.md). NODE_IMAGE
# names any kindest/node image to use instead of building one, on machines
# with registry access.
NODE_IMAGE ?=
.PHONY: kind-image e2e-kind

## kind-image: build the offline kindest/node image (cached by content hash in /var/cache/netpolcheck/kind).
kind-image:
	@hack/kind/ensure-docker.sh
ifeq ($(NODE_IMAGE),)
	go run ./hack/kind/build-node-image
else
	@echo "kind-image: using $(NODE_IMAGE), nothing to build"
endif

## e2e-kind: netpolcheck end to end on kind (hack/e2e-kind.sh): a 3-node cluster with
## the reference enforcer, the whole library, certify, the Ginkgo suite, a cluster
## without enforcer that must fail on exactly the blocked cells, kube-network-policies
## on it (unadapted: must be caught failing open; adapted: must pass), then nothing left.
e2e-kind: kind-image build
	NODE_IMAGE=$(NODE_IMAGE) hack/e2e-kind.sh $(BIN)

## e2e-knp: certify kube-network-policies (built from its module) with the whole library and
## the quick profile, by pod IP and through Services (hack/e2e-knp.sh; about 40 minutes, so not in CI).
.PHONY: e2e-knp
e2e-knp: kind-image build
	NODE_IMAGE=$(NODE_IMAGE) hack/e2e-knp.sh $(BIN)

## upstream-e2e: the upstream Kubernetes NetworkPolicy e2e tests (v1.34.4, e2e.test --ginkgo.focus
## Netpol) against UPSTREAM_CNI (reference, kube-network-policies, none) on kind, then netpolcheck's
## upstream family on the same cluster, both timed (hack/upstream-e2e.sh; about half an hour).
.PHONY: upstream-e2e
upstream-e2e: kind-image build
	NODE_IMAGE=$(NODE_IMAGE) hack/upstream-e2e.sh $(BIN)
