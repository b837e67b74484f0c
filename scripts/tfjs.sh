# Sourced by the benchmarks that compare with TensorFlow.js (after
# scripts/test-browser.sh, which sets GANOMALY_NPM): installs TF.js and its
# WebAssembly backend, pinned, into the npm cache outside the repo, once.
# BENCH_TFJS=0 skips it.
tfjs_version=4.22.0
if [ "${BENCH_TFJS:-1}" != 0 ]; then
  have() { node -e "try{console.log(require('$GANOMALY_NPM/$1/package.json').version)}catch(e){}" 2>/dev/null; }
  if [ "$(have @tensorflow/tfjs)" != "$tfjs_version" ] || [ "$(have @tensorflow/tfjs-backend-wasm)" != "$tfjs_version" ]; then
    echo "installing @tensorflow/tfjs@$tfjs_version and @tensorflow/tfjs-backend-wasm@$tfjs_version into $cache/npm…" >&2
    npm install --silent --no-audit --no-fund --prefix "$cache/npm" \
      "@tensorflow/tfjs@$tfjs_version" "@tensorflow/tfjs-backend-wasm@$tfjs_version" >&2
  fi
fi
