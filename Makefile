# Tessera build, test and run targets. See README.md.
SHELL := /bin/bash
GO ?= go
BIN := bin/tessera
# Packages whose tests always run under the race detector (DESIGN.md §8):
# every package under these top-level directories that exist.
RACE_DIRS := hlc kv ranges placement server/txntest
RACE_PKGS := $(foreach d,$(RACE_DIRS),$(if $(wildcard $(d)),./$(d)/...))
PROTOC_GEN_GO_VERSION := v1.36.12
PROTOC_GEN_GO_GRPC_VERSION := v1.6.2
STATICCHECK_VERSION := v0.8.2
GOBIN := $(shell $(GO) env GOPATH)/bin

.PHONY: all build docker run test test-race test-rest test-oracle test-slt test-placement-cluster bench lint proto compat clean

all: build

build:
	CGO_ENABLED=0 $(GO) build -o $(BIN) ./cmd/tessera

# A FROM-scratch image of the static binary (deploy/docker-compose.yml runs
# three of them).
docker: build
	docker build -f deploy/Dockerfile -t tessera:dev .

# Starts a local cluster in the foreground; Ctrl-C stops it.
run: build
	./deploy/local-cluster.sh

test: build
	$(GO) vet ./...
	$(MAKE) test-race test-rest test-oracle

test-race:
	$(GO) test -race -count=1 -timeout 20m $(RACE_PKGS)

test-rest:
	@set -eo pipefail; race=" $$($(GO) list $(RACE_PKGS) | tr '\n' ' ') "; \
	pkgs=$$($(GO) list ./... | while read -r p; do case "$$race" in *" $$p "*) ;; *) echo "$$p";; esac; done); \
	echo "go test -count=1 (no race): $$(echo $$pkgs | wc -w) packages"; \
	$(GO) test -count=1 -timeout 20m $$pkgs

# The whole ../shared/sqllogictest slice through the wire protocol (make test
# runs a fixed subset): on PostgreSQL 15 (a throw-away server; set
# TESSERA_SLT_URL=postgres://... to point that run at another server), then
# on an in-process 3-node Tessera cluster (server/slttest). Each logs its
# per-file figures, total time and failure classes.
test-slt:
	TESSERA_SLT_FULL=1 $(GO) test -count=1 -timeout 30m -run SQLLogicTestPostgres -v ./sql/logictest/
	TESSERA_SLT_FULL=1 $(GO) test -count=1 -timeout 60m -run SQLLogicTestCluster -v ./server/slttest/

# PostgreSQL's own parser (pg_query_go, cgo; test-only, never linked into
# bin/tessera) checks the corpus verdicts the plain tests rely on.
test-oracle:
	CGO_ENABLED=1 $(GO) test -tags pgoracle -count=1 ./sql/parser/corpus/

# Issue 9's in-process 5-node placement test (200 ranges, 3 -> 5 nodes
# under a bank workload, dead-node repair, decommission) alone and
# verbosely (make test runs it too, in test-rest).
test-placement-cluster:
	$(GO) test -count=1 -p 1 -timeout 25m -v -run 'TestRebalanceRepairDecommission200' ./server/servertest/

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

lint:
	$(GO) vet ./...
	@command -v staticcheck >/dev/null || $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)
	PATH="$(GOBIN):$$PATH" staticcheck ./...

# Regenerates the committed protobuf/gRPC code. protoc comes from Debian's
# protobuf-compiler package; the Go plugins are pinned here.
proto:
	@command -v protoc >/dev/null || { echo "protoc missing: apt-get install protobuf-compiler"; exit 1; }
	GOFLAGS= $(GO) install google.golang.org/protobuf/cmd/protoc-gen-go@$(PROTOC_GEN_GO_VERSION)
	GOFLAGS= $(GO) install google.golang.org/grpc/cmd/protoc-gen-go-grpc@$(PROTOC_GEN_GO_GRPC_VERSION)
	@for f in $$(find . -name '*.proto' -not -path './bin/*'); do \
		echo "protoc $$f"; \
		PATH="$(GOBIN):$$PATH" protoc -I . --go_out=. --go_opt=paths=source_relative \
			--go-grpc_out=. --go-grpc_opt=paths=source_relative $$f || exit 1; \
	done

# PostgreSQL compatibility report: the oracle (PostgreSQL's own parser via
# pg_query_go, cgo, test-only) checks the committed verdicts and prints the
# per-group pass rates, then `tessera debug parse` reports every corpus file.
compat: build
	$(GO) test -tags pgoracle -count=1 -v -run 'TestOracle$$' ./sql/parser/corpus/ | grep -v '^=== RUN'
	./$(BIN) debug parse sql/parser/testdata/pg $(wildcard ../shared/sqllogictest)

clean:
	rm -rf bin
