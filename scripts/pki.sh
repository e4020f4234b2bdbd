#!/usr/bin/env bash
# The mesh's private PKI (DESIGN.md §8), made with Debian's openssl:
#   scripts/pki.sh DIR [NAME...]
# creates, if missing, DIR/ca.pem + DIR/ca-key.pem (the private CA) and for
# every identity DIR/<name>.pem (certificate, its name as a DNS SAN) and
# DIR/<name>-key.pem. Without names it makes the standard identities:
# coordinator order inventory seat booking payment gateway turnstilectl loadgen.
# Existing files are kept, so it is safe to run on every ./run up.
#
# Extra certificates for tests, all signed by DIR's CA unless said otherwise:
#   scripts/pki.sh DIR --expired NAME    NAME.pem valid only in the past
#   scripts/pki.sh DIR --other-ca NAME   NAME.pem from a second, foreign CA
#   scripts/pki.sh DIR --renew NAME      new key + certificate for NAME
#                                        (written via rename, as a Kubernetes
#                                        secret update swaps files)
# Keys are EC P-256, mode 0600; certificates last 825 days (the CA 10 years).
set -euo pipefail
dir=${1:?usage: pki.sh DIR [NAME...|--expired NAME|--other-ca NAME|--renew NAME]}
shift
mkdir -p "$dir"
umask 077
DAYS=${TURNSTILE_PKI_DAYS:-825}
STANDARD=(coordinator order inventory seat booking payment gateway turnstilectl loadgen)

newkey() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }

make_ca() { # make_ca PREFIX SUBJECT
  [ -f "$1.pem" ] && return 0
  newkey "$1-key.pem"
  openssl req -x509 -new -key "$1-key.pem" -sha256 -days 3650 -subj "$2" \
    -addext basicConstraints=critical,CA:TRUE \
    -addext keyUsage=critical,keyCertSign,cRLSign -out "$1.pem" 2>/dev/null
  chmod 644 "$1.pem"
}

# issue CA_PREFIX NAME OUT_PREFIX [openssl x509 validity args...]
issue() {
  local ca=$1 name=$2 out=$3; shift 3
  local tmp; tmp=$(mktemp -d "$dir/.issue.XXXXXX")
  newkey "$tmp/key.pem"
  openssl req -new -key "$tmp/key.pem" -subj "/O=turnstile/CN=$name" -out "$tmp/csr.pem" 2>/dev/null
  printf 'subjectAltName=DNS:%s\nbasicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth,clientAuth\n' \
    "$name" >"$tmp/ext.cnf"
  if [ $# -gt 0 ]; then
    # Validity in the past: sign with explicit dates (openssl x509 has no
    # start-date option before 3.4, openssl ca has).
    printf '[ca]\ndefault_ca=c\n[c]\ndatabase=%s/index\nnew_certs_dir=%s\npolicy=p\ndefault_md=sha256\nserial=%s/serial\nunique_subject=no\ncopy_extensions=none\n[p]\ncommonName=supplied\norganizationName=optional\n' \
      "$tmp" "$tmp" "$tmp" >"$tmp/ca.cnf"
    : >"$tmp/index"; echo 01 >"$tmp/serial"
    openssl ca -batch -config "$tmp/ca.cnf" -cert "$ca.pem" -keyfile "$ca-key.pem" \
      -extfile "$tmp/ext.cnf" -in "$tmp/csr.pem" -out "$tmp/cert.pem" -notext "$@" 2>/dev/null
  else
    openssl x509 -req -in "$tmp/csr.pem" -CA "$ca.pem" -CAkey "$ca-key.pem" \
      -set_serial "0x$(openssl rand -hex 16)" -sha256 -days "$DAYS" \
      -extfile "$tmp/ext.cnf" -out "$tmp/cert.pem" 2>/dev/null
  fi
  chmod 644 "$tmp/cert.pem"
  # Each file by rename, so a watcher never reads half a file; between the
  # two renames it sees a key that does not match the certificate and keeps
  # serving its previous pair until both match.
  mv -f "$tmp/key.pem" "$out-key.pem"
  mv -f "$tmp/cert.pem" "$out.pem"
  rm -rf "$tmp"
}

make_ca "$dir/ca" "/O=turnstile/CN=turnstile-ca"

case ${1:-} in
  --expired)
    issue "$dir/ca" "$2" "$dir/$2" -startdate 20200101000000Z -enddate 20200201000000Z ;;
  --other-ca)
    make_ca "$dir/other-ca" "/O=not-turnstile/CN=foreign-ca"
    issue "$dir/other-ca" "$2" "$dir/$2" ;;
  --renew)
    issue "$dir/ca" "$2" "$dir/$2" ;;
  *)
    names=("$@"); [ ${#names[@]} -eq 0 ] && names=("${STANDARD[@]}")
    for n in "${names[@]}"; do
      [ -f "$dir/$n.pem" ] && [ -f "$dir/$n-key.pem" ] && continue
      issue "$dir/ca" "$n" "$dir/$n"
    done ;;
esac
