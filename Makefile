# wamesh — the two commands a newcomer needs are `make run` and `make test`.
SHELL := /bin/bash
GO ?= go
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X main.version=$(VERSION)
# Every module of the workspace, as package patterns (go.work is the list).
PKGS = $(shell $(GO) list -m -f '{{.Path}}/...')
STATICCHECK_VERSION ?= v0.8.2
SANDBOX ?=
RUN_ARGS ?=

.PHONY: run test fmt-check vet unit bench lint generate build clean

## run: the all-in-one on embedded defaults (SANDBOX=1: against the built-in WhatsApp emulator)
run:
	$(GO) run -ldflags "$(LDFLAGS)" ./cmd/wamesh $(if $(SANDBOX),--sandbox) $(RUN_ARGS)

## test: formatting, vet and every module's tests with the race detector
test: fmt-check vet unit

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' | grep -v '^deploy/k8s/') 2>&1); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet $(PKGS)

# racegate prints the output as go test would and fails on any failure, except
# tests failed only by whatsmeow's own socket race (tulir/whatsmeow#1085),
# which it lists; see pkg/tools/racegate.
unit:
	$(GO) build -o /dev/null ./pkg/tools/racegate
	$(GO) test -race -count=1 -json -timeout 12m $(PKGS) | $(GO) run ./pkg/tools/racegate

## bench: benchmarks of every module (results go into BENCHMARKS.md)
bench:
	$(GO) test -run '^$$' -bench . -benchmem -timeout 30m $(PKGS)

## lint: staticcheck, installed from the Go proxy if missing
lint:
	@command -v staticcheck >/dev/null || $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)
	PATH="$$PATH:$$($(GO) env GOPATH)/bin" staticcheck $(PKGS)

## generate: regenerate committed code (oapi-codegen ...); CI checks `git diff --exit-code` after it
generate:
	$(GO) generate $(PKGS)

## build: binaries into ./bin
build:
	mkdir -p bin
	$(GO) build -ldflags "$(LDFLAGS)" -o bin/wamesh ./cmd/wamesh
	for s in gateway session dispatcher history; do \
		$(GO) build -ldflags "$(LDFLAGS)" -o bin/wamesh-$$s ./services/$$s/cmd/wamesh-$$s || exit 1; \
	done

clean:
	rm -rf bin
