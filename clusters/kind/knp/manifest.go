package knp

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"

	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/runtime"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/kubernetes/scheme"
)

// ManifestFile is the release's own deployment, in its module.
const ManifestFile = "install.yaml"

// PodSelector selects the enforcer's pods, by the label install.yaml gives them.
const PodSelector = "app=" + Name

// Objects reads install.yaml from the release's source and decodes its
// objects, in file order, with the DaemonSet's container image set to
// image. Nothing else changes: what runs is the release as its users
// deploy it.
func Objects(moduleDir, image string) ([]runtime.Object, error) {
	path := filepath.Join(moduleDir, ManifestFile)
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
