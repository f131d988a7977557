package knp

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/runtime"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/kubernetes/scheme"
)

// The release's own deployments, in its module: install.yaml enforces
// NetworkPolicy; install-anp.yaml also AdminNetworkPolicy and
// BaselineAdminNetworkPolicy (v1alpha1), with the flags that turn them on
// and the rights to watch them (and nodes, for their nodes peers).
const (
	ManifestFile      = "install.yaml"
	AdminManifestFile = "install-anp.yaml"
)

// CheckManifest accepts the release's deployments by their file name
// without ".yaml", as kind up's --knp-manifest takes them.
func CheckManifest(name string) error {
	switch name + ".yaml" {
	case ManifestFile, AdminManifestFile:
		return nil
	}
	return fmt.Errorf("%q: not one of %s, %s", name, strings.TrimSuffix(ManifestFile, ".yaml"), strings.TrimSuffix(AdminManifestFile, ".yaml"))
}

// PodSelector selects the enforcer's pods, by the label install.yaml gives them.
const PodSelector = "app=" + Name

// Objects reads the manifest (ManifestFile or AdminManifestFile) from the
// release's source and decodes its objects, in file order, with the
// DaemonSet's container image set to image. Nothing else changes: what
// runs is the release as its users deploy it.
func Objects(moduleDir, manifest, image string) ([]runtime.Object, error) {
	path := filepath.Join(moduleDir, manifest)
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return decodeObjects(path, data, image)
}

// decodeObjects is Objects on the file's contents.
func decodeObjects(path string, data []byte, image string) ([]runtime.Object, error) {
	reader := utilyaml.NewYAMLReader(bufioReader(data))
	decode := scheme.Codecs.UniversalDeserializer().Decode
	var out []runtime.Object
	images := 0
	for doc := 0; ; {
		raw, err := reader.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		if len(bytes.TrimSpace(bytes.TrimPrefix(bytes.TrimSpace(raw), []byte("---")))) == 0 {
			continue
		}
		doc++
		obj, _, err := decode(raw, nil, nil)
		if err != nil {
			return nil, fmt.Errorf("%s: document %d: %w", path, doc, err)
		}
		if ds, ok := obj.(*appsv1.DaemonSet); ok && ds.Name == Name {
			for i := range ds.Spec.Template.Spec.Containers {
				if ds.Spec.Template.Spec.Containers[i].Name == Name {
					ds.Spec.Template.Spec.Containers[i].Image = image
					images++
				}
			}
		}
		out = append(out, obj)
	}
	if images != 1 {
		return nil, fmt.Errorf("%s: %d containers named %s in DaemonSet %s, want 1 to give image %s", path, images, Name, Name, image)
	}
	return out, nil
}

func bufioReader(data []byte) *bufio.Reader { return bufio.NewReader(bytes.NewReader(data)) }
