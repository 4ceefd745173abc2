#!/bin/sh
# finetune_same.sh OLD_BIN NEW_BIN [OUT_DIR] — a refactor check: run
# `finetune --json` on the small test configuration with several method
# mixes through two builds of lorascope and compare the outputs, less the
# timing fields (elapsed_s, ms_per_step, the step-time finding's figures).
# Both builds read this checkout's data (LORASCOPE_ROOT, default: the
# current folder), so saved configs name the same base. Exit 0 when every
# mix is identical. Needs python3 (for the JSON filter) and data/models/base.
old=$1
new=$2
out=${3:-$(mktemp -d)}
LORASCOPE_ROOT=${LORASCOPE_ROOT:-$PWD}
export LORASCOPE_ROOT
mkdir -p "$out"
[ -x "$old" ] && [ -x "$new" ] || { echo "usage: $0 OLD_BIN NEW_BIN [OUT_DIR]" >&2; exit 2; }
tiny="--steps 3 --batch 2 --eval-every 1 --eval-windows 2 --final-windows 4 --sample-bytes 8 --problems 8"
fail=0
i=0
while read -r extra mix; do
    i=$((i + 1))
    [ "$extra" = "-" ] && extra=""
    for which in old new; do
        eval bin=\$$which
        # shellcheck disable=SC2086
        "$bin" finetune --methods "$mix" $extra $tiny --json - >"$out/$i.$which.json" 2>"$out/$i.$which.err"
        echo "rc=$?" >>"$out/$i.$which.err"
        # Progress lines come by wall time ("step 1/3  0.4 s  ..."): not compared.
        sed -i '/^step [0-9]*\/[0-9]* /d' "$out/$i.$which.err"
        python3 -c '
import json, sys
o = json.load(open(sys.argv[1]))
o.pop("elapsed_s", None)
for m in o.get("methods", []):
    m.pop("ms_per_step", None)
for f in o.get("findings", []):
    if f.get("id") == "step_time":  # measured in wall time
        f.pop("value", None)
        f.pop("verdict", None)
json.dump(o, sys.stdout, indent=1, sort_keys=True)
' "$out/$i.$which.json" >"$out/$i.$which.cmp" 2>>"$out/$i.$which.err"
    done
    if cmp -s "$out/$i.old.cmp" "$out/$i.new.cmp" && cmp -s "$out/$i.old.err" "$out/$i.new.err"; then
        echo "same: $mix $extra"
    else
        echo "DIFFERENT: $mix $extra (see $out/$i.*)"
        fail=1
    fi
done <<'MIXES'
- full,lora:1,prefix:2,qlora:1
- lora:2,targets=all,rslora,lora:1,pissa,alpha=3
- prefix:2,mlp,hidden=16,prefix:3
- qlora:2,int8,qlora:1,targets=q+k+v+o,pissa
- lora:1,lora:2,nan=2,full,lr=2e-3
--task=addition full,lora:2,prefix:2,qlora:1
- ia3,dora:2,targets=all,prompt:2,lora:1
MIXES
# Saved results (PEFT adapters, merged models, prefixes, a full checkpoint)
# must be the same bytes.
mix="full,lora:2,targets=all,pissa,lora:1,rslora,prefix:2,mlp,qlora:1,ia3,dora:2,prompt:2"
for which in old new; do
    eval bin=\$$which
    rm -rf "$out/save.$which"
    # shellcheck disable=SC2086
    "$bin" finetune --methods "$mix" --no-analysis $tiny --save "$out/save.$which" >/dev/null 2>&1
    (cd "$out/save.$which" && find . -type f | sort | xargs sha256sum) >"$out/save.$which.sum"
done
if cmp -s "$out/save.old.sum" "$out/save.new.sum" && [ -s "$out/save.old.sum" ]; then
    echo "same saved files: $mix"
else
    echo "DIFFERENT saved files: $mix (see $out/save.*.sum)"
    fail=1
fi
exit $fail
