# Shared by scripts/demo and scripts/test: make sure uv is there, and Debian packages when asked.
uv_cmd() {
  if command -v uv >/dev/null 2>&1; then
    uv "$@"
  else
    if ! python3 -m uv --version >/dev/null 2>&1; then
      echo "installing uv (Python package manager) with pip ..." >&2
      python3 -m pip install --quiet --disable-pip-version-check uv >&2
    fi
    python3 -m uv "$@"
  fi
}

# apt_need PACKAGE... : install the Debian packages that are missing (as root, or with sudo).
apt_need() {
  local missing=()
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "installing Debian packages: ${missing[*]} ..." >&2
  $sudo apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
}
