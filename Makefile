# The test command CI runs (.ci/run). It installs what the tests need, then
# vets and tests everything, the end-to-end tests included.
GO ?= go

.PHONY: test deps vet build bench

test: deps vet
	$(GO) test -race -count=1 -timeout 20m ./...

# Debian packages the tests use; installed only when missing.
APT_PACKAGES := curl bind9-dnsutils awscli
deps:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	fi

vet:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$unformatted" ]; then echo "gofmt needed:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet ./...

build:
	$(GO) build -o bin/pharos ./cmd/pharos
	$(GO) build -o bin/pharos-origin ./cmd/pharos-origin

bench: build
	bench/hit.sh
