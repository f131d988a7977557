package knp

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/netpolcheck/netpolcheck/clusters/kind/images"
	"github.com/netpolcheck/netpolcheck/clusters/kind/internal/run"
)

// What is built and deployed.
const (
	// Module and Version are the release hack/kind/modules/kube-network-policies
	// pins; a test holds Version equal to its go.mod.
	Module  = "sigs.k8s.io/kube-network-policies"
	Version = "v0.8.0"
	// WrapperModule is the wrapper's directory under the modules directory.
	WrapperModule = "kube-network-policies"
	// Repository is the image's repository; only ever loaded, never pulled.
	Repository = "netpolcheck/kube-network-policies"
	// Name is the DaemonSet's name (and the app label of its pods), and
	// Namespace its namespace, as install.yaml has them.
	Name      = "kube-network-policies"
	Namespace = "kube-system"
	// Table is the nftables table (family inet) the enforcer programs.
	Table = "kube-network-policies"
	// Program is where the binary sits in the image, which install.yaml's
	// args name first.
	Program = "/bin/netpol"
)

// adaptedSuffix tags the adapted image apart from the plain one, so that
// both can sit on a node and a results file names which one ran.
const adaptedSuffix = "-xtqueue"

// Image is a built enforcer image.
type Image struct {
	// Ref is the image reference; Archive its image archive.
	Ref, Archive string
	// Adapted says the xtables queue adaptation is in it.
	Adapted bool
	// ModuleDir is the release's source in the module cache, where its
	// install.yaml is read from.
	ModuleDir string
}

// ImageRef is the reference of the image Build makes.
func ImageRef(adapted bool) string {
	if adapted {
		return Repository + ":" + Version + adaptedSuffix
	}
	return Repository + ":" + Version
}

// goEnv builds strictly from the wrapper's committed go.sum.
var goEnv = []string{"CGO_ENABLED=0", "GOFLAGS=-mod=readonly", "GONOSUMDB=k8s.io,sigs.k8s.io", "GOWORK=off"}

// Build compiles the pinned release from the wrapper module under modulesDir
// (with the adaptation when adapt is set) and writes its image archive into
// dir. Commands go to log.
func Build(ctx context.Context, log io.Writer, modulesDir, dir string, adapt bool) (Image, error) {
	wrapper := filepath.Join(modulesDir, WrapperModule)
	moduleDir, err := downloadModule(ctx, log, wrapper)
	if err != nil {
		return Image{}, fmt.Errorf("kube-network-policies %s: %w", Version, err)
	}
	img := Image{Ref: ImageRef(adapt), Adapted: adapt, ModuleDir: moduleDir}
	args := []string{"build", "-trimpath", "-ldflags", "-s -w"}
	if adapt {
		modfile, err := writeAdapted(wrapper, moduleDir, dir)
		if err != nil {
			return Image{}, fmt.Errorf("kube-network-policies %s: adaptation: %w", Version, err)
		}
		args = append(args, "-modfile", modfile)
	}
	binary := filepath.Join(dir, "netpol")
	args = append(args, "-o", binary, Module+"/cmd")
	if _, err := (run.Command{Dir: wrapper, Env: goEnv, Name: "go", Args: args}).Output(ctx, log); err != nil {
		return Image{}, fmt.Errorf("kube-network-policies %s: %w", Version, err)
	}
	defer os.Remove(binary)
	img.Archive = filepath.Join(dir, "kube-network-policies.tar")
	if err := images.Write(imageSpec(img.Ref, binary), img.Archive); err != nil {
		return Image{}, fmt.Errorf("kube-network-policies %s: image: %w", Version, err)
	}
	return img, nil
}

// imageSpec is the release's own image in shape: the program as the
// command, run as root (it programs nftables and reads the queue).
func imageSpec(ref, binary string) images.Spec {
	spec := images.BinaryImage(ref, binary, Program, "")
	spec.Cmd, spec.Entrypoint = spec.Entrypoint, nil
	return spec
}

// downloadModule makes sure the release is in the module cache and returns
// its directory there.
func downloadModule(ctx context.Context, log io.Writer, wrapper string) (string, error) {
	dir, version, err := moduleSource(ctx, log, wrapper, Module)
	if err == nil && version != Version {
		err = fmt.Errorf("%s pins %s %s, this build expects %s", wrapper, Module, version, Version)
	}
	return dir, err
}

// moduleSource downloads module at the version the wrapper's go.mod
// selects, into the module cache, and returns its directory and version.
func moduleSource(ctx context.Context, log io.Writer, wrapper, module string) (dir, version string, err error) {
	out, err := (run.Command{Dir: wrapper, Env: goEnv, Name: "go", Args: []string{"mod", "download", "-json", module}}).Output(ctx, log)
	if err != nil {
		return "", "", err
	}
	var m struct{ Dir, Version, Error string }
	if err := json.Unmarshal([]byte(out), &m); err != nil {
		return "", "", fmt.Errorf("go mod download: %w", err)
	}
	switch {
	case m.Error != "":
		return "", "", fmt.Errorf("go mod download: %s", m.Error)
	case m.Dir == "":
		return "", "", fmt.Errorf("go mod download gave no directory for %s", module)
	}
	return m.Dir, m.Version, nil
}
