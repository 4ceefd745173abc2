#!/bin/sh
# check_layers.sh — the architecture rules, enforced:
#   curses is included only under src/ui/;
#   BLAS and LAPACK are included only by src/core/linalg.c.
bad=0
hits=$(grep -rlE '#[[:space:]]*include[[:space:]]*[<"](n?curses|ncursesw/|panel|menu|form)' src tests \
       | grep -v '^src/ui/' )
if [ -n "$hits" ]; then
    echo "check-layers: curses included outside src/ui/:"; echo "$hits"; bad=1
fi
hits=$(grep -rlE '#[[:space:]]*include[[:space:]]*[<"](cblas|lapacke|lapack|openblas|f77blas)' src tests \
       | grep -v '^src/core/linalg\.c$')
if [ -n "$hits" ]; then
    echo "check-layers: BLAS/LAPACK included outside src/core/linalg.c:"; echo "$hits"; bad=1
fi
hits=$(grep -rnE '\b(cblas_|LAPACKE_|openblas_)[a-z_]+\(' src | grep -v '^src/core/linalg\.c:')
if [ -n "$hits" ]; then
    echo "check-layers: BLAS/LAPACK called outside src/core/linalg.c:"; echo "$hits"; bad=1
fi
[ $bad -eq 0 ] && echo "check-layers: OK (curses only in src/ui/, BLAS/LAPACK only in src/core/linalg.c)"
exit $bad
