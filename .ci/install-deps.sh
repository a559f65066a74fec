#!/usr/bin/env bash
# Installs the Debian packages the tests need, if they are missing. Safe to
# run again; a no-op when everything is present.
set -euo pipefail
need=()
command -v mariadb >/dev/null 2>&1 || need+=(mariadb-client)
# mariadbd for the differential tester's slice (TestDiffFuzz starts a
# private one on a socket, no networking).
command -v mariadbd >/dev/null 2>&1 || [ -x /usr/sbin/mariadbd ] || need+=(mariadb-server)
if [ ${#need[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  # Install without starting the packaged service: the tests start their
  # own servers and want no system one listening. policy-rc.d is Debian's
  # switch for that (101: action not allowed); an existing one is kept.
  own_policy=""
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
    $SUDO chmod +x /usr/sbin/policy-rc.d
    own_policy=1
  fi
  for p in "${need[@]}"; do
    if ! DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "$p" >/dev/null; then
      # The client is required; without the server only the
      # differential tester skips (it says so).
      if [ "$p" != mariadb-server ]; then exit 1; fi
      echo "install-deps: mariadb-server did not install; TestDiffFuzz will skip" >&2
    fi
  done
  if [ -n "$own_policy" ]; then $SUDO rm -f /usr/sbin/policy-rc.d; fi
fi
