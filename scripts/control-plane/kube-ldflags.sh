# Sourced by build.sh and build-node.sh. Prints the -ldflags that stamp a Kubernetes binary the
# way hack/lib/version.sh does, in both places Kubernetes reads the version from; without them a
# binary reports v0.0.0-master and kubectl warns about the version skew. gitCommit stays empty:
# module zips carry no commit.
kube_ldflags() {
  local version="$1" minor build_date flags="-s -w"
  minor="${version#v1.}"
  minor="${minor%%.*}"
  build_date="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    flags+=" -X $pkg.gitVersion=$version"
    flags+=" -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
    flags+=" -X $pkg.gitCommit= -X $pkg.gitTreeState=archive"
    flags+=" -X $pkg.buildDate=$build_date"
  done
  printf '%s' "$flags"
}
