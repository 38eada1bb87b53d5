#!/bin/sh
# src/ is in folders by stage. A file may include headers of its own folder and of the folders
# below it in this order, never of one above it; the check prints each offending include.
top=${TOP_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
order="base trust transport bundle report gather series cmd"
rank() {
	n=0
	for d in $order; do
		if [ "$d" = "$1" ]; then
			echo $n
			return
		fi
		n=$((n + 1))
	done
	echo 99
}
echo "1..1"
bad=0
for f in "$top"/src/*/*.c "$top"/include/*/*.h; do
	dir=$(basename "$(dirname "$f")")
	own=$(rank "$dir")
	if [ "$own" -eq 99 ]; then
		echo "# ${f#"$top"/}: folder '$dir' is not in the layer order"
		bad=1
		continue
	fi
	for inc in $(sed -n 's|^#include "\([a-z]*\)/.*"$|\1|p' "$f"); do
		if [ "$(rank "$inc")" -gt "$own" ]; then
			echo "# ${f#"$top"/}: includes from $inc/, a layer above $dir/"
			bad=1
		fi
	done
done
if [ "$bad" -eq 0 ]; then echo "ok 1 - no include reaches a higher layer ($order)"; else echo "not ok 1 - an include reaches a higher layer"; fi
