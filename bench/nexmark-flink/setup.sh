#!/usr/bin/env bash
# Installs the JDK (17+) and Maven the Flink side of bench-nexmark needs, idempotently and
# quietly when both are there. Only this benchmark uses a JVM, so scripts/setup.sh does not.
set -euo pipefail

java_ok() {
  command -v java >/dev/null && command -v javac >/dev/null || return 1
  local v
  v=$(java -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')
  [ "${v%%.*}" -ge 17 ] 2>/dev/null
}

SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
# A fresh machine has no package lists: fetch them before asking which JDK there is.
java_ok && command -v mvn >/dev/null || $SUDO apt-get update -qq
missing=()
if ! java_ok; then
  # Flink 1.20 is tested on Java 17; Debian releases without it get their default JDK (21+).
  if apt-cache policy openjdk-17-jdk-headless 2>/dev/null | grep -q 'Candidate: [0-9]'; then
    missing+=(openjdk-17-jdk-headless)
  else
    missing+=(default-jdk-headless)
  fi
fi
command -v mvn >/dev/null || missing+=(maven)
if [ ${#missing[@]} -gt 0 ]; then
  echo "nexmark-flink setup: installing ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi
