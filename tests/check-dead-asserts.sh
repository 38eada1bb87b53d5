#!/bin/sh
# Fails when a shell test holds an assertion that can never fail (see check-dead-asserts.py).
top=${TOP_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
exec python3 "$top/tests/check-dead-asserts.py" "$top"/tests/*.sh
