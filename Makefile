# The two commands a newcomer runs; each does its own setup on a fresh Debian machine.
.PHONY: run test setup lint bench clean

run:   ## set up, load the demo district into var/wangge.db, serve on 127.0.0.1:8000
	scripts/run.sh

test:  ## set up, run the whole suite on SpatiaLite and on a throwaway PostGIS
	scripts/test.sh

setup:
	scripts/setup.sh test

lint: setup
	.venv/bin/ruff check backend geo fixtures tests bench

bench: setup
	for b in bench/bench_*.py; do .venv/bin/python $$b; done

clean:
	rm -rf .venv var
