#!/usr/bin/env bash
# printkioskctl's shared surface: verbs register, usage errors exit 2, JSON Lines out.
set -euo pipefail
ctl=${PK_CTL:?}
out=$("$ctl" version)
echo "$out" | python3 -c 'import json,sys; d=json.loads(sys.stdin.read()); assert "printkiosk" in d, d'
set +e
"$ctl" no-such-verb 2>/dev/null; rc=$?
"$ctl" --bogus 2>/dev/null; rc2=$?
"$ctl" 2>/dev/null; rc3=$?
set -e
[ "$rc" = 2 ] && [ "$rc2" = 2 ] && [ "$rc3" = 2 ] || { echo "exit codes $rc $rc2 $rc3, want 2 2 2"; exit 1; }
echo "1 passed, 0 failed"
