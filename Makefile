# podroutes: `make demo` shows it working, `make test` proves it.
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
GO ?= go
# Go: at least go.mod's go line (README, top). Checked before anything else
# (packaging/check-go.sh says what to install). Go 1.21 and later fetch that
# toolchain themselves when GOTOOLCHAIN allows it: auto here unless you set
# GOTOOLCHAIN. ($(shell) gets no exported variables before GNU make 4.4.)
ifeq ($(origin GOTOOLCHAIN),undefined)
export GOTOOLCHAIN := auto
endif
ifneq ($(shell GOTOOLCHAIN='$(GOTOOLCHAIN)' packaging/check-go.sh '$(GO)' >&2; echo $$?),0)
$(error Go $(shell sed -n 's/^go //p' go.mod) or later is needed (above))
endif
BIN := bin/podroutes
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || cat VERSION 2>/dev/null || echo 0.0.0)
LDFLAGS := -X main.version=$(VERSION)
# Build tags of the binary installed: urfave/cli without its man page
# renderer, whose init ran in every boot apply (packaging/build.sh renders
# the page at build time with a binary built without them), and without
# client-go (nokube): a command given --kubeconfig execs KUBE_BIN, built
# with KUBE_BUILD_TAGS, beside it (/usr/lib/podroutes/podroutes-kube in
# the packages; internal/kubeexec).
BUILD_TAGS := nokube,urfave_cli_no_docs
KUBE_BUILD_TAGS := urfave_cli_no_docs
KUBE_BIN = $(dir $(BIN))podroutes-kube
# A count, not a duration: with a duration, Go 1.26's fuzz coordinator can
# fail a clean run with "context deadline exceeded" as the time runs out
# (golang/go#75804, fixed in Go 1.27). 50000 runs take a few seconds here.
FUZZTIME ?= 50000x
# Fuzz targets run by `make test` for FUZZTIME each: package:Target.
FUZZ_TARGETS := \
	./gen/inventory:FuzzParseMachines \
	./gen/inventory:FuzzParseYAML \
	./gen/inventory:FuzzParseKubectl \
	./gen/inventory:FuzzParseAuto \
	./internal/config:FuzzParse \
	./internal/config:FuzzFastAgrees
# Debian packages the tests need (installed when missing and running as root).
# prometheus brings promtool (check metrics, check and test rules); the
# metrics tests run prometheus-node-exporter's binary themselves (apt starts
# no daemon here: policy-rc.d and no systemd as PID 1).
TEST_APT := iputils-ping iproute2 lintian rpm rpmlint systemd-container debootstrap zsh groff-base \
	prometheus prometheus-node-exporter
# What the demo's lab needs: only ping and ip, not the packaging tools.
DEMO_APT := iputils-ping iproute2

