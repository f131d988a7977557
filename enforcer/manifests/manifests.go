package manifests

import (
	_ "embed"
	"fmt"
	"regexp"
	"strings"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/scheme"
)

//go:embed enforcer.yaml
var enforcerYAML string

// imagePlaceholder is the image field the YAML carries until Render.
const imagePlaceholder = "image: IMAGE\n"

// imageRef accepts what a container image reference may hold, and nothing
// that could break out of the YAML scalar it is written into.
var imageRef = regexp.MustCompile(`^[a-z0-9][a-zA-Z0-9._/:@+-]*$`)

// Namespace is where the enforcer's ServiceAccount and DaemonSet live.
const Namespace = "kube-system"

// Name names every object of the enforcer, and labels its pods
// app.kubernetes.io/name=Name.
const Name = "netpolcheck-enforcer"

// PodSelector selects the enforcer's pods; Port is where each serves
// /healthz, /readyz and /metrics (see enforcer.yaml).
const (
	PodSelector = "app.kubernetes.io/name=" + Name
	Port        = 9090
)

// Render returns the enforcer's objects as multi-document YAML with image
// as the DaemonSet's container image.
func Render(image string) (string, error) {
	if !imageRef.MatchString(image) {
		return "", fmt.Errorf("render enforcer manifests: image %q is not an image reference", image)
	}
	return strings.Replace(enforcerYAML, imagePlaceholder, "image: "+image+"\n", 1), nil
}

// Objects returns the rendered objects decoded into their typed Go values
// (*corev1.ServiceAccount, *rbacv1.ClusterRole, *rbacv1.ClusterRoleBinding,
// *appsv1.DaemonSet), in the order they must be created.
func Objects(image string) ([]runtime.Object, error) {
	text, err := Render(image)
	if err != nil {
		return nil, err
	}
	decode := scheme.Codecs.UniversalDeserializer().Decode
	var out []runtime.Object
	for i, doc := range strings.Split(text, "\n---\n") {
		obj, _, err := decode([]byte(doc), nil, nil)
		if err != nil {
			return nil, fmt.Errorf("enforcer manifests: document %d: %w", i+1, err)
		}
		out = append(out, obj)
	}
	return out, nil
}
