#!/usr/bin/env bash
# Debian packages the test suite needs: a PostgreSQL server (started privately by the tests),
# SoftHSM2 (a PKCS#11 token for the HSM seal and custom key stores), OpenSC's pkcs11-tool, Chromium
# (Playwright drives it through executable_path; no browser is downloaded) and Firefox ESR (the console's Firefox
# test drives it over WebDriver BiDi, tests/support/firefox.py).
#
# `--runtime`: only what the server itself needs at run time: Debian's libmodsecurity3, whose libmodsecurity.so.3
# exports libinjection's C entry points (the WAF's SqliMatch / XssMatch; see docs/waf-engine.md).
set -euo pipefail
need=()
runtime() {
  compgen -G "/usr/lib/*/libmodsecurity.so.3" >/dev/null || compgen -G "/usr/lib/libmodsecurity.so.3" >/dev/null \
    || need+=(libmodsecurity3)
}
if [ "${1:-}" = "--runtime" ]; then
  runtime
else
  runtime
  compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || need+=(postgresql)
  command -v pebble-challtestsrv >/dev/null || need+=(pebble)  # ACME test CA + mock DNS (ACM tests)
  command -v softhsm2-util >/dev/null || need+=(softhsm2)
  command -v pkcs11-tool >/dev/null || need+=(opensc)
  command -v openssl >/dev/null || need+=(openssl)  # interop tests verify signatures and chains with it
  command -v chromium >/dev/null || need+=(chromium)  # the WAF CAPTCHA / Challenge pages, driven by Playwright
  command -v firefox-esr >/dev/null || need+=(firefox-esr)  # the console in Firefox (WebDriver BiDi)
  command -v npm >/dev/null || need+=(npm)  # the access-control differential test installs its oracle with npm
fi
if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "missing Debian packages: ${need[*]} — install them with: sudo apt-get install -y ${need[*]}" >&2
  exit 1
fi
echo "installing Debian packages: ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${need[@]}"
