#!/usr/bin/env bash
# Rewrites the generated key tables of docs/configuration.md (between their markers) and config/server.properties
# from the key tables (include/samsa/config/broker_table.h, topic_table.h). The ctest config.docs_in_sync fails
# until this has been run after a key table changes.
#     bash scripts/gen_config_docs.sh        (uses build/, or SAMSA_BUILD_DIR)
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${SAMSA_BUILD_DIR:-build}
[ -f "$BUILD_DIR/build.ninja" ] || SAMSA_BUILD_TARGETS=samsa_config_gen bash scripts/build.sh
ninja -C "$BUILD_DIR" samsa_config_gen >/dev/null
"$BUILD_DIR/src/config/samsa_config_gen" write docs/configuration.md config/server.properties
