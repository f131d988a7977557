package knp

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// PolicyAPIModule is the network-policy-api module; the release pins a
// version of it with the v1alpha1 AdminNetworkPolicy and
// BaselineAdminNetworkPolicy, which later releases dropped.
const PolicyAPIModule = "sigs.k8s.io/network-policy-api"

// AdminPolicyCRDFiles are the v1alpha1 CRDs, under config/crd/<channel>/.
var AdminPolicyCRDFiles = []string{
	"policy.networking.k8s.io_adminnetworkpolicies.yaml",
	"policy.networking.k8s.io_baselineadminnetworkpolicies.yaml",
}

// CRDSet is a channel's v1alpha1 CRDs, as the module has them.
type CRDSet struct {
	// Version is the network-policy-api version they come from.
	Version string
	// Files are each file's path and contents, in AdminPolicyCRDFiles order.
	Files []CRDFile
}

// CRDFile is one CRD file.
type CRDFile struct {
	Path string
	Data []byte
}

// AdminPolicyCRDs reads the channel's v1alpha1 CRDs from the
// network-policy-api module the release pins (through the wrapper module
// under modulesDir), so that the cluster serves the very API the
// enforcer's client was built against. Nothing but the Go module proxy is
// asked, as for the release itself.
func AdminPolicyCRDs(ctx context.Context, log io.Writer, modulesDir, channel string) (CRDSet, error) {
	dir, version, err := moduleSource(ctx, log, filepath.Join(modulesDir, WrapperModule), PolicyAPIModule)
	if err != nil {
		return CRDSet{}, fmt.Errorf("%s (pinned by kube-network-policies %s): %w", PolicyAPIModule, Version, err)
	}
	set := CRDSet{Version: version}
	for _, name := range AdminPolicyCRDFiles {
		path := filepath.Join(dir, "config", "crd", channel, name)
		data, err := os.ReadFile(path)
		if err != nil {
			return CRDSet{}, fmt.Errorf("%s %s: %w", PolicyAPIModule, version, err)
		}
		set.Files = append(set.Files, CRDFile{Path: path, Data: data})
	}
	return set, nil
}
