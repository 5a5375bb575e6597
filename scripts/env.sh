# Sourced by the other scripts: runs the idempotent set-up (installs what is
# missing, starts buildkitd) and exports the paths it reports.
_setup_env=$(bash "$(dirname "${BASH_SOURCE[0]}")/setup.sh") || {
  echo "set-up failed" >&2
  exit 1
}
eval "$_setup_env"
unset _setup_env
