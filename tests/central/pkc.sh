# Source this file (bash) for pkc, a signed curl to pk-central. Needs PKC_PORT,
# PKC_KIOSK and PKC_SECRET (64 lowercase hex) in the environment. Example:
#   . tests/central/pkc.sh; pkc GET /v1/kiosks/$PKC_KIOSK/pickups
# A body is signed as given; extra curl options go after it.
# pkc METHOD TARGET [BODY]: a signed curl request to pk-central (bash, openssl, curl).
pkc() {
  local method=$1 target=$2 body=${3-} ts sig
  ts=$(date -u +%Y-%m-%dT%H:%M:%SZ)
  sig=$(printf '%s\n%s\n%s\n%s' "$method" "$target" "$ts" \
          "$(printf '%s' "$body" | sha256sum | cut -d' ' -f1)" |
        openssl dgst -sha256 -mac HMAC -macopt "hexkey:$PKC_SECRET" | sed 's/^.*= //')
  curl -sS -i -X "$method" "http://127.0.0.1:$PKC_PORT$target" \
       -H "X-Kiosk-Id: $PKC_KIOSK" -H "X-Timestamp: $ts" -H "X-Signature: v1=$sig" \
       ${body:+-H 'Content-Type: application/json' --data-binary "$body"} "${@:4}"
}
