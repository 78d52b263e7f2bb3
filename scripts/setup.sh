#!/usr/bin/env bash
# Installs the EDA tools nicc needs (Debian 12 packages), only what is missing. Idempotent.
set -euo pipefail

need=()
have() { command -v "$1" >/dev/null 2>&1; }
have verilator      || need+=(verilator)
have yosys          || need+=(yosys)
have yosys-abc      || need+=(yosys)
have iverilog       || need+=(iverilog)
have nextpnr-ice40  || need+=(nextpnr-ice40)
have icetime        || need+=(fpga-icestorm)
have sta            || need+=(opensta)
[ -f /usr/share/qflow/tech/osu018/osu018_stdcells.lib ] || need+=(qflow-tech-osu018)
have g++            || need+=(g++)
have make           || need+=(make)

if [ ${#need[@]} -gt 0 ]; then
  # Deduplicate while keeping order.
  mapfile -t need < <(printf '%s\n' "${need[@]}" | awk '!seen[$0]++')
  echo "setup: installing ${need[*]}"
  if [ "$(id -u)" -eq 0 ]; then
    SUDO=()
  elif have sudo && sudo -n true 2>/dev/null; then
    SUDO=(sudo -n)
  else
    echo "setup: missing packages: ${need[*]}" >&2
    echo "setup: not root and no password-less sudo; install them with: sudo apt-get install ${need[*]}" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  "${SUDO[@]}" apt-get update -q
  "${SUDO[@]}" apt-get install -y -q --no-install-recommends "${need[@]}"
fi

# Verilator 5.0 or newer is required (the simulator shim uses the Verilator 5 API).
vver=$(verilator --version | awk '{print $2}')
vmajor=${vver%%.*}
if [ "${vmajor:-0}" -lt 5 ]; then
  echo "setup: Verilator $vver is too old: nicc needs Verilator >= 5.0 (Debian 12 ships 5.006)" >&2
  exit 1
fi
echo "setup: ok (verilator $vver, $(yosys -V | awk '{print $1, $2}'), $(iverilog -V 2>/dev/null | head -n1 | awk '{print $1, $4}'))"
