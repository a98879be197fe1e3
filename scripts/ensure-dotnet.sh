# Sourced by ./run-herald and ./run-tests (bash). Defines:
#   install_debian_packages PKG...  installs missing Debian packages when running as root (apt-get update at most
#                                   once, and only when an install fails without it); otherwise only warns.
#   ensure_dotnet                   puts a .NET 10 SDK on PATH, installing one into ~/.dotnet with Microsoft's
#                                   dotnet-install.sh when none is found.

_herald_apt_updated=0

install_debian_packages() {
  local missing=() package
  for package in "$@"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' || missing+=("$package")
  done
  (( ${#missing[@]} )) || return 0
  if [[ $(id -u) -ne 0 ]] || ! command -v apt-get >/dev/null; then
    echo "herald: not root or not Debian; install these packages yourself: ${missing[*]}" >&2
    return 0
  fi
  # A fresh image has no package lists at all; otherwise try the lists we have before paying for an update.
  if [[ $_herald_apt_updated -eq 0 && -z $(find /var/lib/apt/lists -maxdepth 1 -name '*Packages*' -print -quit 2>/dev/null) ]]; then
    apt-get update -q && _herald_apt_updated=1
  fi
  if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"; then
    (( _herald_apt_updated )) && return 1
    apt-get update -q && _herald_apt_updated=1
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
  fi
}

_herald_has_sdk10() {
  "$1" --list-sdks 2>/dev/null | grep -q '^10\.'
}

ensure_dotnet() {
  if command -v dotnet >/dev/null && _herald_has_sdk10 dotnet; then
    return 0
  fi
  local install_dir="$HOME/.dotnet"
  if ! _herald_has_sdk10 "$install_dir/dotnet"; then
    echo "herald: no .NET 10 SDK found; installing one into $install_dir" >&2
    # What dotnet-install.sh and the SDK need on a minimal Debian 12 (libicu72 is Debian 12's ICU).
    install_debian_packages ca-certificates curl libicu72
    local installer
    installer=$(mktemp)
    curl -sSfL https://dot.net/v1/dotnet-install.sh -o "$installer"
    bash "$installer" --channel 10.0 --install-dir "$install_dir"
    rm -f "$installer"
  fi
  export DOTNET_ROOT="$install_dir"
  export PATH="$install_dir:$PATH"
}
