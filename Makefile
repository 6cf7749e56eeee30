# Every target installs what it needs first (apt-get, npm ci), so a fresh
# Debian machine needs nothing but this repository.
.PHONY: all deps build demo test bench typecheck clean

all: demo

deps:
	./scripts/install-deps.sh

build: deps
	npm run build

## The main job: a real scenario on this machine against a real volume plugin.
demo: deps
	npm run demo

## The whole test suite.
test: deps
	npm test

bench: deps
	npm run bench

typecheck: deps
	npm run typecheck

clean:
	rm -rf dist