# staticcheck (honnef.co/go/tools), run through the Go toolchain at a fixed
# version, so a fresh machine needs nothing else.
STATICCHECK := $(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2

.PHONY: all build print-build-tags print-kube-build-tags demo test test-deps k8s-bins emulate fmt-check vet staticcheck unit lint fuzz bench package clean golden

all: build

build:
	CGO_ENABLED=0 $(GO) build -trimpath -tags '$(BUILD_TAGS)' -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/podroutes
	CGO_ENABLED=0 $(GO) build -trimpath -tags '$(KUBE_BUILD_TAGS)' -ldflags '$(LDFLAGS)' -o $(KUBE_BIN) ./cmd/podroutes

print-build-tags:
	@echo '$(BUILD_TAGS)'

print-kube-build-tags:
	@echo '$(KUBE_BUILD_TAGS)'

# The main job on the bundled example: one machines.txt for the three lab
# hosts. Show what gen makes of it for one of them, then (as root) build the
# lab in namespaces, give every host the same file and prove pods reach each
# other through the routes each host planned for itself.
demo: build
	@echo "$$ podroutes validate --inventory examples/machines.txt"; \
	$(BIN) validate --inventory examples/machines.txt && echo "ok: every line is valid"; \
	echo; echo "$$ podroutes gen --inventory examples/machines.txt --node node-0"; \
	$(BIN) gen --inventory examples/machines.txt --node node-0; \
	echo; echo "$$ podroutes gen --inventory examples/machines.txt --format ip"; \
	$(BIN) gen --inventory examples/machines.txt --format ip; \
	if [ "$$(id -u)" != 0 ]; then \
		echo; echo "demo: the network lab needs root (network namespaces): run 'sudo make demo' to see every host apply the same machines.txt and pods ping across nodes."; \
		exit 0; \
	fi; \
	$(MAKE) --no-print-directory test-deps TEST_APT='$(DEMO_APT)'; \
	echo; examples/lab.sh $(BIN) examples/machines.txt; \
	echo; echo "== the same lab on two networks joined by a router (examples/segments.yaml, offLink: vxlan)"; \
	examples/lab-segments.sh $(BIN) examples/segments.yaml

test: test-deps k8s-bins emulate fmt-check vet staticcheck unit lint fuzz

test-deps:
	@if [ "$$(id -u)" = 0 ]; then \
		missing=$$(for p in $(TEST_APT); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'ok installed' || echo $$p; done); \
		if [ -n "$$missing" ]; then \
			echo "installing: $$missing"; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
		fi; \
	else \
		echo "test-deps: not root; tests that need namespaces or packages will skip"; \
	fi

# etcd and kube-apiserver for the control-plane tests (internal/k8stest),
# built from their Go modules and cached under /var/cache/podroutes-test/k8s:
# minutes once per machine, so before `unit` starts its timeout. The tests
# build on demand too; without root they skip, so nothing is built.
k8s-bins:
	@if [ "$$(id -u)" = 0 ]; then \
		$(GO) run ./internal/k8stest/cmd/k8s-bins; \
	else \
		echo "k8s-bins: not root; the control-plane tests will skip"; \
	fi

# The boot test also boots the arm64 .deb on Debian 12 arm64, through
# qemu-user: as root, install qemu-user-static and binfmt-support, mount
# binfmt_misc and register the handler (update-binfmts --enable
# qemu-aarch64), saying what it did; fails, saying why, where the kernel has
# no binfmt_misc. A host-global kernel setting: `update-binfmts --disable
# qemu-aarch64` undoes it. The test does the same; here it is said.
EMULATE := arm64
emulate:
	@if [ "$$(id -u)" = 0 ]; then \
		$(GO) run ./packaging/boot/cmd/emulate $(EMULATE); \
	else \
		echo "emulate: not root; the boot test (arm64 included) will skip"; \
	fi

fmt-check:
	@bad=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$bad" ]; then echo "gofmt needed:"; echo "$$bad"; exit 1; fi

vet:
	$(GO) vet ./...

staticcheck:
	$(STATICCHECK) ./...

# Includes the boot test (packaging/boot): the .deb under a real systemd in
# systemd-nspawn, as root; it skips with a reason otherwise. gotestsum
# (gotest.tools) runs go test, prints a line a package and the output of
# each failed test; its JSON record then shows whether a test skipped. As
# root (CI) every test must run: a skip there fails the run, naming it.
GOTESTSUM := $(GO) run gotest.tools/gotestsum@v1.13.0
unit:
	@json=$$(mktemp); trap 'rm -f "$$json"' EXIT; \
	$(GOTESTSUM) --format pkgname --jsonfile "$$json" -- -race -count=1 -timeout 20m ./...; \
	if [ "$$(id -u)" = 0 ]; then \
		skipped=$$(sed -n 's/.*"Action":"skip","Package":"\([^"]*\)","Test":"\([^"]*\)".*/\1 \2/p' "$$json"); \
		if [ -n "$$skipped" ]; then echo "unit: tests skipped as root, where every test must run:"; echo "$$skipped"; exit 1; fi; \
	fi

# lintian on the .deb, rpmlint on the .rpm, the rpm's file list against the
# deb's, the unit's offline security exposure (at most 1.5).
lint:
	packaging/lint.sh

# dist/*.deb and dist/*.rpm for amd64 and arm64 (or ARCHS=...), built with
# nfpm through the Go toolchain, on any Linux machine.
ARCHS ?= amd64 arm64
package:
	ARCHS='$(ARCHS)' packaging/build.sh

fuzz:
	@for t in $(FUZZ_TARGETS); do \
		pkg=$${t%%:*}; name=$${t##*:}; \
		echo "fuzz $$pkg $$name for $(FUZZTIME)"; \
		$(GO) test -run='^$$' -fuzz="^$$name\$$" -fuzztime=$(FUZZTIME) -fuzzminimizetime=2s $$pkg; \
	done

# Benchmarks: the Go benchmarks (gen, reading routes.yaml, the diff); then, as
# root, routes programmed in throwaway namespaces against `ip -batch`
# (apply/bench/bench.sh), a busy node (apply/bench/busy: another owner's
# big table, pods coming and going, watch's CPU and heal times) and `watch
# --kubeconfig` following 5000 Nodes of a real API server, with the binary's
# size with and without client-go (gen/kube/bench.sh), and what a one-shot
# run (--version, a no-op apply) costs with and without it
# (apply/bench/oneshot.sh), all written to BENCHMARKS.md with the machine
# they ran on. Its Soak section, from an hour of `make soak`, is kept as it
# is.
bench: build
	@go_bench=$$($(GO) test -run='^$$' -bench=. -benchmem ./gen/... ./internal/networkd/ ./internal/config/ ./apply/reconcile/); echo "$$go_bench"; \
	if [ "$$(id -u)" != 0 ]; then echo "bench: the namespace benchmarks need root; BENCHMARKS.md left as it is"; exit 0; fi; \
	[ -x /usr/bin/time ] || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq time >/dev/null; }; \
	{ apply/bench/bench.sh $(BIN) && $(GO) run ./apply/bench/busy $(BIN) && gen/kube/bench.sh && \
	  apply/bench/oneshot.sh $(BIN) $(KUBE_BIN) && \
	  printf '\n## Go benchmarks\n\n```\n%s\n```\n' "$$(echo "$$go_bench" | grep -E '^(Benchmark|cpu:)')" && \
	  awk '/^## /{p=/^## Soak/; if (p) print ""} p' BENCHMARKS.md; } >BENCHMARKS.md.tmp || \
	  { rm -f BENCHMARKS.md.tmp; echo "bench: failed; BENCHMARKS.md left as it is"; exit 1; }; \
	mv BENCHMARKS.md.tmp BENCHMARKS.md; cat BENCHMARKS.md

# The soak (issue 23, apply/bench/soak): 12 hosts in namespaces, each
# running `podroutes watch` from one shared inventory, and (SOURCE=all, the
# default) 12 more following a real kube-apiserver and 12 on two segments
# joined by a router (a YAML inventory, offLink: vxlan), faults of every kind
# on a schedule seeded by SEED (0: from the clock; the run prints it, to
# replay) for DURATION, every host checked against the inventory or the
# Nodes after each quiet period. SOURCE=inventory, kube or segments runs
# one lab (a comma-separated list some; both: inventory,kube).
# Its last line is the figures; the plot goes to SOAK_SVG. make test runs
# a short one of all three (TestSoak).
DURATION ?= 10m
SEED ?= 0
SOURCE ?= all
SOAK_SVG ?= bin/soak.svg
.PHONY: soak
soak: build k8s-bins
	@if [ "$$(id -u)" != 0 ]; then echo "soak: needs root (network namespaces): run 'sudo make soak'"; exit 2; fi; \
	$(MAKE) --no-print-directory test-deps TEST_APT='$(DEMO_APT)'; \
	$(GO) run ./apply/bench/soak -duration '$(DURATION)' -seed '$(SEED)' -source '$(SOURCE)' -svg '$(SOAK_SVG)' $(BIN)

# Rewrite golden files after an intended output change.
golden:
	$(GO) test ./gen/... ./internal/networkd/ -update

clean:
	rm -rf bin dist
