#!/usr/bin/env bash
# The Maven path of a plugin author, offline, against what this checkout's build just produced
# (run after `mvn verify` or `mvn package`; .ci/run does):
#   1. install jvmm-parent, jvmm-bom, jvmm-api, jvmm-testkit and jvmm-device-archetype into a
#      throwaway local repository (target/maven-path/m2, seeded with a copy of ~/.m2/repository
#      without its io/jvmm, so a stale install there cannot be used);
#   2. `mvn -o verify` examples/dev-postcode (its FakeBoard tests) against it, and check that
#      `jvmm plugins` lists the jar with its version and the api version it was built against; the
#      same for the project the README's "Writing a plugin" builds, written from its code blocks;
#   3. `archetype:generate` a device project from jvmm-device-archetype, `mvn -o verify` it,
#      check that `jvmm plugins` lists it too and that a manifest with its device round-trips.
# Steps 2 and 3 run offline (-o): every plugin and library the two projects need must be one the
# jvmm build itself used, which also keeps their pinned versions equal to the parent's. Step 1 may
# download (maven-install-plugin, which `mvn verify` does not use), into the throwaway repository.
# MAVEN_REPO: the repository to seed from (default ~/.m2/repository). KEEP=1 keeps target/maven-path.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
work=$root/target/maven-path
m2=$work/m2
start=$(date +%s)

fail() { echo "maven-path: FAILED: $*" >&2; exit 1; }
pom_value() { # the first <$1> of pom file $2
  grep -m1 -o "<$1>[^<]*</$1>" "$2" | sed "s:<$1>\(.*\)</$1>:\1:"
}

version=$(pom_value version pom.xml)
[ "$(pom_value version bom/pom.xml)" = "$version" ] \
  || fail "bom/pom.xml's version is not the reactor's $version (jvmm-bom has no parent: set it by hand)"
[ "$(pom_value junit.version bom/pom.xml)" = "$(pom_value junit.version pom.xml)" ] \
  || fail "bom/pom.xml's junit.version differs from the parent's"
archetype_plugin=$(pom_value archetype.plugin.version pom.xml)
jvmm=$root/cli/target/jvmm/bin/jvmm
[ -x "$jvmm" ] || fail "$jvmm is missing: run mvn -B -ntp package (or verify) first"

rm -rf "$work"
mkdir -p "$work"
cp -a "${MAVEN_REPO:-$HOME/.m2/repository}" "$m2"
rm -rf "$m2/io/jvmm"
mvn_o=(mvn -B -ntp -o "-Dmaven.repo.local=$m2")

echo "maven-path: installing jvmm-parent, -bom, -api, -testkit and -device-archetype $version into $m2"
mvn -B -ntp "-Dmaven.repo.local=$m2" -q install -DskipTests -Dmaven.javadoc.skip=true -Dmaven.source.skip=true \
  -pl bom,api,testkit,archetype -am

# The listing row of a plugin: KIND ID MODULE VERSION API JAR, the API being the version of
# io.jvmm.api the plugin was compiled against.
expect_listed() { # plugin-dir kind id module module-version jar
  local out
  out=$("$jvmm" plugins --plugin-path "$1")
  echo "$out" | grep -E "^ +$2 +$3 +$4 +$5 +$version +$6\$" \
    || fail "jvmm plugins --plugin-path $1 does not list $2 $3 $4 $5 (api $version) $6:"$'\n'"$out"
  if echo "$out" | grep -q "Failed providers"; then fail "jvmm plugins reports failed providers:"$'\n'"$out"; fi
}

echo "maven-path: examples/dev-postcode: mvn -o verify"
rm -rf examples/dev-postcode/target
"${mvn_o[@]}" -f examples/dev-postcode/pom.xml verify
expect_listed examples/dev-postcode/target chipset_device postcode com.example.postcode 0.1.0 dev-postcode-0.1.0.jar

echo "maven-path: the README's \"Writing a plugin\" project, from its code blocks: mvn -o verify"
python3 ci/readme-plugin.py README.md "$work/readme-plugin"
"${mvn_o[@]}" -f "$work/readme-plugin/pom.xml" verify
expect_listed "$work/readme-plugin/target" chipset_device postcode com.example.postcode 0.1.0 dev-postcode-0.1.0.jar

echo "maven-path: archetype:generate jvmm-device-archetype, then mvn -o verify the project"
(cd "$work" && "${mvn_o[@]}" -q "org.apache.maven.plugins:maven-archetype-plugin:$archetype_plugin:generate" \
  -DarchetypeGroupId=io.jvmm -DarchetypeArtifactId=jvmm-device-archetype "-DarchetypeVersion=$version" \
  -DgroupId=org.acme -DartifactId=acme-scratch -Dversion=1.0.0 -Dpackage=org.acme.scratch \
  -DdeviceId=acme_scratch)
"${mvn_o[@]}" -f "$work/acme-scratch/pom.xml" verify
expect_listed "$work/acme-scratch/target" chipset_device acme_scratch org.acme.scratch 1.0.0 acme-scratch-1.0.0.jar
# and the runtime reads and writes its handle: a manifest with the device round-trips
"$jvmm" manifest --serial 1=none \
  | sed 's/"devices" *: *\[/"devices": [ {"name": "scratch0", "kind": "chipset_device", "id": "acme_scratch", "config": {"port": "0x310"}},/' \
  > "$work/vm.json"
"$jvmm" manifest --manifest "$work/vm.json" --plugin-path "$work/acme-scratch/target" > "$work/vm-again.json" \
  || fail "jvmm manifest does not read the generated device's config"
grep -q '"port" *: *"0x310"' "$work/vm-again.json" || fail "the generated device's config did not round-trip: $(cat "$work/vm-again.json")"

[ "${KEEP:-}" = 1 ] || rm -rf "$m2"
echo "maven-path: OK in $(( $(date +%s) - start )) s"
