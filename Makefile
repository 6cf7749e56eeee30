# Every target installs what it needs first (apt-get, npm ci), so a fresh
# Debian machine needs nothing but this repository.
.PHONY: all deps build demo test bench soak typecheck clean

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

## A long run of the embedded runtime (not part of test): are memory, fds, threads and latency flat?
soak: deps
	npm run soak

typecheck: deps
	npm run typecheck

## The Mesos module for one exact release; needs a Mesos tree, skipped without one:
## make isolator MESOS_VERSION=0.27.2 MESOS_SRC=… MESOS_BUILD=… (or MESOS_PREFIX=…)
.PHONY: isolator dist
isolator: $(if $(MESOS_VERSION),build)
	native/mesos/build-module.sh

## One tarball per release: module, runtime library, bundles, the dvdi launcher, dvdi-mod.json, notes.
dist: build isolator
	native/mesos/dist.sh

## The Debian package of one release (make isolator's settings; DEB_VERSION for a newer build):
## build/dvdi-mesos-<mesos version>_<dvdi version>_amd64.deb, checked by lintian.
.PHONY: deb
deb: build isolator
	native/deb/build-deb.sh

clean:
	rm -rf dist build
