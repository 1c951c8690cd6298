# Host-side check of the xen-tools scenario (sourced in a subshell by run.sh
# after QEMU is gone; also sourced by host-checks/libvirt.sh with
# $scenario set): every XENIA-UNHANDLED kind/id of the run -- dom0's boot,
# Xen's tools and the guests -- is a documented refusal, a row of a table in
# docs/dom0-refusals.md.  The detail lists the ids seen.  Xenia only.
#
# From run.sh: $log (the serial console, CRs removed), $hv_name, $top,
# $scenario.

xt_hres() { echo "RESULT: $scenario.$*"; }
case "$hv_name" in
xenia*) ;;
*) xt_hres unhandled SKIP "XENIA-UNHANDLED is Xenia's log line (hv=$hv_name)"; return 0 ;;
esac

xt_doc=$top/docs/dom0-refusals.md
xt_seen=$(grep -o 'XENIA-UNHANDLED kind=[a-z]* id=[^ ]*' "$log" |
          sed 's/.*kind=\([a-z]*\) id=\([^ ]*\)/\1 \2/' | sort -u)
xt_n=$(echo "$xt_seen" | grep -c . || true)
xt_ids=$(echo "$xt_seen" | awk 'NF { printf "%s%s:%s", (n++ ? "," : ""), $1, $2 }')
if [ ! -f "$xt_doc" ]; then
    xt_hres unhandled FAIL "docs/dom0-refusals.md missing; seen: $xt_ids"
    return 0
fi
# table rows: | kind | id | ...  (ids compared case-insensitively)
xt_listed=$(awk -F'|' 'NF >= 4 { k = $2; i = $3
                 gsub(/[ \t`]/, "", k); gsub(/[ \t`]/, "", i)
                 if (k != "" && k != "kind" && k !~ /^-+$/) print k " " tolower(i) }' "$xt_doc")
xt_missing=
while read -r k i; do
    [ -n "$k" ] || continue
    echo "$xt_listed" | grep -qxF "$k $(echo "$i" | tr 'A-F' 'a-f')" ||
        xt_missing="$xt_missing $k:$i"
done <<< "$xt_seen"
if [ -n "$xt_missing" ]; then
    xt_hres unhandled FAIL "not in docs/dom0-refusals.md:$xt_missing (all $xt_n seen: $xt_ids)"
else
    xt_hres unhandled PASS "$xt_n XENIA-UNHANDLED kinds/ids, all in docs/dom0-refusals.md: $xt_ids"
fi
