# Makefile for the tracker extension (PGXS)

EXTENSION = tracker
EXTVERSION = $(shell sed -n "s/^default_version *= *'\(.*\)'/\1/p" $(EXTENSION).control)

MODULE_big = tracker
OBJS = \
	src/tracker.o \
	src/settings.o \
	src/base64url.o \
	src/strict_json.o \
	src/crypto.o \
	src/shared.o \
	src/placement.o \
	src/invalidation.o \
	src/keys.o \
	src/registry.o \
	src/jwt.o \
	src/context.o \
	src/caller.o \
	src/roles.o \
	src/workflow.o \
	src/upgrade.o \
	src/usage.o \
	src/token_cache.o \
	src/moves.o \
	src/plans.o \
	src/guard.o \
	src/bounds.o \
	src/triggers.o \
	src/visibility.o \
	src/sign.o \
	src/http.o \
	src/forward.o

# The install script of the current version is assembled from the pieces
# under src/sql, in name order (the data-schema entities, src/sql/data, after
# the rest).  Released versions are frozen: the 1.0 install script and every
# upgrade script tracker--A--B.sql are committed as they shipped, and are
# installed beside it so that ALTER EXTENSION tracker UPDATE reaches the
# current version from any of them.
SQL_PIECES = $(sort $(wildcard src/sql/*.sql)) $(sort $(wildcard src/sql/data/*.sql))
DATA_built = $(EXTENSION)--$(EXTVERSION).sql
DATA = $(EXTENSION)--1.0.sql $(sort $(wildcard $(EXTENSION)--*--*.sql))

REGRESS = $(basename $(notdir $(sort $(wildcard sql/*.sql))))
REGRESS_OPTS = --load-extension=plpgsql

ISOLATION = $(basename $(notdir $(sort $(wildcard test/isolation/specs/*.spec))))
ISOLATION_OPTS = --inputdir=test/isolation --outputdir=test/isolation/output_iso

TAP_TESTS = 1
PROVE_TESTS = $(sort $(wildcard test/t/*.pl))

PG_CPPFLAGS = $(shell pkg-config --cflags openssl) -Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers -Wno-sign-compare
SHLIB_LINK = $(shell pkg-config --libs openssl)

EXTRA_CLEAN = test/isolation/output_iso output_upgraded

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

# Every object depends on every header: they are few, and a stale object
# built against an old struct layout is not worth the risk.
$(OBJS): $(wildcard src/*.h)

$(EXTENSION)--$(EXTVERSION).sql: $(SQL_PIECES)
	cat $^ > $@

.PHONY: test test-citus demo
test:
	bash test/run

# the Citus suite alone (test/citus), with a Citus installed in this PostgreSQL
test-citus:
	bash test/run --citus

demo:
	bash demo/run
